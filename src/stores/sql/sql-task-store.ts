import type { Kysely, SelectQueryBuilder } from 'kysely';
import { LeaseLostError, RecordExistsError, RecordNotFoundError } from '../../background/background-errors.ts';
import type { BackgroundAgent, BackgroundTask } from '../../background/background-records.ts';
import { applyRunChange, planCancel, planClaim, planHeartbeat, type ClaimRequest, type RunChange } from '../../background/run-changes.ts';
import {
  LEASED_STATUSES,
  type BackgroundAttempt,
  type BackgroundRun,
  type LifecycleEvent,
  type RunStatus,
  type ScheduleState,
} from '../../background/run-record.ts';
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
import type { SqlTables } from './sql-migrations.ts';
import { SqlRunRows, storedRun } from './sql-task-store-runs.ts';
import { isUniqueViolation, SqlTransactions, StaleRowError } from './sql-task-store-tx.ts';
import type { SqlDialectName } from './sql-url.ts';

const parse = <T>(row: { data: unknown }): T => JSON.parse(row.data as string) as T;

interface StoredState {
  readonly state: ScheduleState;
  readonly version: number;
}

/**
 * The task store on PostgreSQL, MySQL/MariaDB or SQLite (spec 6.6). Every method that writes is one transaction
 * (`SqlTransactions`: retried whole on deadlocks and busy files) that reads the rows it changes under a row lock,
 * applies the pure planners of `run-changes.ts` and writes the result with a version check.
 *
 * - Claims take the oldest claimable queued run with `FOR UPDATE SKIP LOCKED` (PostgreSQL, MySQL 8, MariaDB
 *   10.6+), so parallel claimers never wait on one another's candidates; on SQLite the file's single writer does
 *   it. A run whose task allows no parallel runs marks the task in the unique `occupant` column when it is claimed:
 *   if another process claimed a run of the same task at the same moment, the second commit breaks the key and the
 *   claim is tried again, now seeing the task occupied.
 * - Dispatch locks the schedule state, compares it with what the dispatcher read, and admits the runs; the unique
 *   (task_id, occurrence_id) index stands behind the comparison, so an occurrence is inserted at most once.
 * - Admissions under `skip_if_running` or `cancel_previous` first lock the task's row in the locks table, so two
 *   admissions of one task (say a manual run and a dispatch, in two processes) see each other's runs.
 * - Locks are taken in one order everywhere: schedule state, then task lock, then runs.
 * - Lifecycle events are numbered from the run row's `last_sequence` in the transaction that changes the run.
 */
export class SqlTaskStore implements TaskStore {
  readonly #db: Kysely<any>;
  readonly #dialect: SqlDialectName;
  readonly #t: SqlTables;
  readonly #tx: SqlTransactions;
  readonly #rows: SqlRunRows;

  constructor(db: Kysely<any>, dialect: SqlDialectName, tables: SqlTables) {
    this.#db = db;
    this.#dialect = dialect;
    this.#t = tables;
    this.#tx = new SqlTransactions(db, dialect);
    this.#rows = new SqlRunRows(tables, dialect);
  }

  // Agents

