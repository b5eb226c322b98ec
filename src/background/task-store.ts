import type { BackgroundAgent, BackgroundTask } from './background-records.ts';
import type { ClaimRequest, RunChange } from './run-changes.ts';
import type { BackgroundAttempt, BackgroundRun, LifecycleEvent, RunStatus, ScheduleState } from './run-record.ts';

/** A store write that touched a run: the run as stored now, and the lifecycle events it appended. */
export interface RunWrite {
  readonly run: BackgroundRun;
  readonly events: readonly LifecycleEvent[];
}

export interface CancelWrite extends RunWrite {
  /** True when the run ended now; false when it was only asked to stop, or had already finished. */
  readonly cancelledNow: boolean;
}

/** The outcome of adding runs: each new run as admitted, and the other runs `cancel_previous` cancelled. */
export interface AdmitWrite {
  readonly runs: readonly RunWrite[];
  readonly cancelled: readonly RunWrite[];
}

export interface DueSchedule {
  readonly task: BackgroundTask;
  readonly state: ScheduleState;
}

/** Schedule state advanced by one dispatch, and the runs it creates. */
export interface DispatchCommit {
  readonly taskId: string;
  /** The state as the dispatcher read it: the commit applies only if the stored one still has these values. */
  readonly expect: Pick<ScheduleState, 'schedule_revision' | 'next_due_at'>;
  readonly state: ScheduleState;
  /** New runs (status `queued`); a run whose `occurrence_id` the task already has is left out. */
  readonly runs: readonly BackgroundRun[];
  readonly now: string;
}

export interface DispatchWrite extends AdmitWrite {
  /** False when another dispatcher (or an edit of the task) got there first: nothing was written. */
  readonly committed: boolean;
}

export interface RunFilter {
  readonly taskId?: string;
  readonly agentId?: string;
  readonly statuses?: readonly RunStatus[];
  /** Newest first (by `queued_at`, then `run_id`); at most this many. */
  readonly limit?: number;
}

export interface ClaimOptions {
  /** Claim this run (if it is claimable) instead of the oldest. */
  readonly runId?: string;
  /**
   * The caller has just claimed a run, so more are probably waiting: an adapter that first looks, without locks,
   * whether anything is claimable (to keep idle polling cheap) may skip the look.
   */
  readonly likelyClaimable?: boolean;
}

export interface RunCounts {
  readonly total: number;
  readonly byStatus: Readonly<Partial<Record<RunStatus, number>>>;
}

/**
 * The background task store (spec 6.6): agents, tasks, schedule states, runs, attempts and run lifecycle events.
 *
 * Correctness across processes lives here. Every method is atomic on its own, and the rules are not re-implemented
 * per adapter: run changes go through the pure planners of `run-changes.ts` (state machine, leases, overlap,
 * cancel), which an adapter calls inside a row lock (SQL `FOR UPDATE [SKIP LOCKED]`), a `WATCH`/Lua section
 * (Redis) or a version-checked `findOneAndUpdate` (MongoDB). The conformance suite in
 * `src/stores/conformance/task-store.conformance.ts` is the contract.
 *
 * Records go in and come out as plain copies; times are UTC ISO strings (which sort as text).
 */
export interface TaskStore {
  // Agents
  /** Throws `RecordExistsError` when the id is taken and `replace` is false. Returns true when it replaced one. */
  saveAgent(agent: BackgroundAgent, options: { readonly replace: boolean }): Promise<boolean>;
  getAgent(agentId: string): Promise<BackgroundAgent | null>;
  /** Sorted by id. */
  listAgents(): Promise<BackgroundAgent[]>;
  /** False when there was no such agent. Its tasks and runs stay. */
  deleteAgent(agentId: string): Promise<boolean>;

