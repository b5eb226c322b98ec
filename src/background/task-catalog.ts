import { isDeepStrictEqual } from 'node:util';
import { OmniError } from '../core/errors.ts';
import { nowIso, type BackgroundContext } from './background-context.ts';
import { RecordExistsError, RunAbortedError } from './background-errors.ts';
import type { BackgroundTask, CreateTaskRequest } from './background-records.ts';
import { ACTIVE_STATUSES, isTerminal, type BackgroundRun, type RunStatus, type ScheduleState } from './run-record.ts';
import { initialScheduleState } from './schedule-dispatch.ts';

export interface TaskStatus {
  readonly task_id: string;
  readonly agent_id: string;
  readonly enabled: boolean;
  readonly schedule: BackgroundTask['schedule'];
  readonly schedule_state: ScheduleState | null;
  readonly runs: number;
  readonly active_runs: number;
  readonly status_counts: Partial<Record<RunStatus, number>>;
  readonly latest_run: BackgroundRun | null;
}

/** Tasks and their schedules (spec 6.4). */
export class TaskCatalog {
  readonly #context: BackgroundContext;

  constructor(context: BackgroundContext) {
    this.#context = context;
  }

  /** `POST /background/tasks`: creates (or with `replace`, replaces) a task; its agent must exist. */
  async create(request: CreateTaskRequest): Promise<BackgroundTask> {
    const { replace, ...fields } = request;
    const agentId = fields.agent_id ?? this.#context.defaultAgentId;
    const existing = await this.#context.store.getTask(fields.task_id);
    if (existing !== null && !replace) throw new OmniError('CONFLICT', `Task already registered: ${fields.task_id}`);
    const now = nowIso(this.#context);
    return this.#save({ ...fields, agent_id: agentId, created_at: existing?.created_at ?? now, updated_at: now }, existing, replace);
  }

  /** Saves an edited task (`PATCH`, already merged and validated by the caller). */
  async update(task: BackgroundTask): Promise<BackgroundTask> {
    const existing = await this.getRecord(task.task_id);
    return this.#save({ ...task, created_at: existing.created_at, updated_at: nowIso(this.#context) }, existing, true);
  }

  async list(agentId: string | null): Promise<{ tasks: BackgroundTask[]; count: number }> {
    const tasks = await this.#context.store.listTasks(agentId === null ? {} : { agentId });
    return { tasks, count: tasks.length };
  }

  /** The task, or 404 `Task not found: <id>`. */
  async getRecord(taskId: string): Promise<BackgroundTask> {
    const task = await this.#context.store.getTask(taskId);
    if (task === null) throw new OmniError('NOT_FOUND', `Task not found: ${taskId}`);
    return task;
  }

  async status(taskId: string): Promise<TaskStatus> {
    const { store } = this.#context;
    const task = await this.getRecord(taskId);
    const [state, counts, latest] = await Promise.all([
      store.getScheduleState(taskId),
      store.countRuns({ taskId }),
      store.listRuns({ taskId, limit: 1 }),
    ]);
    return {
      task_id: task.task_id,
      agent_id: task.agent_id,
      enabled: task.enabled,
      schedule: task.schedule,
      schedule_state: state,
      runs: counts.total,
      active_runs: ACTIVE_STATUSES.reduce((sum, status) => sum + (counts.byStatus[status] ?? 0), 0),
      status_counts: counts.byStatus,
      latest_run: latest[0] ?? null,
    };
  }

  async pause(taskId: string, paused: boolean): Promise<{ status: 'paused' | 'resumed' }> {
    await this.getRecord(taskId);
    const state = await this.#context.store.setSchedulePaused(taskId, paused, paused ? 'paused by request' : null, nowIso(this.#context));
    if (state === null) throw new OmniError('NOT_FOUND', `Task not found: ${taskId}`);
    if (!paused) this.#context.worker.wake();
    return { status: paused ? 'paused' : 'resumed' };
  }

  /** Deletes the task; its unfinished runs are cancelled first, and with `deleteRuns` all its runs are removed. */
  async delete(taskId: string, deleteRuns: boolean): Promise<{ status: 'deleted' }> {
    const { store, sink, executor, workerId } = this.#context;
    await this.getRecord(taskId);
    const now = nowIso(this.#context);
    for (const run of await store.listRuns({ taskId, statuses: ACTIVE_STATUSES })) {
      const cancel = await store.requestCancel(run.run_id, now, workerId);
      if (cancel === null) continue;
      sink.publish(cancel);
      if (!cancel.cancelledNow && !isTerminal(cancel.run.status)) executor.abort(run.run_id, new RunAbortedError('cancelled', 'The task was deleted'));
    }
    await store.deleteTask(taskId, { deleteRuns });
    return { status: 'deleted' };
  }

  /**
   * Saves the task with its schedule state: a new task, or a changed schedule, gets a freshly computed state
   * (revision + 1, so runs dispatched under the old schedule can never collide); an unchanged schedule keeps its
   * state, and so its phase.
   */
  async #save(task: BackgroundTask, existing: BackgroundTask | null, replace: boolean): Promise<BackgroundTask> {
    const { store, clock, worker } = this.#context;
    if ((await store.getAgent(task.agent_id)) === null) throw new OmniError('NOT_FOUND', `Agent not found: ${task.agent_id}`);
    const previous = existing === null ? null : await store.getScheduleState(task.task_id);
    const keep = previous !== null && existing !== null && isDeepStrictEqual(existing.schedule, task.schedule);
    const state = keep ? { ...previous, updated_at: previous.updated_at } : initialScheduleState(task, clock.now(), previous);
    try {
      await store.saveTask(task, state, { replace: replace || existing !== null });
    } catch (error) {
      if (error instanceof RecordExistsError) throw new OmniError('CONFLICT', `Task already registered: ${task.task_id}`);
      throw error;
    }
    worker.wake();
    return task;
  }
}