  async saveAgent(agent: BackgroundAgent, options: { readonly replace: boolean }): Promise<boolean> {
    const table = this.#t.backgroundAgents;
    return this.#saving('agent', agent.agent_id, options.replace, async (trx) => {
      const row = await this.#locked(trx.selectFrom(table).select('version').where('agent_id', '=', agent.agent_id)).executeTakeFirst();
      if (row !== undefined && !options.replace) throw new RecordExistsError('agent', agent.agent_id);
      const data = JSON.stringify(agent);
      if (row === undefined) await trx.insertInto(table).values({ agent_id: agent.agent_id, version: 1, data }).execute();
      else await trx.updateTable(table).set({ data, version: Number(row.version) + 1 }).where('agent_id', '=', agent.agent_id).execute();
      return row !== undefined;
    });
  }

  async getAgent(agentId: string): Promise<BackgroundAgent | null> {
    const row = await this.#db.selectFrom(this.#t.backgroundAgents).select('data').where('agent_id', '=', agentId).executeTakeFirst();
    return row === undefined ? null : parse<BackgroundAgent>(row);
  }

  async listAgents(): Promise<BackgroundAgent[]> {
    const rows = await this.#db.selectFrom(this.#t.backgroundAgents).select('data').orderBy('agent_id').execute();
    return rows.map((row) => parse<BackgroundAgent>(row));
  }

  async deleteAgent(agentId: string): Promise<boolean> {
    const result = await this.#tx.run((trx) => trx.deleteFrom(this.#t.backgroundAgents).where('agent_id', '=', agentId).executeTakeFirst());
    return Number(result.numDeletedRows) > 0;
  }

  // Tasks and schedules

  async saveTask(task: BackgroundTask, state: ScheduleState, options: { readonly replace: boolean }): Promise<boolean> {
    const tasks = this.#t.backgroundTasks;
    return this.#saving('task', task.task_id, options.replace, async (trx) => {
      const row = await this.#locked(trx.selectFrom(tasks).select('version').where('task_id', '=', task.task_id)).executeTakeFirst();
      if (row !== undefined && !options.replace) throw new RecordExistsError('task', task.task_id);
      const columns = { agent_id: task.agent_id, enabled: task.enabled ? 1 : 0, data: JSON.stringify(task) };
      if (row === undefined) await trx.insertInto(tasks).values({ task_id: task.task_id, version: 1, ...columns }).execute();
      else await trx.updateTable(tasks).set({ ...columns, version: Number(row.version) + 1 }).where('task_id', '=', task.task_id).execute();
      await this.#putState(trx, state, await this.#lockState(trx, task.task_id));
      return row !== undefined;
    });
  }

  async getTask(taskId: string): Promise<BackgroundTask | null> {
    const row = await this.#db.selectFrom(this.#t.backgroundTasks).select('data').where('task_id', '=', taskId).executeTakeFirst();
    return row === undefined ? null : parse<BackgroundTask>(row);
  }

  async listTasks(filter: { readonly agentId?: string } = {}): Promise<BackgroundTask[]> {
    let query = this.#db.selectFrom(this.#t.backgroundTasks).select('data');
    if (filter.agentId !== undefined) query = query.where('agent_id', '=', filter.agentId);
    const rows = await query.orderBy('task_id').execute();
    return rows.map((row) => parse<BackgroundTask>(row));
  }

  async deleteTask(taskId: string, options: { readonly deleteRuns: boolean }): Promise<boolean> {
    const t = this.#t;
    return this.#tx.run(async (trx) => {
      // Lock order everywhere: schedule state, then the task's lock row, then runs.
      await this.#locked(trx.selectFrom(t.backgroundScheduleStates).select('task_id').where('task_id', '=', taskId)).execute();
      const deleted = await trx.deleteFrom(t.backgroundTasks).where('task_id', '=', taskId).executeTakeFirst();
      await trx.deleteFrom(t.backgroundScheduleStates).where('task_id', '=', taskId).execute();
      if (options.deleteRuns) {
        await this.#rows.lockTask(trx, taskId);
        const runIds = trx.selectFrom(t.backgroundRuns).select('run_id').where('task_id', '=', taskId);
        await trx.deleteFrom(t.backgroundRunEvents).where('run_id', 'in', runIds).execute();
        await trx.deleteFrom(t.backgroundAttempts).where('run_id', 'in', runIds).execute();
        await trx.deleteFrom(t.backgroundRuns).where('task_id', '=', taskId).execute();
        await trx.deleteFrom(t.backgroundTaskLocks).where('task_id', '=', taskId).execute();
      }
      return Number(deleted.numDeletedRows) > 0;
    });
  }

  async getScheduleState(taskId: string): Promise<ScheduleState | null> {
    const row = await this.#db.selectFrom(this.#t.backgroundScheduleStates).select('data').where('task_id', '=', taskId).executeTakeFirst();
    return row === undefined ? null : parse<ScheduleState>(row);
  }

  async setSchedulePaused(taskId: string, paused: boolean, reason: string | null, now: string): Promise<ScheduleState | null> {
    return this.#tx.run(async (trx) => {
      const stored = await this.#lockState(trx, taskId);
      if (stored === null) return null;
      const next: ScheduleState = { ...stored.state, paused, paused_reason: paused ? reason : null, updated_at: now };
      await this.#putState(trx, next, stored);
      return next;
    });
  }

  // Dispatch

  async listDueSchedules(now: string, limit: number): Promise<DueSchedule[]> {
    const rows = await this.#dueSchedules()
      .select(['s.data as state', 't.data as task'])
      .where('s.next_due_at', '<=', now)
      .orderBy('s.next_due_at')
      .orderBy('s.task_id')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ task: JSON.parse(row.task) as BackgroundTask, state: JSON.parse(row.state) as ScheduleState }));
  }

  async commitDispatch(commit: DispatchCommit): Promise<DispatchWrite> {
    return this.#tx.run(async (trx) => {
      // A state another dispatcher has locked is being dispatched (or edited) right now: leave it to that one rather
      // than queue behind it only to find it changed. A task and its state are deleted together (`deleteTask`), so
      // a stored state means the task exists.
      const stored = await this.#lockState(trx, commit.taskId, { skipLocked: true });
      const matches =
        stored !== null &&
        stored.state.schedule_revision === commit.expect.schedule_revision &&
        stored.state.next_due_at === commit.expect.next_due_at;
      if (!matches) return { committed: false, runs: [], cancelled: [] };
      const runs: RunWrite[] = [];
      const cancelled: RunWrite[] = [];
      for (const run of commit.runs) {
        const admitted = await this.#rows.admit(trx, run, commit.now, 'skip');
        runs.push(...admitted.runs);
        cancelled.push(...admitted.cancelled);
      }
      await this.#putState(trx, commit.state, stored);
      return { committed: true, runs, cancelled };
    });
  }

  // Runs

  async admitRun(run: BackgroundRun, now: string): Promise<AdmitWrite> {
    try {
      return await this.#tx.run((trx) => this.#rows.admit(trx, run, now, 'throw'));
    } catch (error) {
      // Another process inserted the same id or occurrence between our check and our insert.
      if (isUniqueViolation(error)) throw new RecordExistsError('run', run.run_id);
      throw error;
    }
  }

  async getRun(runId: string): Promise<BackgroundRun | null> {
    const row = await this.#db.selectFrom(this.#t.backgroundRuns).select('data').where('run_id', '=', runId).executeTakeFirst();
    return row === undefined ? null : parse<BackgroundRun>(row);
  }

  async listRuns(filter: RunFilter = {}): Promise<BackgroundRun[]> {
    let query = this.#runQuery(filter).select('data').orderBy('queued_at', 'desc').orderBy('run_id', 'desc');
    if (filter.statuses !== undefined) query = query.where('status', 'in', filter.statuses.length > 0 ? [...filter.statuses] : ['']);
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    return (await query.execute()).map((row) => parse<BackgroundRun>(row));
  }

  async countRuns(filter: Omit<RunFilter, 'limit' | 'statuses'> = {}): Promise<RunCounts> {
    const rows = await this.#runQuery(filter)
      .select((eb) => ['status', eb.fn.countAll().as('n')])
      .groupBy('status')
      .execute();
    const byStatus: Partial<Record<RunStatus, number>> = {};
    let total = 0;
    for (const row of rows) {
      const n = Number(row.n);
      byStatus[row.status as RunStatus] = n;
      total += n;
    }
    return { total, byStatus };
  }

  async countClaimable(now: string, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const rows = await this.#rows.claimable(this.#db).select('r.run_id').where('r.queued_at', '<=', now).limit(limit).execute();
    return rows.length;
  }

  async claimNextRun(claim: ClaimRequest, options: ClaimOptions = {}): Promise<RunWrite | null> {
    if (options.runId === undefined && options.likelyClaimable !== true) {
      // An idle worker asks every few milliseconds: a plain read answers "nothing" without taking any lock (on
      // SQLite, without queueing for the file's write lock behind the other processes).
      const any = await this.#rows.claimable(this.#db).select('r.run_id').where('r.queued_at', '<=', claim.now).limit(1).executeTakeFirst();
      if (any === undefined) return null;
    }
    // A unique-key failure means another process claimed a run of the same exclusive task first: try again.
    return this.#tx.run(
      async (trx) => {
        let query = this.#rows.claimable(trx).select(['r.data', 'r.version', 'r.last_sequence']).where('r.queued_at', '<=', claim.now);
        if (options.runId !== undefined) query = query.where('r.run_id', '=', options.runId);
        else query = query.orderBy('r.queued_at').orderBy('r.run_id').limit(1);
        if (this.#dialect !== 'sqlite') query = options.runId === undefined ? query.forUpdate().skipLocked() : query.forUpdate();
        const row = await query.executeTakeFirst();
        if (row === undefined) return null;
        const stored = storedRun(row);
        // The row lock was taken after the row was chosen: if it changed in between, choose again.
        if (stored.run.status !== 'queued' || stored.run.queued_at > claim.now) throw new StaleRowError(`run ${stored.run.run_id} changed`);
        const planned = planClaim(stored.run, stored.lastSequence, claim);
        return this.#rows.write(trx, stored, planned, planned.attempts);
      },
      { retryOnUnique: true },
    );
  }

  async updateRun(runId: string, change: RunChange): Promise<RunWrite> {
    return this.#tx.run(async (trx) => {
      const stored = await this.#rows.load(trx, runId);
      if (stored === null) throw new RecordNotFoundError('run', runId);
      const planned = applyRunChange(stored.run, stored.lastSequence, change);
      return this.#rows.write(trx, stored, planned, change.attempts);
    });
  }

  async extendLease(runId: string, leaseToken: string, now: string, leaseMs: number): Promise<RunWrite | null> {
    try {
      return await this.#tx.run(async (trx) => {
        const stored = await this.#rows.load(trx, runId);
        if (stored === null) return null;
        return this.#rows.write(trx, stored, planHeartbeat(stored.run, stored.lastSequence, leaseToken, now, leaseMs));
      });
    } catch (error) {
      if (error instanceof LeaseLostError) return null;
      throw error;
    }
  }

  async requestCancel(runId: string, now: string, workerId: string | null): Promise<CancelWrite | null> {
    return this.#tx.run(async (trx) => {
      const stored = await this.#rows.load(trx, runId);
      if (stored === null) return null;
      const planned = planCancel(stored.run, stored.lastSequence, now, workerId);
      if (planned.run === stored.run) return { run: stored.run, events: [], cancelledNow: false };
      return { ...(await this.#rows.write(trx, stored, planned)), cancelledNow: planned.cancelledNow };
    });
  }

  async nextWakeTime(): Promise<string | null> {
    const [due, queued] = await Promise.all([
      this.#dueSchedules().select('s.next_due_at as at').orderBy('s.next_due_at').limit(1).executeTakeFirst(),
      // Runs waiting for their task to be free are left out: they become claimable when a run ends, not at a time.
      this.#rows.claimable(this.#db).select('r.queued_at as at').orderBy('r.queued_at').limit(1).executeTakeFirst(),
    ]);
    const times = [due?.at, queued?.at].filter((at): at is string => typeof at === 'string').sort();
    return times[0] ?? null;
  }

  async listExpiredLeases(now: string, limit: number): Promise<BackgroundRun[]> {
    const rows = await this.#db
      .selectFrom(this.#t.backgroundRuns)
      .select('data')
      .where('status', 'in', [...LEASED_STATUSES])
      .where('lease_expires_at', 'is not', null)
      .where('lease_expires_at', '<=', now)
      .orderBy('lease_expires_at')
      .orderBy('run_id')
      .limit(limit)
      .execute();
    return rows.map((row) => parse<BackgroundRun>(row));
  }

  async listAttempts(runId: string): Promise<BackgroundAttempt[]> {
    const rows = await this.#db.selectFrom(this.#t.backgroundAttempts).select('data').where('run_id', '=', runId).orderBy('attempt_number').execute();
    return rows.map((row) => parse<BackgroundAttempt>(row));
  }

  async listRunEvents(runId: string): Promise<LifecycleEvent[]> {
    const rows = await this.#db.selectFrom(this.#t.backgroundRunEvents).select('data').where('run_id', '=', runId).orderBy('sequence').execute();
    return rows.map((row) => parse<LifecycleEvent>(row));
  }

  /** The connection belongs to the store bundle, which closes it. */
  async close(): Promise<void> {}

  /** A save of a keyed record; a concurrent insert of the same id is "exists" without `replace`, and retried with it. */
  async #saving(kind: 'agent' | 'task', id: string, replace: boolean, work: (trx: Kysely<any>) => Promise<boolean>): Promise<boolean> {
    try {
      return await this.#tx.run(work, { retryOnUnique: replace });
    } catch (error) {
      if (!replace && isUniqueViolation(error)) throw new RecordExistsError(kind, id);
      throw error;
    }
  }

  /** Enabled, unpaused schedules with a due time (`s` the state, `t` the task). */
  #dueSchedules() {
    const { backgroundScheduleStates: states, backgroundTasks: tasks } = this.#t;
    return this.#db
      .selectFrom(`${states} as s`)
      .innerJoin(`${tasks} as t`, 't.task_id', 's.task_id')
      .where('s.paused', '=', 0)
      .where('t.enabled', '=', 1)
      .where('s.next_due_at', 'is not', null);
  }

  #runQuery(filter: { readonly taskId?: string; readonly agentId?: string }) {
    let query = this.#db.selectFrom(this.#t.backgroundRuns);
    if (filter.taskId !== undefined) query = query.where('task_id', '=', filter.taskId);
    if (filter.agentId !== undefined) query = query.where('agent_id', '=', filter.agentId);
    return query;
  }

  /** Reads a task's schedule state and its row version, locking the row until the transaction ends. */
  async #lockState(trx: Kysely<any>, taskId: string, options: { readonly skipLocked?: boolean } = {}): Promise<StoredState | null> {
    const query = this.#locked(trx.selectFrom(this.#t.backgroundScheduleStates).select(['data', 'version']).where('task_id', '=', taskId));
    const row = await (options.skipLocked === true && this.#dialect !== 'sqlite' ? query.skipLocked() : query).executeTakeFirst();
    return row === undefined ? null : { state: parse<ScheduleState>(row), version: Number(row.version) };
  }

  /** Writes a task's schedule state over the one read with `#lockState` (inserts it when there was none). */
  async #putState(trx: Kysely<any>, state: ScheduleState, stored: StoredState | null): Promise<void> {
    const table = this.#t.backgroundScheduleStates;
    const columns = { paused: state.paused ? 1 : 0, next_due_at: state.next_due_at, data: JSON.stringify(state) };
    if (stored === null) {
      await trx.insertInto(table).values({ task_id: state.task_id, version: 1, ...columns }).execute();
      return;
    }
    const result = await trx
      .updateTable(table)
      .set({ ...columns, version: stored.version + 1 })
      .where('task_id', '=', state.task_id)
      .where('version', '=', stored.version)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw new StaleRowError(`schedule state of ${state.task_id} changed during the write`);
  }

  #locked<O>(query: SelectQueryBuilder<any, any, O>): SelectQueryBuilder<any, any, O> {
    return this.#dialect === 'sqlite' ? query : query.forUpdate();
  }
}
