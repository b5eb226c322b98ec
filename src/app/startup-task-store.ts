import type { BackgroundAgent, BackgroundTask } from '../background/background-records.ts';
import type { ClaimRequest, RunChange } from '../background/run-changes.ts';
import type { BackgroundAttempt, BackgroundRun, LifecycleEvent, ScheduleState } from '../background/run-record.ts';
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
} from '../background/task-store.ts';

/**
 * The task store of a durable backend, which opens (asynchronously) at start-up, while the background manager is
 * built with the server. Every call goes to the store attached at start-up; nothing calls before that, since the
 * manager is initialised and its routes answered only once the store is open.
 */
export class StartupTaskStore implements TaskStore {
  #target: TaskStore | null = null;

  attach(store: TaskStore): void {
    this.#target = store;
  }

  get #store(): TaskStore {
    if (this.#target === null) throw new Error('The background task store is used before the server started');
    return this.#target;
  }

  saveAgent(agent: BackgroundAgent, options: { readonly replace: boolean }): Promise<boolean> {
    return this.#store.saveAgent(agent, options);
  }
  getAgent(agentId: string): Promise<BackgroundAgent | null> {
    return this.#store.getAgent(agentId);
  }
  listAgents(): Promise<BackgroundAgent[]> {
    return this.#store.listAgents();
  }
  deleteAgent(agentId: string): Promise<boolean> {
    return this.#store.deleteAgent(agentId);
  }
  saveTask(task: BackgroundTask, state: ScheduleState, options: { readonly replace: boolean }): Promise<boolean> {
    return this.#store.saveTask(task, state, options);
  }
  getTask(taskId: string): Promise<BackgroundTask | null> {
    return this.#store.getTask(taskId);
  }
  listTasks(filter?: { readonly agentId?: string }): Promise<BackgroundTask[]> {
    return this.#store.listTasks(filter);
  }
  deleteTask(taskId: string, options: { readonly deleteRuns: boolean }): Promise<boolean> {
    return this.#store.deleteTask(taskId, options);
  }
  getScheduleState(taskId: string): Promise<ScheduleState | null> {
    return this.#store.getScheduleState(taskId);
  }
  setSchedulePaused(taskId: string, paused: boolean, reason: string | null, now: string): Promise<ScheduleState | null> {
    return this.#store.setSchedulePaused(taskId, paused, reason, now);
  }
  listDueSchedules(now: string, limit: number): Promise<DueSchedule[]> {
    return this.#store.listDueSchedules(now, limit);
  }
  commitDispatch(commit: DispatchCommit): Promise<DispatchWrite> {
    return this.#store.commitDispatch(commit);
  }
  admitRun(run: BackgroundRun, now: string): Promise<AdmitWrite> {
    return this.#store.admitRun(run, now);
  }
  getRun(runId: string): Promise<BackgroundRun | null> {
    return this.#store.getRun(runId);
  }
  listRuns(filter?: RunFilter): Promise<BackgroundRun[]> {
    return this.#store.listRuns(filter);
  }
  countRuns(filter?: Omit<RunFilter, 'limit' | 'statuses'>): Promise<RunCounts> {
    return this.#store.countRuns(filter);
  }
  claimNextRun(claim: ClaimRequest, options?: ClaimOptions): Promise<RunWrite | null> {
    return this.#store.claimNextRun(claim, options);
  }
  countClaimable(now: string, limit: number): Promise<number> {
    return this.#store.countClaimable(now, limit);
  }
  updateRun(runId: string, change: RunChange): Promise<RunWrite> {
    return this.#store.updateRun(runId, change);
  }
  extendLease(runId: string, leaseToken: string, now: string, leaseMs: number): Promise<RunWrite | null> {
    return this.#store.extendLease(runId, leaseToken, now, leaseMs);
  }
  requestCancel(runId: string, now: string, workerId: string | null): Promise<CancelWrite | null> {
    return this.#store.requestCancel(runId, now, workerId);
  }
  nextWakeTime(): Promise<string | null> {
    return this.#store.nextWakeTime();
  }
  listExpiredLeases(now: string, limit: number): Promise<BackgroundRun[]> {
    return this.#store.listExpiredLeases(now, limit);
  }
  listAttempts(runId: string): Promise<BackgroundAttempt[]> {
    return this.#store.listAttempts(runId);
  }
  listRunEvents(runId: string): Promise<LifecycleEvent[]> {
    return this.#store.listRunEvents(runId);
  }

  /** Closes the attached store (a store that never opened has nothing to close). */
  async close(): Promise<void> {
    await this.#target?.close();
  }
}
