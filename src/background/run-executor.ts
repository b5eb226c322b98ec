import { ScopedWorkspace } from '../workspace/scoped-workspace.ts';
import type { Workspace } from '../workspace/workspace.ts';
import type { ServableAgent } from '../agent/servable-agent.ts';
import { newId } from '../core/ids.ts';
import { scrubSecrets } from '../llm/scrub-secrets.ts';
import { AgentUnavailableError, type AgentResolver } from './agent-resolver.ts';
import { CancelRequestedError, LeaseLostError, RecordNotFoundError, RunAbortedError, TransitionRefusedError } from './background-errors.ts';
import type { BackgroundTask } from './background-records.ts';
import { backgroundQuery, resultPreview } from './background-query.ts';
import { STOPPED, type Clock } from './clock.ts';
import { RUN_EVENTS } from './lifecycle-events.ts';
import { retryDelaySeconds, type RetryReason } from './policies.ts';
import { startChange, type RunChange, type RunExpectation } from './run-changes.ts';
import type { BackgroundLogger, RunEventSink } from './run-event-sink.ts';
import type { BackgroundRun } from './run-record.ts';
import type { TelemetryEvent } from '../telemetry/telemetry-event.ts';
import type { TaskStore } from './task-store.ts';
import { isoAt } from './utc-datetime.ts';

/** Records the agent's own events of one run (its model and tool calls), next to the run's lifecycle trace. */
export type AgentTelemetry = (run: { readonly sessionId: string; readonly runId: string }) => {
  readonly onEvent: (event: TelemetryEvent) => void;
  finish(outcome: 'completed' | 'failed' | 'cancelled' | 'timeout'): Promise<void>;
};

export interface RunExecutorOptions {
  readonly store: TaskStore;
  readonly clock: Clock;
  readonly workerId: string;
  readonly leaseMs: number;
  readonly resolver: AgentResolver;
  readonly sink: RunEventSink;
  readonly logger: BackgroundLogger;
  readonly agentTelemetry?: AgentTelemetry;
  /** Where runs keep their files; each run sees only its own `workspace_path`. */
  readonly workspace?: Workspace | null;
}

type Outcome =
  | { readonly kind: 'completed'; readonly preview: string }
  | { readonly kind: 'failed'; readonly reason: RetryReason; readonly error: string; readonly retryable: boolean }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'interrupted' }
  | { readonly kind: 'lost' };

type Write = (change: Omit<RunChange, 'now' | 'expect'>, expect?: Omit<RunExpectation, 'leaseToken'>) => Promise<BackgroundRun>;

/**
 * Executes claimed runs (spec 6.3): start an attempt, call the agent with the context-prefixed query, the run's
 * session and an AbortSignal, keep the lease alive, and record the outcome (completed, retry, failed, timeout,
 * cancelled). The signal aborts the agent's model call on cancel, timeout, lost lease or shutdown. Every write
 * carries the lease token, so once the lease is gone nothing this executor does can change the run.
 */
export class RunExecutor {
  readonly #options: RunExecutorOptions;
  readonly #active = new Map<string, AbortController>();

  constructor(options: RunExecutorOptions) {
    this.#options = options;
  }

  get activeCount(): number {
    return this.#active.size;
  }

  /** Aborts the run if it executes here; false when it does not. */
  abort(runId: string, reason: RunAbortedError): boolean {
    const controller = this.#active.get(runId);
    controller?.abort(reason);
    return controller !== undefined;
  }

