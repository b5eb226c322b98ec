import { OmniError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { WorkspaceEntry } from '../workspace/workspace.ts';
import { nowIso, type BackgroundContext } from './background-context.ts';
import { STOPPED } from './clock.ts';
import { RecordNotFoundError, RunAbortedError, TransitionRefusedError } from './background-errors.ts';
import type { ManualRunRequest } from './background-records.ts';
import { isContiguous, isTerminalEvent, RUN_EVENTS } from './lifecycle-events.ts';
import { newRun } from './run-factory.ts';
import { isTerminal, type BackgroundAttempt, type BackgroundRun, type LifecycleEvent, type RunStatus } from './run-record.ts';

export interface WaitOptions {
  /** Milliseconds to wait for the run to finish; null waits until it does. */
  readonly budgetMs: number | null;
  /** Stops the waiting (the client went away); never the run. */
  readonly signal: AbortSignal;
}

/** Runs, their attempts, events and files (spec 6.4, 6.5). */
export class RunCatalog {
  readonly #context: BackgroundContext;
  readonly #pollMs: number;

  constructor(context: BackgroundContext, options: { readonly pollMs?: number } = {}) {
    this.#context = context;
    this.#pollMs = options.pollMs ?? 100;
  }

  /**
   * `POST /background/tasks/{id}/run`: queues a manual run (or records it `skipped` under the overlap guard). With
   * a budget, waits for it to finish, executing it here if no worker runs in this process; a run still unfinished
   * when the budget is spent gives the structured 504 of spec 6.5. A client that goes away only stops the wait.
   */
  async trigger(taskId: string, request: ManualRunRequest, wait: WaitOptions & { readonly requestTimeoutSeconds: number }): Promise<BackgroundRun> {
    const { store, sink, worker } = this.#context;
    const task = await store.getTask(taskId);
    if (task === null || !task.enabled) throw new OmniError('NOT_FOUND', `Task not found: ${taskId}`);
    // Refused here rather than queued to fail later with "agent missing".
    if ((await store.getAgent(task.agent_id)) === null) {
      throw new OmniError('CONFLICT', `Task ${taskId} belongs to agent ${task.agent_id}, which is no longer registered; register it again or point the task at another agent`);
    }
    const state = await store.getScheduleState(taskId);
    const now = nowIso(this.#context);
    const run = newRun(task, {
      type: 'manual',
      runId: newId('run'),
      triggeredAt: now,
      dueAt: null,
      queuedAt: now,
      revision: state?.schedule_revision ?? 1,
      query: request.query,
    });
    const admitted = await store.admitRun(run, now);
    sink.publish(...admitted.runs, ...admitted.cancelled);
    for (const other of admitted.cancelled) {
      if (!isTerminal(other.run.status)) this.#context.executor.abort(other.run.run_id, new RunAbortedError('cancelled', 'A newer run replaced this one'));
    }
    worker.wake();
    const created = (admitted.runs[0] as { run: BackgroundRun }).run;
    if (!request.wait || isTerminal(created.status)) return created;
    if (!worker.running) await worker.executeNow(created.run_id);
    const latest = await this.waitFor(created.run_id, wait);
    if (isTerminal(latest.status) || wait.budgetMs === null || wait.signal.aborted) return latest;
    const budget = wait.budgetMs / 1000;
    throw new OmniError('BACKGROUND_WAIT_TIMEOUT', `Background run did not finish within ${budget} seconds`, {
      detail: {
        message: `Background run did not finish within ${budget} seconds`,
        run_id: latest.run_id,
        task_id: latest.task_id,
        status: latest.status,
        wait_timeout_seconds: budget,
        request_timeout_seconds: wait.requestTimeoutSeconds,
      },
    });
  }

  /** Resolves with the run once it is terminal, the budget is spent or the signal aborts; whichever comes first. */
  async waitFor(runId: string, { budgetMs, signal }: WaitOptions): Promise<BackgroundRun> {
    const { clock, sink } = this.#context;
    const deadline = budgetMs === null ? Number.POSITIVE_INFINITY : clock.now() + budgetMs;
    let changed = new AbortController();
    const unsubscribe = sink.subscribe(runId, () => changed.abort(STOPPED));
    try {
      for (;;) {
        const run = await this.get(runId);
        const left = deadline - clock.now();
        if (isTerminal(run.status) || left <= 0 || signal.aborted) return run;
        // Writes made here wake the wait at once; other processes' are seen by polling.
        await clock.sleep(Math.min(this.#pollMs, left), AbortSignal.any([signal, changed.signal]));
        if (changed.signal.aborted) changed = new AbortController();
      }
    } finally {
      unsubscribe();
    }
  }

  async list(filter: { taskId: string | null; status: RunStatus | null; limit: number }): Promise<{ runs: BackgroundRun[]; count: number }> {
    const runs = await this.#context.store.listRuns({
      ...(filter.taskId === null ? {} : { taskId: filter.taskId }),
      ...(filter.status === null ? {} : { statuses: [filter.status] }),
      limit: filter.limit,
    });
    return { runs, count: runs.length };
  }

  async get(runId: string): Promise<BackgroundRun> {
    const run = await this.#context.store.getRun(runId);
    if (run === null) throw new OmniError('NOT_FOUND', `Run not found: ${runId}`);
    return run;
  }

  async attempts(runId: string): Promise<BackgroundAttempt[]> {
    await this.get(runId);
    return this.#context.store.listAttempts(runId);
  }

  /**
   * The run's lifecycle events (spec 6.4). Sources are the store and the workspace's `events.jsonl`; each must be
   * numbered 1..n to be believed, and one that reaches a terminal event is preferred (the longest such).
   */
  async events(runId: string): Promise<{ run_id: string; events: LifecycleEvent[]; count: number }> {
    const run = await this.get(runId);
    const sources = [await this.#context.store.listRunEvents(runId), await this.#workspaceEvents(run)].filter(
      (events) => events.length > 0 && isContiguous(events),
    );
    const rank = (events: readonly LifecycleEvent[]) => (isTerminalEvent(events.at(-1)?.event ?? '') ? 1e9 : 0) + events.length;
    const best = sources.sort((a, b) => rank(b) - rank(a))[0] ?? [];
    return { run_id: runId, events: best, count: best.length };
  }

  async workspace(runId: string): Promise<{ run_id: string; task_id: string; agent_id: string; workspace_path: string; files: WorkspaceEntry[] }> {
    const run = await this.get(runId);
    await this.#context.sink.flush();
    const files = this.#context.workspace === null ? [] : await this.#context.workspace.list(run.workspace_path);
    return { run_id: run.run_id, task_id: run.task_id, agent_id: run.agent_id, workspace_path: run.workspace_path, files };
  }

  /** Cancel is not disconnect: a queued run ends at once; a running one is aborted (here, or at its next heartbeat elsewhere). */
  async cancel(runId: string): Promise<{ status: 'cancel_requested' }> {
    const { store, sink, executor, workerId } = this.#context;
    // A 200 "cancel_requested" for a run that can no longer change would tell the caller something false.
    const current = await this.get(runId);
    if (isTerminal(current.status)) {
      throw new OmniError('CONFLICT', `Run ${runId} already ended (${current.status}); there is nothing to cancel`);
    }
    const written = await store.requestCancel(runId, nowIso(this.#context), workerId);
    if (written === null) throw new OmniError('NOT_FOUND', `Run not found: ${runId}`);
    sink.publish(written);
    if (!written.cancelledNow && !isTerminal(written.run.status)) executor.abort(runId, new RunAbortedError('cancelled', 'The run was cancelled'));
    return { status: 'cancel_requested' };
  }

  /** Puts a run awaiting a decision back in the queue; 409 for any other status. */
  async resume(runId: string): Promise<{ status: 'queued' }> {
    const run = await this.get(runId);
    if (run.status !== 'awaiting_approval' && run.status !== 'awaiting_budget') {
      throw new OmniError('CONFLICT', `Run ${runId} is ${run.status}; only runs awaiting approval or budget can be resumed`);
    }
    const now = nowIso(this.#context);
    try {
      const written = await this.#context.store.updateRun(runId, {
        now,
        steps: [{ status: 'queued', event: RUN_EVENTS.queued, extra: { reason: 'resumed' }, patch: { queued_at: now } }],
      });
      this.#context.sink.publish(written);
      this.#context.worker.wake();
      return { status: 'queued' };
    } catch (error) {
      if (error instanceof RecordNotFoundError) throw new OmniError('NOT_FOUND', `Run not found: ${runId}`);
      if (error instanceof TransitionRefusedError) throw new OmniError('CONFLICT', `Run ${runId} is ${error.from}; only runs awaiting approval or budget can be resumed`);
      throw error;
    }
  }

  async #workspaceEvents(run: BackgroundRun): Promise<LifecycleEvent[]> {
    const { workspace } = this.#context;
    if (workspace === null || !run.workspace_policy.write_events_jsonl) return [];
    try {
      const text = await workspace.readFile(`${run.workspace_path}/events.jsonl`);
      return (text ?? '').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as LifecycleEvent);
    } catch {
      return [];
    }
  }
}
