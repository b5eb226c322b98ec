import type { ClientSession, Db, Filter, MongoClient, TransactionOptions } from 'mongodb';
import { LeaseLostError, RecordExistsError, RecordNotFoundError, TaskStoreError } from '../../background/background-errors.ts';
import type { BackgroundAgent, BackgroundTask } from '../../background/background-records.ts';
import {
  applyRunChange,
  isClaimable,
  planAdmission,
  planCancel,
  planClaim,
  planHeartbeat,
  type ClaimRequest,
  type RunChange,
} from '../../background/run-changes.ts';
import type { BackgroundAttempt, BackgroundRun, LifecycleEvent, RunStatus, ScheduleState } from '../../background/run-record.ts';
import type {
  AdmitWrite,
  CancelWrite,
  ClaimOptions,
  DispatchCommit,
  DispatchWrite,
  DueSchedule,
  RunCounts,
  RunFilter,
  RunWrite,
  TaskStore,
} from '../../background/task-store.ts';
import { createTaskIndexes, parseData, taskCollections, type MongoTaskCollections, type RunDoc } from './mongo-task-collections.ts';
import { isDuplicateKey, MongoTaskTx, WriteConflict } from './mongo-task-tx.ts';

const MAX_TRIES = 50;
const PAGE = 16;
const TRANSACTION: TransactionOptions = { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } };

/**
 * The background task store in MongoDB (spec 6.6): collections `<prefix>_agents`, `_tasks`, `_schedule_states`,
 * `_runs`, `_attempts`, `_events` (and `_task_guards`), one document per record with its key fields, its JSON and
 * a version; indexes are created at start, and writes wait for a majority.
 *
 * Every write is one transaction (so the deployment must be a replica set or a sharded cluster; `prepare()` says
 * so at start otherwise): the records are read in it, the change is planned by the pure rules of
 * `run-changes.ts`, and written back with version-checked `findOneAndUpdate`s; a run's event counter is `$inc`ed in
 * that same update. The unique index on (task_id, occurrence_id) keeps an occurrence to one run, and the task guard
 * documents keep two transactions from both acting on a task's runs as they were before the other (write skew).
 * A conflict runs the work again (at most 50 times).
 *
 * The store borrows its client: whoever opened it closes it.
 */
export class MongoTaskStore implements TaskStore {
  readonly #client: MongoClient;
  readonly #db: Db;
  readonly #c: MongoTaskCollections;

  constructor(client: MongoClient, db: Db, collectionPrefix: string) {
    this.#client = client;
    this.#db = db;
    this.#c = taskCollections(db, collectionPrefix);
  }

  /** Checks the deployment can run transactions, and creates the indexes. */
  async prepare(): Promise<void> {
    const hello = (await this.#db.command({ hello: 1 })) as { setName?: unknown; msg?: unknown };
    if (typeof hello.setName !== 'string' && hello.msg !== 'isdbgrid') {
      throw new Error(
        'the MongoDB task store uses transactions, which need a replica set or a sharded cluster; run a single server as a one-member replica set (mongod --replSet rs0, then rs.initiate())',
      );
    }
    await createTaskIndexes(this.#db, this.#c);
  }

  // Agents

  async saveAgent(agent: BackgroundAgent, options: { readonly replace: boolean }): Promise<boolean> {
    return this.#transact(async (tx) => {
      const session = tx.session;
      const existing = await this.#c.agents.findOne({ _id: agent.agent_id }, { session });
      if (existing !== null && !options.replace) throw new RecordExistsError('agent', agent.agent_id);
      const doc = { _id: agent.agent_id, data: JSON.stringify(agent), version: (existing?.version ?? 0) + 1 };
      await this.#c.agents.replaceOne({ _id: agent.agent_id }, doc, { session, upsert: true });
      return existing !== null;
    });
  }

  async getAgent(agentId: string): Promise<BackgroundAgent | null> {
    return parseData<BackgroundAgent>(await this.#c.agents.findOne({ _id: agentId }));
  }

  async listAgents(): Promise<BackgroundAgent[]> {
    const docs = await this.#c.agents.find({}).sort({ _id: 1 }).toArray();
    return docs.map((doc) => JSON.parse(doc.data) as BackgroundAgent);
  }

  async deleteAgent(agentId: string): Promise<boolean> {
    return (await this.#c.agents.deleteOne({ _id: agentId })).deletedCount === 1;
  }

  // Tasks and schedules

  async saveTask(task: BackgroundTask, state: ScheduleState, options: { readonly replace: boolean }): Promise<boolean> {
    return this.#transact(async (tx) => {
      const session = tx.session;
      const existing = await this.#c.tasks.findOne({ _id: task.task_id }, { session });
      if (existing !== null && !options.replace) throw new RecordExistsError('task', task.task_id);
      const doc = { _id: task.task_id, agent_id: task.agent_id, data: JSON.stringify(task), version: (existing?.version ?? 0) + 1 };
      await this.#c.tasks.replaceOne({ _id: task.task_id }, doc, { session, upsert: true });
      await this.#putState(session, task, state);
      return existing !== null;
    });
  }

