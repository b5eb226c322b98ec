import type { Redis } from 'ioredis';
import { LeaseLostError, RecordExistsError, RecordNotFoundError, TaskStoreError } from '../../background/background-errors.ts';
import type { BackgroundAgent, BackgroundTask } from '../../background/background-records.ts';
import {
  applyRunChange,
  planAdmission,
  planCancel,
  planHeartbeat,
  type ClaimRequest,
  type RunChange,
} from '../../background/run-changes.ts';
import { isUnfinished, LEASED_STATUSES, type BackgroundAttempt, type BackgroundRun, type LifecycleEvent, type ScheduleState } from '../../background/run-record.ts';
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
import { RedisTaskClaims } from './redis-task-claims.ts';
import { defineCommit } from './redis-task-commit.ts';
import { RedisTaskKeys, score } from './redis-task-keys.ts';
import { compare, countsOf, newestFirst, present, readData } from './redis-task-reads.ts';
import { readRuns, RedisTaskTx, type RunRow } from './redis-task-tx.ts';

/** Optimistic transactions retried at most this often (as the reference's WATCH/MULTI store) before giving up. */
const MAX_TRIES = 50;

/**
 * The background task store in Redis (spec 6.6): one hash per record and sorted sets for the queue, due
 * schedules, leases and each task's unfinished runs, so every write is O(log n) whatever the history holds
 * (spec 13.14), and any number of processes can share it.
 *
 * Every write is an optimistic transaction (`RedisTaskTx`): read the records with their versions, plan the change
 * with the pure rules of `run-changes.ts`, and commit it with one Lua script that applies it only if nothing it
 * read has changed (otherwise read again, up to 50 times). A claim is conditioned on the run's version and, for a
 * task without parallel runs, on the task holding no run; a dispatch on the schedule's version; a new run on its
 * id and its occurrence key being free; lifecycle events are appended and the run's event counter incremented
 * in the same commit as the run. Key layout: redis-task-keys.ts.
 *
 * The store borrows its connection: whoever opened it closes it.
 */
export class RedisTaskStore implements TaskStore {
  readonly #redis: Redis;
  readonly #k: RedisTaskKeys;
  readonly #claims: RedisTaskClaims;

  constructor(redis: Redis, prefix: string) {
    defineCommit(redis);
    this.#redis = redis;
    this.#k = new RedisTaskKeys(prefix);
    this.#claims = new RedisTaskClaims(redis, this.#k, (work) => this.#transact(work), () => new RedisTaskTx(redis, this.#k));
  }

  // Agents

