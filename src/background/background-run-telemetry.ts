import { createTelemetryEvent, type EventError, type TelemetryEvent } from '../telemetry/telemetry-event.ts';
import type { SpanRecord, SpanStatus, TraceRecord, TraceStatus } from '../telemetry/trace-model.ts';
import { isTerminalEvent } from './lifecycle-events.ts';
import { KeyedQueue, silentLogger, type BackgroundLogger, type RunObserver } from './run-event-sink.ts';
import type { BackgroundRun, LifecycleEvent, RunStatus } from './run-record.ts';
import type { RunWrite } from './task-store.ts';

export const TELEMETRY_TIMEOUT_MS = 2_000;

/**
 * Where background telemetry goes: a `TelemetryStore`, or anything that writes through to one (the server passes
 * its telemetry recorder, so live event streams see background events too).
 */
export interface BackgroundTelemetryTarget {
  /** The events of one run write, then the run's trace, in that order. */
  appendEvents(events: readonly TelemetryEvent[], trace: TraceRecord): Promise<unknown>;
}

const OUTCOMES: Partial<Record<RunStatus, readonly [TraceStatus, SpanStatus]>> = {
  completed: ['completed', 'ok'],
  failed: ['failed', 'error'],
  cancelled: ['cancelled', 'cancelled'],
  timeout: ['timeout', 'timeout'],
  skipped: ['completed', 'skipped'],
};

export const backgroundTraceId = (runId: string) => `trace_background_${runId}`;
export const backgroundSpanId = (runId: string) => `span_background_${runId}`;
/**
 * The telemetry event of a run's lifecycle event `sequence`. Derived, not random, so that whichever process writes
 * the trace can list every event of the run without reading what the others wrote.
 */
export const backgroundEventId = (runId: string, sequence: number) => `event_background_${runId}_${sequence}`;

/**
 * Spec 5.5: every background run is a trace (`trace_background_<run_id>`) with one root span of kind
 * `background.run`; each lifecycle event is appended with `output {event, status}` and the lifecycle record as
 * metadata, and a terminal event ends the span and the trace. The trace starts when the run was triggered and
 * lists the run's events 1..n by their derived ids, so it needs no state across writes: processes that share a
 * store each write the part of the run they handle. Each write has a 2 s timeout; failures are logged and never
 * reach the run.
 */
export class BackgroundRunTelemetry implements RunObserver {
  readonly #store: BackgroundTelemetryTarget;
  readonly #logger: BackgroundLogger;
  readonly #timeoutMs: number;
  readonly #queue = new KeyedQueue();

  constructor(store: BackgroundTelemetryTarget, options: { logger?: BackgroundLogger; timeoutMs?: number } = {}) {
    this.#store = store;
    this.#logger = options.logger ?? silentLogger;
    this.#timeoutMs = options.timeoutMs ?? TELEMETRY_TIMEOUT_MS;
  }

  onRunWrite({ run, events }: RunWrite): void {
    if (events.length === 0) return;
    this.#queue.push(run.run_id, async () => {
      try {
        const last = events.at(-1) as LifecycleEvent;
        const endedAt = events.some((event) => isTerminalEvent(event.event)) ? last.timestamp : null;
        await this.#timed(this.#store.appendEvents(events.map((event) => toTelemetryEvent(run, event)), toTrace(run, last.sequence, endedAt)));
      } catch (error) {
        this.#logger.warn({ run_id: run.run_id, err: error instanceof Error ? error.message : String(error) }, 'background telemetry write failed');
      }
    });
  }

  flush(): Promise<void> {
    return this.#queue.flush();
  }

  #timed<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`telemetry store did not answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }
}

const actorOf = (event: Pick<LifecycleEvent, 'worker_id'>) => ({ type: 'background' as const, id: event.worker_id, name: 'OmniServe background worker' });

function toTelemetryEvent(run: BackgroundRun, event: LifecycleEvent) {
  const error: EventError | null =
    event.status === 'failed' || event.status === 'timeout' ? { type: event.status === 'timeout' ? 'TimeoutError' : 'BackgroundRunError', message: run.error ?? event.status } : null;
  return createTelemetryEvent({
    event_id: backgroundEventId(run.run_id, event.sequence),
    trace_id: backgroundTraceId(run.run_id),
    event_type: event.event,
    actor: actorOf(event),
    sequence_number: event.sequence,
    span_id: backgroundSpanId(run.run_id),
    timestamp: event.timestamp,
    output: { event: event.event, status: event.status },
    error,
    metadata: { ...event },
  });
}

function toTrace(run: BackgroundRun, lastSequence: number, endedAt: string | null): TraceRecord {
  const startedAt = run.triggered_at;
  const [traceStatus, spanStatus] = endedAt === null ? (['running', 'running'] as const) : (OUTCOMES[run.status] ?? (['completed', 'ok'] as const));
  const duration = endedAt === null ? null : Date.parse(endedAt) - Date.parse(startedAt);
  const span: SpanRecord = {
    trace_id: backgroundTraceId(run.run_id),
    name: 'background.run',
    kind: 'background.run',
    actor: actorOf({ worker_id: run.lease_owner }),
    span_id: backgroundSpanId(run.run_id),
    parent_span_id: null,
    status: spanStatus,
    started_at: startedAt,
    ended_at: endedAt,
    duration_ms: duration,
    input: { task_id: run.task_id, trigger_type: run.trigger_type, occurrence_id: run.occurrence_id, due_at: run.due_at },
    output: { status: run.status, attempt: run.attempt, result_preview: run.result_preview },
    error: spanStatus === 'error' || spanStatus === 'timeout' ? { type: run.status, message: run.error ?? run.status } : null,
    token_usage: null,
    estimated_cost_usd: null,
    attributes: { task_id: run.task_id, agent_id: run.agent_id, attempt: run.attempt, max_attempts: run.max_attempts },
    event_ids: Array.from({ length: lastSequence }, (_, i) => backgroundEventId(run.run_id, i + 1)),
  };
  return {
    trace_id: span.trace_id,
    root_span_id: span.span_id,
    status: traceStatus,
    started_at: startedAt,
    ended_at: endedAt,
    run_id: run.run_id,
    session_id: run.session_id,
    task_id: run.task_id,
    suite_id: null,
    agent_id: run.agent_id,
    workflow_id: null,
    metadata: {
      agent_name: null,
      agent_version: null,
      model_provider: null,
      model: null,
      prompt_version: null,
      tool_schema_version: null,
      memory_config_version: null,
      constraint_config_version: null,
      tags: ['background'],
    },
    spans: [span],
  };
}