  async getTask(taskId: string): Promise<BackgroundTask | null> {
    return parseData<BackgroundTask>(await this.#c.tasks.findOne({ _id: taskId }));
  }

  async listTasks(filter: { readonly agentId?: string } = {}): Promise<BackgroundTask[]> {
    const docs = await this.#c.tasks.find(filter.agentId === undefined ? {} : { agent_id: filter.agentId }).sort({ _id: 1 }).toArray();
    return docs.map((doc) => JSON.parse(doc.data) as BackgroundTask);
  }

  async deleteTask(taskId: string, options: { readonly deleteRuns: boolean }): Promise<boolean> {
    return this.#transact(async (tx) => {
      const session = tx.session;
      const existed = (await this.#c.tasks.deleteOne({ _id: taskId }, { session })).deletedCount === 1;
      await this.#c.states.deleteOne({ _id: taskId }, { session });
      if (options.deleteRuns) {
        const ids = (await this.#c.runs.find({ task_id: taskId }, { session, projection: { _id: 1 } }).toArray()).map((doc) => doc._id);
        await this.#c.runs.deleteMany({ task_id: taskId }, { session });
        await this.#c.attempts.deleteMany({ run_id: { $in: ids } }, { session });
        await this.#c.events.deleteMany({ run_id: { $in: ids } }, { session });
        tx.guard(taskId);
      }
      return existed;
    });
  }

  async getScheduleState(taskId: string): Promise<ScheduleState | null> {
    return parseData<ScheduleState>(await this.#c.states.findOne({ _id: taskId }));
  }

  async setSchedulePaused(taskId: string, paused: boolean, reason: string | null, now: string): Promise<ScheduleState | null> {
    return this.#transact(async (tx) => {
      const state = parseData<ScheduleState>(await this.#c.states.findOne({ _id: taskId }, { session: tx.session }));
      if (state === null) return null;
      const task = parseData<BackgroundTask>(await this.#c.tasks.findOne({ _id: taskId }, { session: tx.session }));
      const next: ScheduleState = { ...state, paused, paused_reason: paused ? reason : null, updated_at: now };
      await this.#putState(tx.session, task, next);
      return next;
    });
  }

  // Dispatch

  async listDueSchedules(now: string, limit: number): Promise<DueSchedule[]> {
    if (limit <= 0) return [];
    const states = await this.#c.states.find({ due_at: { $ne: null, $lte: now } }).sort({ due_at: 1, _id: 1 }).limit(limit).toArray();
    const tasks = await this.#c.tasks.find({ _id: { $in: states.map((doc) => doc._id) } }).toArray();
    const byId = new Map(tasks.map((doc) => [doc._id, JSON.parse(doc.data) as BackgroundTask]));
    const due: DueSchedule[] = [];
    for (const doc of states) {
      const task = byId.get(doc._id);
      const state = JSON.parse(doc.data) as ScheduleState;
      if (task === undefined || !task.enabled || state.paused || state.next_due_at === null || state.next_due_at > now) continue;
      due.push({ task, state });
    }
    return due;
  }

  async commitDispatch(commit: DispatchCommit): Promise<DispatchWrite> {
    return this.#transact(async (tx) => {
      const session = tx.session;
      const state = parseData<ScheduleState>(await this.#c.states.findOne({ _id: commit.taskId }, { session }));
      const task = parseData<BackgroundTask>(await this.#c.tasks.findOne({ _id: commit.taskId }, { session }));
      const matches =
        state !== null &&
        task !== null &&
        state.schedule_revision === commit.expect.schedule_revision &&
        state.next_due_at === commit.expect.next_due_at;
      if (!matches) return { committed: false, runs: [], cancelled: [] };
      const runs: RunWrite[] = [];
      const cancelled: RunWrite[] = [];
      const seen = new Set<string>();
      for (const run of commit.runs) {
        if (seen.has(run.occurrence_id)) continue;
        seen.add(run.occurrence_id);
        if ((await this.#taken(session, run)) !== null) continue;
        const admitted = await this.#admit(tx, run, commit.now);
        runs.push(...admitted.runs);
        cancelled.push(...admitted.cancelled);
      }
      await this.#putState(session, task, commit.state);
      return { committed: true, runs, cancelled };
    });
  }

  // Runs

  async admitRun(run: BackgroundRun, now: string): Promise<AdmitWrite> {
    return this.#transact(async (tx) => {
      const taken = await this.#taken(tx.session, run);
      if (taken !== null) throw new RecordExistsError('run', taken._id === run.run_id ? run.run_id : run.occurrence_id);
      return this.#admit(tx, run, now);
    });
  }

  async getRun(runId: string): Promise<BackgroundRun | null> {
    return parseData<BackgroundRun>(await this.#c.runs.findOne({ _id: runId }));
  }

  async listRuns(filter: RunFilter = {}): Promise<BackgroundRun[]> {
    const cursor = this.#c.runs.find(runFilter(filter)).sort({ queued_at: -1, _id: -1 });
    const docs = await (filter.limit === undefined ? cursor : cursor.limit(filter.limit)).toArray();
    return docs.map((doc) => JSON.parse(doc.data) as BackgroundRun);
  }

  async countRuns(filter: Omit<RunFilter, 'limit' | 'statuses'> = {}): Promise<RunCounts> {
    const groups = await this.#c.runs
      .aggregate<{ _id: RunStatus; n: number }>([{ $match: runFilter(filter) }, { $group: { _id: '$status', n: { $sum: 1 } } }])
      .toArray();
    const byStatus: Partial<Record<RunStatus, number>> = {};
    for (const group of groups) byStatus[group._id] = group.n;
    return { total: groups.reduce((sum, group) => sum + group.n, 0), byStatus };
  }

  async countClaimable(now: string, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    // Runs blocked by another run of their task are counted too: a claim round then stops at its first miss.
    return this.#c.runs.countDocuments({ status: 'queued', queued_at: { $lte: now } }, { limit });
  }

  async claimNextRun(claim: ClaimRequest, options: ClaimOptions = {}): Promise<RunWrite | null> {
    if (options.runId !== undefined) {
      const runId = options.runId;
      const claimed = await this.#transact((tx) => claimIn(tx, runId, claim));
      return typeof claimed === 'string' ? null : claimed;
    }
    // Oldest first, a page at a time; runs passed over (not claimable now) stay at the head of the queue.
    const passed = new Set<string>();
    const taken = new Set<string>();
    let offset = 0;
    for (;;) {
      const page = await this.#c.runs
        .find({ status: 'queued', queued_at: { $lte: claim.now } }, { projection: { _id: 1 } })
        .sort({ queued_at: 1, _id: 1 })
        .skip(offset)
        .limit(PAGE)
        .toArray();
      let considered = 0;
      for (const { _id: runId } of page) {
        if (passed.has(runId) || taken.has(runId)) continue;
        considered += 1;
        const claimed = await this.#transact((tx) => claimIn(tx, runId, claim));
        if (typeof claimed !== 'string') return claimed;
        (claimed === 'blocked' ? passed : taken).add(runId);
      }
      if (page.length < PAGE) return null;
      offset = considered === 0 ? offset + page.length : passed.size;
    }
  }

  async updateRun(runId: string, change: RunChange): Promise<RunWrite> {
    return this.#transact(async (tx) => {
      const loaded = await tx.run(runId);
      if (loaded === null) throw new RecordNotFoundError('run', runId);
      const planned = applyRunChange(loaded.run, loaded.seq, change);
      await tx.writeAttempts(runId, change.attempts ?? []);
      return tx.write(planned);
    });
  }

  async extendLease(runId: string, leaseToken: string, now: string, leaseMs: number): Promise<RunWrite | null> {
    return this.#transact(async (tx) => {
      const loaded = await tx.run(runId);
      if (loaded === null) return null;
      try {
        return tx.write(planHeartbeat(loaded.run, loaded.seq, leaseToken, now, leaseMs));
      } catch (error) {
        if (error instanceof LeaseLostError) return null;
        throw error;
      }
    });
  }

  async requestCancel(runId: string, now: string, workerId: string | null): Promise<CancelWrite | null> {
    return this.#transact(async (tx) => {
      const loaded = await tx.run(runId);
      if (loaded === null) return null;
      const planned = planCancel(loaded.run, loaded.seq, now, workerId);
      return { ...tx.write(planned), cancelledNow: planned.cancelledNow };
    });
  }

  async nextWakeTime(): Promise<string | null> {
    const state = await this.#c.states.find({ due_at: { $ne: null } }, { projection: { due_at: 1 } }).sort({ due_at: 1 }).limit(1).next();
    const run = await this.#c.runs.find({ status: 'queued' }, { projection: { queued_at: 1 } }).sort({ queued_at: 1 }).limit(1).next();
    const times = [state?.due_at, run?.queued_at].filter((time): time is string => typeof time === 'string').sort();
    return times[0] ?? null;
  }

  async listExpiredLeases(now: string, limit: number): Promise<BackgroundRun[]> {
    if (limit <= 0) return [];
    const docs = await this.#c.runs.find({ lease_expires_at: { $ne: null, $lte: now } }).sort({ lease_expires_at: 1, _id: 1 }).limit(limit).toArray();
    return docs.map((doc) => JSON.parse(doc.data) as BackgroundRun);
  }

  async listAttempts(runId: string): Promise<BackgroundAttempt[]> {
    const docs = await this.#c.attempts.find({ run_id: runId }).sort({ attempt_number: 1 }).toArray();
    return docs.map((doc) => JSON.parse(doc.data) as BackgroundAttempt);
  }

  async listRunEvents(runId: string): Promise<LifecycleEvent[]> {
    const docs = await this.#c.events.find({ run_id: runId }).sort({ sequence: 1 }).toArray();
    return docs.map((doc) => JSON.parse(doc.data) as LifecycleEvent);
  }

  async close(): Promise<void> {}

  // Helpers

  /** Runs `work` in a transaction, again when a version check or a unique index says it raced another writer. */
  async #transact<T>(work: (tx: MongoTaskTx) => Promise<T>): Promise<T> {
    for (let attempt = 0; attempt < MAX_TRIES; attempt += 1) {
      const session = this.#client.startSession();
      try {
        return await session.withTransaction(async (s) => {
          const tx = new MongoTaskTx(this.#c, s);
          const result = await work(tx);
          await tx.flush();
          return result;
        }, TRANSACTION);
      } catch (error) {
        if (!(error instanceof WriteConflict) && !isDuplicateKey(error)) throw error;
      } finally {
        await session.endSession();
      }
      if (attempt >= 2) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 20)));
    }
    throw new TaskStoreError(`MongoDB task store: a write conflicted ${MAX_TRIES} times in a row with other writers; try again`);
  }

  async #admit(tx: MongoTaskTx, run: BackgroundRun, now: string): Promise<AdmitWrite> {
    const looks = run.overlap_policy === 'skip_if_running' || run.overlap_policy === 'cancel_previous';
    const unfinished = looks ? await tx.unfinished(run.task_id) : [];
    const planned = planAdmission(structuredClone(run), unfinished, now);
    const written = tx.create({ run: planned.run, events: planned.events });
    const cancelled: RunWrite[] = [];
    for (const otherId of planned.cancel) {
      const other = await tx.run(otherId);
      if (other !== null) cancelled.push(tx.write(planCancel(other.run, other.seq, now, null)));
    }
    return { runs: [written], cancelled };
  }

  /** The stored run holding this run's id or its occurrence, if any. */
  async #taken(session: ClientSession, run: BackgroundRun): Promise<RunDoc | null> {
    return this.#c.runs.findOne(
      { $or: [{ _id: run.run_id }, { task_id: run.task_id, occurrence_id: run.occurrence_id }] },
      { session, projection: { _id: 1 } },
    );
  }

  /** Writes a schedule state with its `due_at`: the next due time while the task is enabled and not paused. */
  async #putState(session: ClientSession, task: BackgroundTask | null, state: ScheduleState): Promise<void> {
    const existing = await this.#c.states.findOne({ _id: state.task_id }, { session, projection: { version: 1 } });
    const due = task?.enabled === true && !state.paused ? state.next_due_at : null;
    const doc = { _id: state.task_id, data: JSON.stringify(state), version: (existing?.version ?? 0) + 1, due_at: due };
    const written = await this.#c.states.replaceOne({ _id: state.task_id, version: existing?.version ?? { $exists: false } }, doc, { session, upsert: true });
    if (written.matchedCount === 0 && written.upsertedCount === 0) throw new WriteConflict(`schedule state ${state.task_id} changed`);
  }
}

/** Plans a claim in `tx`: the write, or why not (`taken`: no longer queued; `blocked`: queued but not claimable). */
async function claimIn(tx: MongoTaskTx, runId: string, claim: ClaimRequest): Promise<RunWrite | 'taken' | 'blocked'> {
  const loaded = await tx.run(runId);
  if (loaded === null || loaded.run.status !== 'queued') return 'taken';
  const { run } = loaded;
  const occupied = run.overlap_policy === 'allow_parallel' || run.queued_at > claim.now ? 0 : await tx.occupied(run.task_id);
  if (!isClaimable(run, claim.now, occupied > 0)) return 'blocked';
  const planned = planClaim(run, loaded.seq, claim);
  await tx.writeAttempts(runId, planned.attempts);
  return tx.write(planned);
}

function runFilter(filter: Omit<RunFilter, 'limit'>): Filter<RunDoc> {
  const query: Filter<RunDoc> = {};
  if (filter.taskId !== undefined) query.task_id = filter.taskId;
  if (filter.agentId !== undefined) query.agent_id = filter.agentId;
  if (filter.statuses !== undefined) query.status = { $in: [...filter.statuses] };
  return query;
}