  abortAll(reason: RunAbortedError): void {
    for (const controller of this.#active.values()) controller.abort(reason);
  }

  async execute(claimed: BackgroundRun): Promise<void> {
    const controller = new AbortController();
    this.#active.set(claimed.run_id, controller);
    const token = claimed.lease_token as string;
    const stopHeartbeat = this.#heartbeat(claimed, token, controller);
    const write: Write = async (change, expect = {}) => {
      const now = isoAt(this.#options.clock.now());
      const written = await this.#options.store.updateRun(claimed.run_id, { ...change, now, expect: { ...expect, leaseToken: token } });
      this.#options.sink.publish(written);
      return written.run;
    };
    try {
      await this.#run(claimed, controller, write);
    } catch (error) {
      // Someone else owns the run now (recovered, cancelled, deleted): leave it to them.
      if (!(error instanceof LeaseLostError || error instanceof TransitionRefusedError || error instanceof RecordNotFoundError)) {
        this.#options.logger.error({ run_id: claimed.run_id, err: describe(error) }, 'background run execution failed');
      }
    } finally {
      stopHeartbeat();
      this.#active.delete(claimed.run_id);
    }
  }

  async #run(claimed: BackgroundRun, controller: AbortController, write: Write): Promise<void> {
    // The worker's claim normally starts the run in the same write; a run claimed without starting (a cancel was
    // requested, or the caller did not ask) starts here.
    const started = claimed.status === 'running';
    const attempt = (status: 'failed' | 'cancelled') => (started ? attemptEnd(claimed, status, isoAt(this.#options.clock.now())) : []);
    const fail = (error: string) => write({ steps: [{ status: 'failed', event: RUN_EVENTS.failed, patch: { error } }], attempts: attempt('failed') });
    const stopped = reasonOf(controller.signal);
    if (stopped === 'lease_lost') return;
    if (stopped === 'shutdown') {
      if (started) await this.#record(claimed, null, { kind: 'interrupted' }, write);
      else await write({ steps: [{ status: 'queued', event: RUN_EVENTS.queued, extra: { reason: 'shutdown' }, patch: released(claimed) }] });
      return;
    }
    if (stopped === 'cancelled' || claimed.cancel_requested_at !== null) {
      await write({ steps: [{ status: 'cancelled', event: RUN_EVENTS.cancelled }], attempts: attempt('cancelled') });
      return;
    }
    const task = await this.#options.store.getTask(claimed.task_id);
    if (task === null) return void (await fail('task missing'));
    let agent: ServableAgent;
    try {
      agent = await this.#options.resolver.resolve(claimed.agent_id);
    } catch (error) {
      if (error instanceof AgentUnavailableError) return void (await fail(error.message));
      throw error;
    }
    const run = started ? claimed : await write(startChange(claimed, isoAt(this.#options.clock.now()), this.#options.workerId, newId('attempt')));
    const outcome = await this.#call(agent, run, task, controller);
    await this.#record(run, task, outcome, write);
  }

  async #call(agent: ServableAgent, run: BackgroundRun, task: BackgroundTask, controller: AbortController): Promise<Outcome> {
    const { signal } = controller;
    const stopTimer = task.timeout_seconds === null ? null : new AbortController();
    if (stopTimer !== null && task.timeout_seconds !== null) {
      const seconds = task.timeout_seconds;
      void this.#options.clock.sleep(seconds * 1000, stopTimer.signal).then(() => {
        if (!stopTimer.signal.aborted) controller.abort(new RunAbortedError('timeout', `Run timed out after ${seconds} seconds`));
      });
    }
    // Racing the signal, not only passing it, also stops waiting for an agent that ignores it.
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    aborted.catch(() => undefined);
    const watch = this.#options.agentTelemetry?.({ sessionId: run.session_id, runId: run.run_id });
    const finish = (outcome: 'completed' | 'failed' | 'cancelled' | 'timeout') => void watch?.finish(outcome).catch(() => undefined);
    try {
      const { workspace } = this.#options;
      const options = {
        sessionId: run.session_id,
        runId: run.run_id,
        signal,
        ...(watch ? { onEvent: watch.onEvent } : {}),
        ...(workspace ? { workspace: new ScopedWorkspace(workspace, run.workspace_path) } : {}),
      };
      const result = await Promise.race([agent.run(backgroundQuery(run), options), aborted]);
      finish('completed');
      return { kind: 'completed', preview: resultPreview(result) };
    } catch (error) {
      const reason = reasonOf(signal);
      finish(reason === 'timeout' ? 'timeout' : reason === null ? 'failed' : 'cancelled');
      switch (reason) {
        case 'cancelled':
          return { kind: 'cancelled' };
        case 'timeout':
          return { kind: 'failed', reason: 'timeout', error: (signal.reason as Error).message, retryable: true };
        case 'lease_lost':
          return { kind: 'lost' };
        case 'shutdown':
          return { kind: 'interrupted' };
        default:
          return { kind: 'failed', reason: 'exception', error: scrubSecrets(describe(error)), retryable: (error as Error | null)?.name !== 'NonRetryableError' };
      }
    } finally {
      stopTimer?.abort(STOPPED);
    }
  }

  async #record(run: BackgroundRun, task: BackgroundTask | null, outcome: Outcome, write: Write): Promise<void> {
    const now = isoAt(this.#options.clock.now());
    const attempt = (status: AttemptEnd, error: string | null = null, delay: number | null = null) => attemptEnd(run, status, now, error, delay);
    switch (outcome.kind) {
      case 'lost':
        return;
      case 'completed': {
        // The last checkpoint: a cancel requested elsewhere while the agent worked wins over its result. The store
        // checks it in the same write, so the common case costs one write and no read.
        try {
          // A retry that succeeds must not keep the previous attempt's error (spec 13.6).
          await write(
            {
              steps: [{ status: 'completed', event: RUN_EVENTS.completed, patch: { result_preview: outcome.preview, error: null } }],
              attempts: attempt('completed'),
            },
            { noCancelRequested: true },
          );
        } catch (error) {
          if (!(error instanceof CancelRequestedError)) throw error;
          await write({ steps: [{ status: 'cancelled', event: RUN_EVENTS.cancelled }], attempts: attempt('cancelled') });
        }
        return;
      }
      case 'cancelled':
        await write({ steps: [{ status: 'cancelled', event: RUN_EVENTS.cancelled }], attempts: attempt('cancelled') });
        return;
      case 'interrupted':
        // Shutdown is not the run's fault: it goes back to the queue without using up an attempt.
        await write({
          steps: [
            { status: 'retrying', event: RUN_EVENTS.retrying, extra: { reason: 'shutdown' } },
            { status: 'queued', event: RUN_EVENTS.queued, extra: { reason: 'shutdown' }, patch: { ...released(run), max_attempts: run.max_attempts + 1 } },
          ],
          attempts: attempt('interrupted', 'interrupted by shutdown'),
        });
        return;
      case 'failed': {
        const status = outcome.reason === 'timeout' ? 'timeout' : 'failed';
        const policy = task?.retry_policy;
        if (policy !== undefined && outcome.retryable && policy.retry_on.includes(outcome.reason) && run.attempt < run.max_attempts) {
          const delay = retryDelaySeconds(policy, run.attempt);
          await write({
            steps: [
              { status: 'retrying', event: RUN_EVENTS.retrying, extra: { error: outcome.error, retry_delay_seconds: delay }, patch: { error: outcome.error } },
              { status: 'queued', event: RUN_EVENTS.queued, patch: { ...released(run), queued_at: isoAt(Date.parse(now) + delay * 1000), next_attempt_reason: 'retry' } },
            ],
            attempts: attempt(status, outcome.error, delay),
          });
          return;
        }
        await write({
          steps: [{ status, event: status === 'timeout' ? RUN_EVENTS.timeout : RUN_EVENTS.failed, patch: { error: outcome.error } }],
          attempts: attempt(status, outcome.error),
        });
      }
    }
  }

  /** Keeps the lease alive every lease/4; a lost lease or a cancel request seen here aborts the run. */
  #heartbeat(run: BackgroundRun, token: string, controller: AbortController): () => void {
    const { clock, store, sink, leaseMs, logger } = this.#options;
    const stop = new AbortController();
    void (async () => {
      while (!stop.signal.aborted) {
        await clock.sleep(leaseMs / 4, stop.signal);
        if (stop.signal.aborted) return;
        try {
          const written = await store.extendLease(run.run_id, token, isoAt(clock.now()), leaseMs);
          if (written === null) {
            controller.abort(new RunAbortedError('lease_lost', 'The lease on this run was lost'));
            return;
          }
          sink.publish(written);
          if (written.run.cancel_requested_at !== null) controller.abort(new RunAbortedError('cancelled', 'The run was cancelled'));
        } catch (error) {
          logger.warn({ run_id: run.run_id, err: describe(error) }, 'background heartbeat failed; retrying');
        }
      }
    })();
    return () => stop.abort(STOPPED);
  }
}

function reasonOf(signal: AbortSignal): RunAbortedError['reason'] | null {
  return signal.aborted && signal.reason instanceof RunAbortedError ? signal.reason.reason : null;
}

type AttemptEnd = 'completed' | 'failed' | 'timeout' | 'cancelled' | 'interrupted';

/** The update that ends the run's current attempt. */
function attemptEnd(run: BackgroundRun, status: AttemptEnd, now: string, error: string | null = null, delay: number | null = null) {
  return [{ kind: 'update', attempt_number: run.attempt, patch: { status, finished_at: now, error, retry_delay_seconds: delay } }] as const;
}

/** A run handed back to the queue: no lease, claimable now. */
function released(run: BackgroundRun) {
  return { queued_at: run.queued_at, lease_token: null, lease_expires_at: null } as const;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
