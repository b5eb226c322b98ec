import type { ClientSession } from 'mongodb';
import { applyAttemptWrites, type AttemptWrite, type PlannedRunWrite } from '../../background/run-changes.ts';
import {
  isTerminal,
  OCCUPYING_STATUSES,
  TERMINAL_STATUSES,
  type BackgroundAttempt,
  type BackgroundRun,
  type LifecycleEvent,
  type RunStatus,
} from '../../background/run-record.ts';
import type { RunWrite } from '../../background/task-store.ts';
import { runDoc, type AttemptDoc, type MongoTaskCollections, type RunDoc } from './mongo-task-collections.ts';

/** A version-checked write found the document changed (or a key taken) since it was read: run the work again. */
export class WriteConflict extends Error {
  override name = 'WriteConflict';
}

/** E11000: a unique index refused the write (a run id or an occurrence taken meanwhile). */
export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

export interface LoadedRun {
  readonly run: BackgroundRun;
  readonly seq: number;
}

interface Slot {
  readonly before: BackgroundRun | null;
  readonly version: number;
  readonly seq: number;
  run: BackgroundRun;
  readonly events: LifecycleEvent[];
}

const occupying = (status: RunStatus) => (OCCUPYING_STATUSES as readonly RunStatus[]).includes(status);

/**
 * The run writes of one MongoDB transaction: runs are read in the session, changes planned by the pure rules
 * are staged here, and `flush()` writes them in order: each run with a `findOneAndUpdate` on its version that
 * also increments its event counter (`$inc seq`), then its lifecycle events, its attempts, and the guard of every
 * task whose unfinished or holding runs were read or changed (see `GuardDoc`).
 */
export class MongoTaskTx {
  readonly #slots = new Map<string, Slot>();
  readonly #guards = new Set<string>();
  readonly #openLoaded = new Set<string>();
  #forced = false;
  readonly #attempts: { runId: string; before: BackgroundAttempt[]; after: BackgroundAttempt[] }[] = [];

  constructor(
    readonly c: MongoTaskCollections,
    readonly session: ClientSession,
  ) {}

  async run(runId: string): Promise<LoadedRun | null> {
    const slot = this.#slots.get(runId);
    if (slot !== undefined) return { run: slot.run, seq: slot.seq + slot.events.length };
    return this.seed(await this.c.runs.findOne({ _id: runId }, { session: this.session }));
  }

  seed(doc: RunDoc | null): LoadedRun | null {
    if (doc === null) return null;
    const run = JSON.parse(doc.data) as BackgroundRun;
    this.#slots.set(doc._id, { before: run, version: doc.version, seq: doc.seq, run, events: [] });
    return { run, seq: doc.seq };
  }

  /** The task's unfinished runs, including those this transaction added. */
  async unfinished(taskId: string): Promise<BackgroundRun[]> {
    this.#guards.add(taskId);
    if (!this.#openLoaded.has(taskId)) {
      this.#openLoaded.add(taskId);
      const docs = await this.c.runs.find({ task_id: taskId, status: { $nin: [...TERMINAL_STATUSES] } }, { session: this.session }).toArray();
      for (const doc of docs) if (!this.#slots.has(doc._id)) this.seed(doc);
    }
    return [...this.#slots.values()].filter((s) => s.run.task_id === taskId && !isTerminal(s.run.status)).map((s) => s.run);
  }

  /** How many runs hold the task (claimed, running, awaiting a decision). */
  async occupied(taskId: string): Promise<number> {
    this.#guards.add(taskId);
    return this.c.runs.countDocuments({ task_id: taskId, status: { $in: [...OCCUPYING_STATUSES] } }, { session: this.session });
  }

  create(planned: PlannedRunWrite): RunWrite {
    this.#slots.set(planned.run.run_id, { before: null, version: 0, seq: 0, run: planned.run, events: [] });
    return this.write(planned);
  }

  write(planned: PlannedRunWrite): RunWrite {
    const slot = this.#slots.get(planned.run.run_id);
    if (slot === undefined) throw new Error(`run ${planned.run.run_id} was not read in this transaction`);
    slot.run = planned.run;
    slot.events.push(...planned.events);
    return { run: structuredClone(planned.run), events: planned.events.map((event) => structuredClone(event)) };
  }

  async writeAttempts(runId: string, writes: readonly AttemptWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const before = await this.attempts(runId);
    this.#attempts.push({ runId, before, after: applyAttemptWrites(before, writes) });
  }

  async attempts(runId: string): Promise<BackgroundAttempt[]> {
    const docs = await this.c.attempts.find({ run_id: runId }, { session: this.session }).sort({ attempt_number: 1 }).toArray();
    return docs.map((doc) => JSON.parse(doc.data) as BackgroundAttempt);
  }

  /** Marks the task's runs as changed by this transaction (runs deleted without being read, say). */
  guard(taskId: string): void {
    this.#guards.add(taskId);
    this.#forced = true;
  }

  /** Writes everything staged, in the session; throws `WriteConflict` when a run changed since it was read. */
  async flush(): Promise<void> {
    const session = this.session;
    let wrote = false;
    for (const [runId, slot] of this.#slots) {
      const { before, run } = slot;
      if (before === run && slot.events.length === 0) continue;
      wrote = true;
      if (before === null || isTerminal(before.status) !== isTerminal(run.status) || occupying(before.status) !== occupying(run.status)) {
        this.#guards.add(run.task_id);
      }
      if (before === null) {
        await this.c.runs.insertOne(runDoc(run, 1, slot.events.length), { session });
      } else {
        const { _id, seq, ...fields } = runDoc(run, slot.version + 1, slot.seq);
        const previous = await this.c.runs.findOneAndUpdate(
          { _id: runId, version: slot.version },
          { $set: fields, $inc: { seq: slot.events.length } },
          { session, returnDocument: 'before' },
        );
        if (previous === null || previous.seq !== seq) throw new WriteConflict(`run ${runId} changed`);
      }
      if (slot.events.length > 0) {
        await this.c.events.insertMany(
          slot.events.map((event) => ({ _id: `${runId}:${event.sequence}`, run_id: runId, sequence: event.sequence, data: JSON.stringify(event) })),
          { session },
        );
      }
    }
    for (const { runId, before, after } of this.#attempts) await this.#flushAttempts(runId, before, after);
    wrote ||= this.#forced;
    // A transaction that only read (nothing claimable, say) needs no guard: it cannot have acted on a stale read.
    if (!wrote) return;
    for (const taskId of this.#guards) {
      await this.c.guards.updateOne({ _id: taskId }, { $inc: { writes: 1 } }, { session, upsert: true });
    }
  }

  async #flushAttempts(runId: string, before: readonly BackgroundAttempt[], after: readonly BackgroundAttempt[]): Promise<void> {
    const kept = new Set(after.map((attempt) => attempt.attempt_id));
    const gone = before.filter((attempt) => !kept.has(attempt.attempt_id)).map((attempt) => attempt.attempt_id);
    if (gone.length > 0) await this.c.attempts.deleteMany({ _id: { $in: gone } }, { session: this.session });
    const stored = new Map(before.map((attempt) => [attempt.attempt_id, JSON.stringify(attempt)]));
    for (const attempt of after) {
      const data = JSON.stringify(attempt);
      if (stored.get(attempt.attempt_id) === data) continue;
      const doc: AttemptDoc = { _id: attempt.attempt_id, run_id: runId, attempt_number: attempt.attempt_number, data };
      await this.c.attempts.replaceOne({ _id: doc._id }, doc, { session: this.session, upsert: true });
    }
  }
}