  // Tasks and schedules
  /** Saves the task with its schedule state, atomically. `RecordExistsError` when taken and not `replace`. */
  saveTask(task: BackgroundTask, state: ScheduleState, options: { readonly replace: boolean }): Promise<boolean>;
  getTask(taskId: string): Promise<BackgroundTask | null>;
  /** Sorted by id. */
  listTasks(filter?: { readonly agentId?: string }): Promise<BackgroundTask[]>;
  /** Removes the task and its schedule state; with `deleteRuns`, its runs, attempts and events too. */
  deleteTask(taskId: string, options: { readonly deleteRuns: boolean }): Promise<boolean>;
  getScheduleState(taskId: string): Promise<ScheduleState | null>;
  /** Sets or clears the pause flag; null when the task has no schedule state. */
  setSchedulePaused(taskId: string, paused: boolean, reason: string | null, now: string): Promise<ScheduleState | null>;

  // Dispatch
  /** Enabled, unpaused tasks whose `next_due_at` is at or before `now`, most overdue first. */
  listDueSchedules(now: string, limit: number): Promise<DueSchedule[]>;
  /**
   * Compare-and-set of one dispatch: if the stored state still matches `expect`, the runs are admitted (as
   * `admitRun`) and the state replaced, all at once; otherwise nothing changes and `committed` is false. A run
   * whose occurrence the task already has is never inserted twice, so an occurrence runs at most once.
   */
  commitDispatch(commit: DispatchCommit): Promise<DispatchWrite>;

  // Runs
  /**
   * Adds a run (status `queued`) under the overlap rule (`planAdmission`): it may be stored `skipped`, and with
   * `cancel_previous` the task's other unfinished runs are cancelled. `RecordExistsError` for a taken run id or
   * occurrence.
   */
  admitRun(run: BackgroundRun, now: string): Promise<AdmitWrite>;
  getRun(runId: string): Promise<BackgroundRun | null>;
  listRuns(filter?: RunFilter): Promise<BackgroundRun[]>;
  countRuns(filter?: Omit<RunFilter, 'limit' | 'statuses'>): Promise<RunCounts>;
  /**
   * Claims the oldest claimable queued run (`isClaimable`: `queued_at <= now`, and not waiting for another run of
   * its task; ties on `queued_at` in any order), or the given one, under a new lease. Two claimers never get the same run, and a task that does not
   * allow parallel runs never has two runs claimed or running. Null when nothing is claimable.
   */
  claimNextRun(claim: ClaimRequest, options?: ClaimOptions): Promise<RunWrite | null>;
  /**
   * How many queued runs are claimable at `now`, counted up to `limit`, read without locks: a hint of how many
   * claims to make (with `likelyClaimable`), since another process may claim them first. An adapter that cannot
   * tell which waiting runs are blocked by another run of their task may count them too.
   */
  countClaimable(now: string, limit: number): Promise<number>;
  /**
   * Applies a change (`applyRunChange`): status steps checked against the state machine, the expectation (lease
   * token, expiry) checked, attempts written, events appended. Throws `RecordNotFoundError`, `LeaseLostError` or
   * `TransitionRefusedError`, having written nothing.
   */
  updateRun(runId: string, change: RunChange): Promise<RunWrite>;
  /** Heartbeat (`planHeartbeat`). Null when the lease was lost or the run is gone. */
  extendLease(runId: string, leaseToken: string, now: string, leaseMs: number): Promise<RunWrite | null>;
  /** A cancel request (`planCancel`) on behalf of `workerId` (null: not a worker). Null when there is no such run. */
  requestCancel(runId: string, now: string, workerId: string | null): Promise<CancelWrite | null>;
  /**
   * The earliest time something becomes due: an enabled, unpaused schedule's `next_due_at` or a queued run's
   * `queued_at` (either may be in the past). Null when nothing is waiting. The worker sleeps until then (at most
   * its idle interval), so runs start on time without polling faster.
   */
  nextWakeTime(): Promise<string | null>;
  /** Claimed, running or retrying runs whose lease expired at or before `now`, oldest expiry first. */
  listExpiredLeases(now: string, limit: number): Promise<BackgroundRun[]>;
  /** Attempts of the run, by number. */
  listAttempts(runId: string): Promise<BackgroundAttempt[]>;
  /** Lifecycle events of the run, by sequence (1..n). */
  listRunEvents(runId: string): Promise<LifecycleEvent[]>;

  close(): Promise<void>;
}
