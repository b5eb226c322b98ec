import type { Redis } from 'ioredis';
import { applyAttemptWrites, type AttemptWrite, type PlannedRunWrite } from '../../background/run-changes.ts';
import {
  isTerminal,
  LEASED_STATUSES,
  OCCUPYING_STATUSES,
  type BackgroundAttempt,
  type BackgroundRun,
  type LifecycleEvent,
  type RunStatus,
} from '../../background/run-record.ts';
import type { RunWrite } from '../../background/task-store.ts';
import { RedisCommit, type Write } from './redis-task-commit.ts';
import { score, type RedisTaskKeys } from './redis-task-keys.ts';

export interface LoadedRun {
  readonly run: BackgroundRun;
  /** The sequence of its last lifecycle event, counting events this transaction added. */
  readonly seq: number;
}

interface Slot {
  readonly before: BackgroundRun | null;
  run: BackgroundRun;
  readonly seq: number;
  readonly events: LifecycleEvent[];
  deleted: boolean;
}

const occupying = (status: RunStatus) => (OCCUPYING_STATUSES as readonly RunStatus[]).includes(status);
const leased = (status: RunStatus) => (LEASED_STATUSES as readonly RunStatus[]).includes(status);

/**
 * One optimistic transaction over runs: reads go to Redis and put their version into the commit's conditions;
 * writes are staged here, and `finish()` turns them into the record writes plus every index (queued, leased,
 * open, counts, events) the run's new status calls for, so no caller keeps an index by hand.
 */
export class RedisTaskTx {
  readonly commit = new RedisCommit();
  readonly #slots = new Map<string, Slot>();
  readonly #openLoaded = new Set<string>();
  readonly #late: Write[] = [];

  constructor(
    readonly redis: Redis,
    readonly keys: RedisTaskKeys,
  ) {}

  /** Reads a record hash's `data` and conditions the commit on its version. */
  async record<T>(key: string): Promise<T | null> {
    const [data, version] = await this.redis.hmget(key, 'data', 'version');
    this.commit.check(['v', key, version ?? '0']);
    return data == null ? null : (JSON.parse(data) as T);
  }

  async run(runId: string): Promise<LoadedRun | null> {
    const slot = this.#slots.get(runId);
    if (slot !== undefined) return slot.deleted ? null : { run: slot.run, seq: slot.seq + slot.events.length };
    const [data, version, seq] = await this.redis.hmget(this.keys.run(runId), 'data', 'version', 'seq');
    return this.seed(runId, data ?? null, version ?? null, seq ?? null);
  }

  /** Takes a run read elsewhere (a pipelined page of claim candidates) as if `run()` had read it. */
  seed(runId: string, data: string | null, version: string | null, seq: string | null): LoadedRun | null {
    this.commit.check(['v', this.keys.run(runId), version ?? '0']);
    if (data === null) return null;
    const run = JSON.parse(data) as BackgroundRun;
    this.#slots.set(runId, { before: run, run, seq: Number(seq ?? 0), events: [], deleted: false });
    return { run, seq: Number(seq ?? 0) };
  }