  async saveAgent(agent: BackgroundAgent, options: { readonly replace: boolean }): Promise<boolean> {
    return this.#transact(async (tx) => {
      const existing = await tx.record<BackgroundAgent>(this.#k.agent(agent.agent_id));
      if (existing !== null && !options.replace) throw new RecordExistsError('agent', agent.agent_id);
      tx.commit.write(['put', this.#k.agent(agent.agent_id), JSON.stringify(agent)]);
      tx.commit.write(['sadd', this.#k.agents, agent.agent_id]);
      return existing !== null;
    });
  }

  async getAgent(agentId: string): Promise<BackgroundAgent | null> {
    return this.#get<BackgroundAgent>(this.#k.agent(agentId));
  }

  async listAgents(): Promise<BackgroundAgent[]> {
    const ids = (await this.#redis.smembers(this.#k.agents)).sort(compare);
    return present(await readData<BackgroundAgent>(this.#redis, ids.map(this.#k.agent)));
  }

  async deleteAgent(agentId: string): Promise<boolean> {
    return this.#transact(async (tx) => {
      if ((await tx.record(this.#k.agent(agentId))) === null) return false;
      tx.commit.write(['del', this.#k.agent(agentId)]);
      tx.commit.write(['srem', this.#k.agents, agentId]);
      return true;
    });
  }

  // Tasks and schedules

  async saveTask(task: BackgroundTask, state: ScheduleState, options: { readonly replace: boolean }): Promise<boolean> {
    return this.#transact(async (tx) => {
      const existing = await tx.record<BackgroundTask>(this.#k.task(task.task_id));
      if (existing !== null && !options.replace) throw new RecordExistsError('task', task.task_id);
      await tx.record(this.#k.schedule(task.task_id));
      tx.commit.write(['put', this.#k.task(task.task_id), JSON.stringify(task)]);
      tx.commit.write(['sadd', this.#k.tasks, task.task_id]);
      this.#putState(tx, task, state);
      return existing !== null;
    });
  }

  async getTask(taskId: string): Promise<BackgroundTask | null> {
    return this.#get<BackgroundTask>(this.#k.task(taskId));
  }

  async listTasks(filter: { readonly agentId?: string } = {}): Promise<BackgroundTask[]> {
    const ids = (await this.#redis.smembers(this.#k.tasks)).sort(compare);
    const tasks = present(await readData<BackgroundTask>(this.#redis, ids.map(this.#k.task)));
    return tasks.filter((task) => filter.agentId === undefined || task.agent_id === filter.agentId);
  }

  async deleteTask(taskId: string, options: { readonly deleteRuns: boolean }): Promise<boolean> {
    return this.#transact(async (tx) => {
      const existed = (await tx.record(this.#k.task(taskId))) !== null;
      await tx.record(this.#k.schedule(taskId));
      for (const key of [this.#k.task(taskId), this.#k.schedule(taskId)]) tx.commit.write(['del', key]);
      tx.commit.write(['srem', this.#k.tasks, taskId]);
      tx.commit.write(['zrem', this.#k.due, taskId]);
      if (options.deleteRuns) {
        const ids = await this.#redis.smembers(this.#k.taskRuns(taskId));
        tx.commit.check(['scard', this.#k.taskRuns(taskId), String(ids.length)]);
        const rows = await readRuns(this.#redis, this.#k, ids);
        ids.forEach((id, i) => tx.seed(id, ...(rows[i] as RunRow)));
        for (const id of ids) await tx.deleteRun(id);
        tx.afterwards(['del', this.#k.taskCounts(taskId)]);
      }
      return existed;
    });
  }

  async getScheduleState(taskId: string): Promise<ScheduleState | null> {
    return this.#get<ScheduleState>(this.#k.schedule(taskId));
  }

  async setSchedulePaused(taskId: string, paused: boolean, reason: string | null, now: string): Promise<ScheduleState | null> {
    return this.#transact(async (tx) => {
      const state = await tx.record<ScheduleState>(this.#k.schedule(taskId));
      if (state === null) return null;
      const task = await tx.record<BackgroundTask>(this.#k.task(taskId));
      const next: ScheduleState = { ...state, paused, paused_reason: paused ? reason : null, updated_at: now };
      this.#putState(tx, task, next);
      return next;
    });
  }

  // Dispatch

  async listDueSchedules(now: string, limit: number): Promise<DueSchedule[]> {
    if (limit <= 0) return [];
    const ids = await this.#redis.zrangebyscore(this.#k.due, '-inf', score(now), 'LIMIT', 0, limit);
    const tasks = await readData<BackgroundTask>(this.#redis, ids.map(this.#k.task));
    const states = await readData<ScheduleState>(this.#redis, ids.map(this.#k.schedule));
    const due: DueSchedule[] = [];
    ids.forEach((_, i) => {
      const task = tasks[i];
      const state = states[i];
      // The index is kept with every write; this only drops what changed between the two reads.
      if (task == null || state == null || !task.enabled || state.paused || state.next_due_at === null || state.next_due_at > now) return;
      due.push({ task, state });
    });
    return due;
  }

  async commitDispatch(commit: DispatchCommit): Promise<DispatchWrite> {
    return this.#transact(async (tx) => {
      const state = await tx.record<ScheduleState>(this.#k.schedule(commit.taskId));
      const task = await tx.record<BackgroundTask>(this.#k.task(commit.taskId));
      const matches =
        state !== null &&
        task !== null &&
        state.schedule_revision === commit.expect.schedule_revision &&
        state.next_due_at === commit.expect.next_due_at;
      if (!matches) return { committed: false, runs: [], cancelled: [] };
      const runs: RunWrite[] = [];
      const cancelled: RunWrite[] = [];
      for (const run of await this.#fresh(commit.runs)) {
        const admitted = await this.#admit(tx, run, commit.now);
        runs.push(...admitted.runs);
        cancelled.push(...admitted.cancelled);
      }
      this.#putState(tx, task, commit.state);
      return { committed: true, runs, cancelled };
    });
  }

  // Runs

  async admitRun(run: BackgroundRun, now: string): Promise<AdmitWrite> {
    return this.#transact(async (tx) => {
      const [runTaken, occurrenceTaken] = await this.#taken(run);
      if (runTaken) throw new RecordExistsError('run', run.run_id);
      if (occurrenceTaken) throw new RecordExistsError('run', run.occurrence_id);
      return this.#admit(tx, run, now);
    });
  }

  async getRun(runId: string): Promise<BackgroundRun | null> {
    return this.#get<BackgroundRun>(this.#k.run(runId));
  }

  async listRuns(filter: RunFilter = {}): Promise<BackgroundRun[]> {
    const runs = (await this.#select(filter)).sort(newestFirst);
    return filter.limit === undefined ? runs : runs.slice(0, filter.limit);
  }

  async countRuns(filter: Omit<RunFilter, 'limit' | 'statuses'> = {}): Promise<RunCounts> {
    if (filter.taskId !== undefined && filter.agentId !== undefined) {
      const byStatus: Partial<Record<BackgroundRun['status'], number>> = {};
      const runs = await this.#select(filter);
      for (const run of runs) byStatus[run.status] = (byStatus[run.status] ?? 0) + 1;
      return { total: runs.length, byStatus };
    }
    const key =
      filter.taskId !== undefined ? this.#k.taskCounts(filter.taskId) : filter.agentId !== undefined ? this.#k.agentCounts(filter.agentId) : this.#k.counts;
    return countsOf(await this.#redis.hgetall(key));
  }

  async countClaimable(now: string, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    // Runs blocked by another run of their task are counted too: a claim round then stops at its first miss.
    return Math.min(limit, await this.#redis.zcount(this.#k.queued, '-inf', score(now)));
  }

  async claimNextRun(claim: ClaimRequest, options: ClaimOptions = {}): Promise<RunWrite | null> {
    return options.runId === undefined ? this.#claims.claimNext(claim) : this.#claims.claimRun(options.runId, claim);
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
    const [due, queued] = await Promise.all([
      this.#redis.zrange(this.#k.due, 0, 0, 'WITHSCORES'),
      this.#redis.zrange(this.#k.queued, 0, 0, 'WITHSCORES'),
    ]);
    const scores = [due[1], queued[1]].filter((value): value is string => value !== undefined).map(Number);
    return scores.length === 0 ? null : new Date(Math.min(...scores)).toISOString();
  }

  async listExpiredLeases(now: string, limit: number): Promise<BackgroundRun[]> {
    if (limit <= 0) return [];
    const ids = await this.#redis.zrangebyscore(this.#k.leased, '-inf', score(now), 'LIMIT', 0, limit);
    const runs = present(await readData<BackgroundRun>(this.#redis, ids.map(this.#k.run)));
    const leased = (run: BackgroundRun) => (LEASED_STATUSES as readonly string[]).includes(run.status);
    return runs.filter((run) => leased(run) && run.lease_expires_at !== null && run.lease_expires_at <= now);
  }

  async listAttempts(runId: string): Promise<BackgroundAttempt[]> {
    return new RedisTaskTx(this.#redis, this.#k).attempts(runId);
  }

  async listRunEvents(runId: string): Promise<LifecycleEvent[]> {
    return (await this.#redis.lrange(this.#k.runEvents(runId), 0, -1)).map((event) => JSON.parse(event) as LifecycleEvent);
  }

  async close(): Promise<void> {}

  // Helpers

  /** Runs `work` as an optimistic transaction, again on a conflict; what it throws aborts it unwritten. */
  async #transact<T>(work: (tx: RedisTaskTx, attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; attempt < MAX_TRIES; attempt += 1) {
      const tx = new RedisTaskTx(this.#redis, this.#k);
      const result = await work(tx, attempt);
      tx.finish();
      if ((await tx.commit.commit(this.#redis, this.#k.version)) === null) return result;
      // Spread out writers that keep colliding, so one of them gets through.
      if (attempt >= 2) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 20)));
    }
    throw new TaskStoreError(`Redis task store: a write conflicted ${MAX_TRIES} times in a row with other writers; try again`);
  }

  async #admit(tx: RedisTaskTx, run: BackgroundRun, now: string): Promise<AdmitWrite> {
    // Only these two policies look at the other runs; the rest never read the (possibly long) list.
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

  /** The runs of a dispatch whose id and occurrence are still free (and one per occurrence). */
  async #fresh(runs: readonly BackgroundRun[]): Promise<BackgroundRun[]> {
    const fresh: BackgroundRun[] = [];
    const seen = new Set<string>();
    for (const run of runs) {
      if (seen.has(run.occurrence_id)) continue;
      seen.add(run.occurrence_id);
      const [runTaken, occurrenceTaken] = await this.#taken(run);
      if (!runTaken && !occurrenceTaken) fresh.push(run);
    }
    return fresh;
  }

  /** Whether the run's id, and its occurrence, are taken (the commit re-checks both). */
  async #taken(run: BackgroundRun): Promise<[boolean, boolean]> {
    const [runKey, occurrence] = await Promise.all([
      this.#redis.exists(this.#k.run(run.run_id)),
      this.#redis.exists(this.#k.occurrence(run.task_id, run.occurrence_id)),
    ]);
    return [runKey > 0, occurrence > 0];
  }

  /** Writes a schedule state and keeps the due index with it: listed while enabled, unpaused and due some time. */
  #putState(tx: RedisTaskTx, task: BackgroundTask | null, state: ScheduleState): void {
    tx.commit.write(['put', this.#k.schedule(state.task_id), JSON.stringify(state)]);
    if (task?.enabled === true && !state.paused && state.next_due_at !== null) {
      tx.commit.write(['zadd', this.#k.due, score(state.next_due_at), state.task_id]);
    } else {
      tx.commit.write(['zrem', this.#k.due, state.task_id]);
    }
  }

  async #select(filter: Omit<RunFilter, 'limit'>): Promise<BackgroundRun[]> {
    const statuses = filter.statuses;
    const onlyUnfinished = statuses !== undefined && statuses.every(isUnfinished);
    const ids =
      filter.taskId === undefined
        ? await this.#redis.smembers(this.#k.runs)
        : onlyUnfinished
          ? await this.#redis.zrange(this.#k.open(filter.taskId), 0, -1)
          : await this.#redis.smembers(this.#k.taskRuns(filter.taskId));
    const runs = present(await readData<BackgroundRun>(this.#redis, ids.map(this.#k.run)));
    return runs.filter(
      (run) =>
        (filter.taskId === undefined || run.task_id === filter.taskId) &&
        (filter.agentId === undefined || run.agent_id === filter.agentId) &&
        (statuses === undefined || statuses.includes(run.status)),
    );
  }

  async #get<T>(key: string): Promise<T | null> {
    const data = await this.#redis.hget(key, 'data');
    return data === null ? null : (JSON.parse(data) as T);
  }
}
