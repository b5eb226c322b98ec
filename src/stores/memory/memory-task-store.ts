import { LeaseLostError, RecordExistsError, RecordNotFoundError } from '../../background/background-errors.ts';
import type { BackgroundAgent, BackgroundTask } from '../../background/background-records.ts';
import {
  applyAttemptWrites,
  applyRunChange,
  isClaimable,
  planAdmission,
  planCancel,
  planClaim,
  planHeartbeat,
  type ClaimRequest,
  type PlannedRunWrite,
  type RunChange,
} from '../../background/run-changes.ts';
import {
  isTerminal,
  LEASED_STATUSES,
  OCCUPYING_STATUSES,
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
import { FinishedRunWindow } from './finished-run-window.ts';
import { MemoryMinHeap, type HeapEntry } from './memory-min-heap.ts';

interface RunEntry {
  run: BackgroundRun;
  events: LifecycleEvent[];
  attempts: BackgroundAttempt[];
}

interface DueEntry extends HeapEntry {
  readonly revision: number;
}

const occupying = (status: RunStatus) => (OCCUPYING_STATUSES as readonly RunStatus[]).includes(status);
const leased = (status: RunStatus) => (LEASED_STATUSES as readonly RunStatus[]).includes(status);
const clone = <T>(value: T): T => structuredClone(value);

const DEFAULT_MAX_FINISHED_RUNS = 10_000;

/**
 * The in-memory task store: a complete implementation of the port (it passes the whole conformance suite), lost
 * on restart. Each method runs synchronously between its awaits, which is what makes it atomic in one process.
 * Queued runs and due schedules are kept in heaps (stale entries are dropped lazily), so claiming and
 * dispatching stay O(log n) however many runs pile up.
 */
export class MemoryTaskStore implements TaskStore {
  /** Finished runs kept (with their events and attempts); older ones are forgotten, oldest finish first. */
  readonly #finished: FinishedRunWindow;
  readonly #agents = new Map<string, BackgroundAgent>();
  readonly #tasks = new Map<string, BackgroundTask>();
  readonly #states = new Map<string, ScheduleState>();
  readonly #runs = new Map<string, RunEntry>();
  readonly #runsByTask = new Map<string, Set<string>>();
  readonly #occurrences = new Map<string, Set<string>>();
  readonly #unfinished = new Map<string, Set<string>>();
  readonly #occupied = new Map<string, number>();
  readonly #leased = new Set<string>();
  readonly #queue = new MemoryMinHeap<HeapEntry>();
  readonly #due = new MemoryMinHeap<DueEntry>();
  /** Runs queued at the same millisecond are claimed in the order they were queued. */
  #queueSeq = 0;

  /**
   * `maxFinishedRuns` (default 10,000) bounds the memory a long-running server spends on history: a task every
   * minute would otherwise add 1,440 runs a day, for ever. Unfinished runs are never dropped.
   */
  constructor(options: { readonly maxFinishedRuns?: number } = {}) {
    this.#finished = new FinishedRunWindow(options.maxFinishedRuns ?? DEFAULT_MAX_FINISHED_RUNS);
  }

  async saveAgent(agent: BackgroundAgent, options: { readonly replace: boolean }): Promise<boolean> {
    const existed = this.#agents.has(agent.agent_id);
    if (existed && !options.replace) throw new RecordExistsError('agent', agent.agent_id);
    this.#agents.set(agent.agent_id, clone(agent));
    return existed;
  }

  async getAgent(agentId: string): Promise<BackgroundAgent | null> {
    const agent = this.#agents.get(agentId);
    return agent === undefined ? null : clone(agent);
  }

  async listAgents(): Promise<BackgroundAgent[]> {
    return [...this.#agents.values()].sort((a, b) => compare(a.agent_id, b.agent_id)).map(clone);
  }

  async deleteAgent(agentId: string): Promise<boolean> {
    return this.#agents.delete(agentId);
  }

  async saveTask(task: BackgroundTask, state: ScheduleState, options: { readonly replace: boolean }): Promise<boolean> {
    const existed = this.#tasks.has(task.task_id);
    if (existed && !options.replace) throw new RecordExistsError('task', task.task_id);
    this.#tasks.set(task.task_id, clone(task));
    this.#putState(state);
    return existed;
  }

  async getTask(taskId: string): Promise<BackgroundTask | null> {
    const task = this.#tasks.get(taskId);
    return task === undefined ? null : clone(task);
  }

  async listTasks(filter: { readonly agentId?: string } = {}): Promise<BackgroundTask[]> {
    return [...this.#tasks.values()]
      .filter((task) => filter.agentId === undefined || task.agent_id === filter.agentId)
      .sort((a, b) => compare(a.task_id, b.task_id))
      .map(clone);
  }

  async deleteTask(taskId: string, options: { readonly deleteRuns: boolean }): Promise<boolean> {
    const existed = this.#tasks.delete(taskId);
    this.#states.delete(taskId);
    if (options.deleteRuns) {
      for (const runId of this.#runsByTask.get(taskId) ?? []) {
        const entry = this.#runs.get(runId);
        if (entry !== undefined) this.#index(entry.run, null);
        this.#runs.delete(runId);
      }
      this.#runsByTask.delete(taskId);
      this.#occurrences.delete(taskId);
      this.#unfinished.delete(taskId);
      this.#occupied.delete(taskId);
    }
    return existed;
  }

  async getScheduleState(taskId: string): Promise<ScheduleState | null> {
    const state = this.#states.get(taskId);
    return state === undefined ? null : { ...state };
  }

  async setSchedulePaused(taskId: string, paused: boolean, reason: string | null, now: string): Promise<ScheduleState | null> {
    const state = this.#states.get(taskId);
    if (state === undefined) return null;
    const next = { ...state, paused, paused_reason: paused ? reason : null, updated_at: now };
    this.#putState(next);
    return { ...next };
  }

  async listDueSchedules(now: string, limit: number): Promise<DueSchedule[]> {
    const found: DueEntry[] = [];
    while (found.length < limit) {
      const top = this.#due.peek();
      if (top === undefined || top.key > now) break;
      this.#due.pop();
      const state = this.#states.get(top.id);
      const task = this.#tasks.get(top.id);
      // Stale entries (rescheduled, paused, disabled, deleted) are dropped; pausing or saving pushes a new one.
      if (state === undefined || task === undefined || state.paused || !task.enabled) continue;
      if (state.next_due_at !== top.key || state.schedule_revision !== top.revision) continue;
      found.push(top);
    }
    for (const entry of found) this.#due.push(entry);
    return found.map((entry) => ({
      task: clone(this.#tasks.get(entry.id) as BackgroundTask),
      state: { ...(this.#states.get(entry.id) as ScheduleState) },
    }));
  }

  async commitDispatch(commit: DispatchCommit): Promise<DispatchWrite> {
    const state = this.#states.get(commit.taskId);
    const matches =
      state !== undefined &&
      this.#tasks.has(commit.taskId) &&
      state.schedule_revision === commit.expect.schedule_revision &&
      state.next_due_at === commit.expect.next_due_at;
    if (!matches) return { committed: false, runs: [], cancelled: [] };
    const seen = this.#occurrences.get(commit.taskId);
    const fresh = commit.runs.filter((run) => !this.#runs.has(run.run_id) && !(seen?.has(run.occurrence_id) ?? false));
    const runs: RunWrite[] = [];
    const cancelled: RunWrite[] = [];
    for (const run of fresh) {
      const admitted = this.#admit(run, commit.now);
      runs.push(...admitted.runs);
      cancelled.push(...admitted.cancelled);
    }
    this.#putState(commit.state);
    return { committed: true, runs, cancelled };
  }

  async admitRun(run: BackgroundRun, now: string): Promise<AdmitWrite> {
    if (this.#runs.has(run.run_id)) throw new RecordExistsError('run', run.run_id);
    if (this.#occurrences.get(run.task_id)?.has(run.occurrence_id)) throw new RecordExistsError('run', run.occurrence_id);
    return this.#admit(run, now);
  }

  async getRun(runId: string): Promise<BackgroundRun | null> {
    const entry = this.#runs.get(runId);
    return entry === undefined ? null : copyRun(entry.run);
  }

  async listRuns(filter: RunFilter = {}): Promise<BackgroundRun[]> {
    const runs = this.#select(filter).sort((a, b) => compare(b.queued_at, a.queued_at) || compare(b.run_id, a.run_id));
    return (filter.limit === undefined ? runs : runs.slice(0, filter.limit)).map(copyRun);
  }

  async countRuns(filter: Omit<RunFilter, 'limit' | 'statuses'> = {}): Promise<RunCounts> {
    const byStatus: Partial<Record<RunStatus, number>> = {};
    const runs = this.#select(filter);
    for (const run of runs) byStatus[run.status] = (byStatus[run.status] ?? 0) + 1;
    return { total: runs.length, byStatus };
  }

  async countClaimable(now: string, limit: number): Promise<number> {
    let count = 0;
    for (const top of this.#queue.upTo(now)) {
      if (count >= limit) break;
      const run = this.#runs.get(top.id)?.run;
      if (run !== undefined && run.queued_at === top.key && isClaimable(run, now, this.#isOccupied(run.task_id))) count += 1;
    }
    return count;
  }

  async claimNextRun(claim: ClaimRequest, options: ClaimOptions = {}): Promise<RunWrite | null> {
    if (options.runId !== undefined) {
      const entry = this.#runs.get(options.runId);
      if (entry === undefined || !isClaimable(entry.run, claim.now, this.#isOccupied(entry.run.task_id))) return null;
      return this.#claimWrite(entry, claim);
    }
    const held: HeapEntry[] = [];
    let claimed: RunWrite | null = null;
    for (let top = this.#queue.peek(); top !== undefined && top.key <= claim.now; top = this.#queue.peek()) {
      this.#queue.pop();
      const entry = this.#runs.get(top.id);
      if (entry === undefined || entry.run.status !== 'queued' || entry.run.queued_at !== top.key) continue;
      if (!isClaimable(entry.run, claim.now, this.#isOccupied(entry.run.task_id))) {
        held.push(top);
        continue;
      }
      claimed = this.#claimWrite(entry, claim);
      break;
    }
    for (const entry of held) this.#queue.push(entry);
    return claimed;
  }

  async updateRun(runId: string, change: RunChange): Promise<RunWrite> {
    const entry = this.#runs.get(runId);
    if (entry === undefined) throw new RecordNotFoundError('run', runId);
    const planned = applyRunChange(entry.run, entry.events.length, change);
    entry.attempts = applyAttemptWrites(entry.attempts, change.attempts);
    return this.#write(entry, planned);
  }

  async extendLease(runId: string, leaseToken: string, now: string, leaseMs: number): Promise<RunWrite | null> {
    const entry = this.#runs.get(runId);
    if (entry === undefined) return null;
    try {
      return this.#write(entry, planHeartbeat(entry.run, entry.events.length, leaseToken, now, leaseMs));
    } catch (error) {
      if (error instanceof LeaseLostError) return null;
      throw error;
    }
  }

  async requestCancel(runId: string, now: string, workerId: string | null): Promise<CancelWrite | null> {
    const entry = this.#runs.get(runId);
    if (entry === undefined) return null;
    const planned = planCancel(entry.run, entry.events.length, now, workerId);
    return { ...this.#write(entry, planned), cancelledNow: planned.cancelledNow };
  }

  async nextWakeTime(): Promise<string | null> {
    // Stale heap tops are dropped here as they would be when listing or claiming.
    for (let top = this.#due.peek(); top !== undefined; top = this.#due.peek()) {
      const state = this.#states.get(top.id);
      const live = state !== undefined && !state.paused && this.#tasks.get(top.id)?.enabled === true;
      if (live && state.next_due_at === top.key && state.schedule_revision === top.revision) break;
      this.#due.pop();
    }
    for (let top = this.#queue.peek(); top !== undefined; top = this.#queue.peek()) {
      const run = this.#runs.get(top.id)?.run;
      if (run?.status === 'queued' && run.queued_at === top.key) break;
      this.#queue.pop();
    }
    const due = this.#due.peek()?.key;
    const queued = this.#queue.peek()?.key;
    if (due === undefined) return queued ?? null;
    return queued === undefined || due < queued ? due : queued;
  }

  async listExpiredLeases(now: string, limit: number): Promise<BackgroundRun[]> {
    const expired: BackgroundRun[] = [];
    for (const runId of this.#leased) {
      const run = this.#runs.get(runId)?.run;
      if (run?.lease_expires_at != null && run.lease_expires_at <= now) expired.push(run);
    }
    return expired
      .sort((a, b) => compare(a.lease_expires_at ?? '', b.lease_expires_at ?? '') || compare(a.run_id, b.run_id))
      .slice(0, limit)
      .map(copyRun);
  }

  async listAttempts(runId: string): Promise<BackgroundAttempt[]> {
    return (this.#runs.get(runId)?.attempts ?? []).map((attempt) => ({ ...attempt }));
  }

  async listRunEvents(runId: string): Promise<LifecycleEvent[]> {
    return (this.#runs.get(runId)?.events ?? []).map((event) => clone(event));
  }

  async close(): Promise<void> {}

  #admit(run: BackgroundRun, now: string): AdmitWrite {
    // Only these two policies look at the other runs; the rest never need the (possibly long) list.
    const looks = run.overlap_policy === 'skip_if_running' || run.overlap_policy === 'cancel_previous';
    const ids = looks ? [...(this.#unfinished.get(run.task_id) ?? [])] : [];
    const unfinished = ids.map((id) => (this.#runs.get(id) as RunEntry).run);
    const planned = planAdmission(copyRun(run), unfinished, now);
    const entry: RunEntry = { run: planned.run, events: [], attempts: [] };
    this.#runs.set(run.run_id, entry);
    add(this.#runsByTask, run.task_id, run.run_id);
    add(this.#occurrences, run.task_id, run.occurrence_id);
    const written = this.#write(entry, planned, null);
    const cancelled: RunWrite[] = [];
    for (const otherId of planned.cancel) {
      const other = this.#runs.get(otherId) as RunEntry;
      const cancel = planCancel(other.run, other.events.length, now, null);
      cancelled.push(this.#write(other, cancel));
    }
    return { runs: [written], cancelled };
  }

  /** Stores a planned write and keeps every index in step with the run's new status. */
  #claimWrite(entry: RunEntry, claim: ClaimRequest): RunWrite {
    const planned = planClaim(entry.run, entry.events.length, claim);
    entry.attempts = applyAttemptWrites(entry.attempts, planned.attempts);
    return this.#write(entry, planned);
  }

  #write(entry: RunEntry, planned: PlannedRunWrite, before: BackgroundRun | null = entry.run): RunWrite {
    this.#index(before, planned.run);
    entry.run = planned.run;
    entry.events.push(...planned.events);
    const written = { run: copyRun(planned.run), events: planned.events.map((event) => ({ ...event })) };
    if (isTerminal(planned.run.status) && (before === null || !isTerminal(before.status))) this.#finishedRun(planned.run.run_id);
    return written;
  }

  #finishedRun(runId: string): void {
    for (const oldest of this.#finished.add(runId)) {
      const entry = this.#runs.get(oldest);
      if (entry === undefined || !isTerminal(entry.run.status)) continue;
      this.#runs.delete(oldest);
      this.#runsByTask.get(entry.run.task_id)?.delete(oldest);
      this.#occurrences.get(entry.run.task_id)?.delete(entry.run.occurrence_id);
    }
  }

  #index(before: BackgroundRun | null, after: BackgroundRun | null): void {
    const run = (after ?? before) as BackgroundRun;
    const taskId = run.task_id;
    const wasOccupying = before !== null && occupying(before.status);
    const isOccupying = after !== null && occupying(after.status);
    if (wasOccupying !== isOccupying) this.#occupied.set(taskId, (this.#occupied.get(taskId) ?? 0) + (isOccupying ? 1 : -1));
    if (after !== null && !isTerminal(after.status)) add(this.#unfinished, taskId, run.run_id);
    else this.#unfinished.get(taskId)?.delete(run.run_id);
    if (after !== null && leased(after.status)) this.#leased.add(run.run_id);
    else this.#leased.delete(run.run_id);
    if (after?.status === 'queued' && (before?.status !== 'queued' || before.queued_at !== after.queued_at)) {
      this.#queue.push({ key: after.queued_at, id: after.run_id, seq: (this.#queueSeq += 1) });
    }
  }

  #isOccupied(taskId: string): boolean {
    return (this.#occupied.get(taskId) ?? 0) > 0;
  }

  #putState(state: ScheduleState): void {
    this.#states.set(state.task_id, { ...state });
    if (state.next_due_at !== null && !state.paused) {
      this.#due.push({ key: state.next_due_at, id: state.task_id, revision: state.schedule_revision });
    }
  }

  #select(filter: Omit<RunFilter, 'limit'>): BackgroundRun[] {
    const ids = filter.taskId === undefined ? this.#runs.keys() : (this.#runsByTask.get(filter.taskId) ?? new Set<string>()).values();
    const out: BackgroundRun[] = [];
    for (const id of ids) {
      const run = this.#runs.get(id)?.run;
      if (run === undefined) continue;
      if (filter.agentId !== undefined && run.agent_id !== filter.agentId) continue;
      if (filter.statuses !== undefined && !filter.statuses.includes(run.status)) continue;
      out.push(run);
    }
    return out;
  }
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  set.add(value);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function copyRun(run: BackgroundRun): BackgroundRun {
  return {
    ...run,
    trigger_metadata: clone(run.trigger_metadata),
    metadata: clone(run.metadata),
    workspace_policy: { ...run.workspace_policy },
  };
}