  /** The task's unfinished runs, including those this transaction added; the commit requires the set unchanged. */
  async unfinished(taskId: string): Promise<BackgroundRun[]> {
    if (!this.#openLoaded.has(taskId)) {
      this.#openLoaded.add(taskId);
      const ids = await this.redis.zrange(this.keys.open(taskId), 0, -1);
      this.commit.check(['zcard', this.keys.open(taskId), String(ids.length)]);
      const fresh = ids.filter((id) => !this.#slots.has(id));
      const rows = await readRuns(this.redis, this.keys, fresh);
      fresh.forEach((id, i) => this.seed(id, ...(rows[i] as RunRow)));
    }
    return [...this.#slots.values()].filter((s) => !s.deleted && s.run.task_id === taskId && !isTerminal(s.run.status)).map((s) => s.run);
  }

  /**
   * How many runs hold the task (claimed, running, awaiting); the commit requires the number unchanged. `known` is
   * a count read elsewhere (with a page of claim candidates).
   */
  async occupied(taskId: string, known?: number): Promise<number> {
    const count = known ?? (await this.redis.zcount(this.keys.open(taskId), 1, 1));
    this.commit.check(['zc', this.keys.open(taskId), '1', '1', String(count)]);
    return count;
  }

  /** A new run: its id and its occurrence must still be free when the commit applies. */
  create(planned: PlannedRunWrite): RunWrite {
    const { run } = planned;
    this.commit.check(['absent', this.keys.run(run.run_id)]);
    this.commit.check(['absent', this.keys.occurrence(run.task_id, run.occurrence_id)]);
    this.#slots.set(run.run_id, { before: null, run, seq: 0, events: [], deleted: false });
    return this.write(planned);
  }

  /** Stages a planned write of a run this transaction read or created. */
  write(planned: PlannedRunWrite): RunWrite {
    const slot = this.#slots.get(planned.run.run_id);
    if (slot === undefined || slot.deleted) throw new Error(`run ${planned.run.run_id} was not read in this transaction`);
    slot.run = planned.run;
    slot.events.push(...planned.events);
    return { run: structuredClone(planned.run), events: planned.events.map((event) => structuredClone(event)) };
  }

  /** Applies attempt writes (`applyAttemptWrites`) to the run's stored attempts. Covered by the run's version. */
  async writeAttempts(runId: string, writes: readonly AttemptWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const stored = await this.attempts(runId);
    const next = applyAttemptWrites(stored, writes);
    const kept = new Set(next.map((attempt) => attempt.attempt_id));
    for (const old of stored) {
      if (kept.has(old.attempt_id)) continue;
      this.commit.write(['del', this.keys.attempt(old.attempt_id)]);
      this.commit.write(['zrem', this.keys.runAttempts(runId), old.attempt_id]);
    }
    const before = new Map(stored.map((attempt) => [attempt.attempt_id, JSON.stringify(attempt)]));
    for (const attempt of next) {
      const json = JSON.stringify(attempt);
      if (before.get(attempt.attempt_id) === json) continue;
      this.commit.write(['put', this.keys.attempt(attempt.attempt_id), json]);
      this.commit.write(['zadd', this.keys.runAttempts(runId), String(attempt.attempt_number), attempt.attempt_id]);
    }
  }

  async attempts(runId: string): Promise<BackgroundAttempt[]> {
    const ids = await this.redis.zrange(this.keys.runAttempts(runId), 0, -1);
    if (ids.length === 0) return [];
    const rows = await this.#hgetData(ids.map((id) => this.keys.attempt(id)));
    return rows.filter((row): row is string => row !== null).map((row) => JSON.parse(row) as BackgroundAttempt);
  }

  /** Removes a run this transaction read, with its events, attempts and index entries. */
  async deleteRun(runId: string): Promise<void> {
    const slot = this.#slots.get(runId);
    if (slot === undefined || slot.deleted) return;
    for (const id of await this.redis.zrange(this.keys.runAttempts(runId), 0, -1)) this.commit.write(['del', this.keys.attempt(id)]);
    slot.deleted = true;
  }

  /** A write staged after every run write (deleting a hash the run writes decrement). */
  afterwards(write: Write): void {
    this.#late.push(write);
  }

  /** Stages every record and index write; call once, before committing. */
  finish(): void {
    for (const [runId, slot] of this.#slots) {
      const { before, run } = slot;
      if (slot.deleted) {
        if (before !== null) this.#deleteWrites(runId, before);
        continue;
      }
      if (before === run && slot.events.length === 0) continue;
      const k = this.keys;
      if (before === null) {
        this.commit.write(['sadd', k.runs, runId]);
        this.commit.write(['sadd', k.taskRuns(run.task_id), runId]);
        this.commit.write(['set', k.occurrence(run.task_id, run.occurrence_id), runId]);
      }
      this.commit.write(['put', k.run(runId), JSON.stringify(run)]);
      // Which task an exclusive run waits for, beside its data, so claim candidates are judged without parsing it.
      if (before === null && run.overlap_policy !== 'allow_parallel') this.commit.write(['hset', k.run(runId), 'exclusive', run.task_id]);
      if (slot.events.length > 0) {
        this.commit.write(['rpush', k.runEvents(runId), ...slot.events.map((event) => JSON.stringify(event))]);
        this.commit.write(['hincr', k.run(runId), 'seq', String(slot.events.length)]);
      }
      if (before?.status !== run.status) {
        if (before !== null) this.#count(run, before.status, -1);
        this.#count(run, run.status, 1);
      }
      if (!isTerminal(run.status)) this.commit.write(['zadd', k.open(run.task_id), occupying(run.status) ? '1' : '0', runId]);
      else if (before !== null && !isTerminal(before.status)) this.commit.write(['zrem', k.open(run.task_id), runId]);
      if (run.status === 'queued') this.commit.write(['zadd', k.queued, score(run.queued_at), runId]);
      else if (before?.status === 'queued') this.commit.write(['zrem', k.queued, runId]);
      if (leased(run.status) && run.lease_expires_at !== null) this.commit.write(['zadd', k.leased, score(run.lease_expires_at), runId]);
      else if (before !== null && leased(before.status)) this.commit.write(['zrem', k.leased, runId]);
    }
    for (const write of this.#late) this.commit.write(write);
  }

  #deleteWrites(runId: string, run: BackgroundRun): void {
    const k = this.keys;
    for (const key of [k.run(runId), k.runEvents(runId), k.runAttempts(runId), k.occurrence(run.task_id, run.occurrence_id)]) {
      this.commit.write(['del', key]);
    }
    this.commit.write(['srem', k.runs, runId]);
    this.commit.write(['srem', k.taskRuns(run.task_id), runId]);
    this.commit.write(['zrem', k.open(run.task_id), runId]);
    this.commit.write(['zrem', k.queued, runId]);
    this.commit.write(['zrem', k.leased, runId]);
    this.#count(run, run.status, -1);
  }

  #count(run: BackgroundRun, status: RunStatus, delta: 1 | -1): void {
    for (const key of [this.keys.counts, this.keys.taskCounts(run.task_id), this.keys.agentCounts(run.agent_id)]) {
      this.commit.write(['hincr', key, status, String(delta)]);
    }
  }

  async #hgetData(keys: readonly string[]): Promise<(string | null)[]> {
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.hget(key, 'data');
    return ((await pipeline.exec()) ?? []).map(([error, value]) => {
      if (error) throw error;
      return (value as string | null) ?? null;
    });
  }
}

export type RunRow = [data: string | null, version: string | null, seq: string | null];

/** The stored hashes of these runs, in one round trip. */
export async function readRuns(redis: Redis, keys: RedisTaskKeys, ids: readonly string[]): Promise<RunRow[]> {
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(keys.run(id), 'data', 'version', 'seq');
  return ((await pipeline.exec()) ?? []).map(([error, value]) => {
    if (error) throw error;
    return value as RunRow;
  });
}
