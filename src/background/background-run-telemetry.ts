import type { TelemetryStore } from '../stores/types.ts';
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
  appendEvent(event: TelemetryEvent): Promise<unknown>;
  saveTrace(trace: TraceRecord): Promise<unknown>;
  getTrace: TelemetryStore['getTrace'];
}

const OUTCOMES: Partial<Record<RunStatus, readonly [TraceStatus, SpanStatus]>> = {
  completed: ['completed', 'ok'],
  failed: ['failed', 'error'],
  cancelled: ['cancelled', 'cancelled'],
  timeout: ['timeout', 'timeout'],
  skipped: ['completed', 'skipped'],
};

interface TraceProgress {
  startedAt: string;
  eventIds: string[];
}

export const backgroundTraceId = (runId: string) => `trace_background_${runId}`;
export const backgroundSpanId = (runId: string) => `span_background_${runId}`;

/**
 * Spec 5.5: every background run is a trace (`trace_background_<run_id>`) with one root span of kind
 * `background.run`; each lifecycle event is appended with `output {event, status}` and the lifecycle record as
 * metadata, and a terminal event ends the span and the trace. Each write has a 2 s timeout; failures are logged
 * and never reach the run.
 */
export class BackgroundRunTelemetry implements RunObserver {
  readonly #store: BackgroundTelemetryTarget;
  readonly #logger: BackgroundLogger;
  readonly #timeoutMs: number;
  readonly #queue = new KeyedQueue();
  readonly #progress = new Map<string, TraceProgress>();

  constructor(store: BackgroundTelemetryTarget, options: { logger?: BackgroundLogger; timeoutMs?: number } = {}) {
    this.#store = store;
    this.#logger = options.logger ?? silentLogger;
    this.#timeoutMs = options.timeoutMs ?? TELEMETRY_TIMEOUT_MS;
  }

  onRunWrite({ run, events }: RunWrite): void {
    if (events.length === 0) return;
    this.#queue.push(run.run_id, async () => {
      try {
        await this.#record(run, events);
      } catch (error) {
        this.#logger.warn({ run_id: run.run_id, err: error instanceof Error ? error.message : String(error) }, 'background telemetry write failed');
      }
    });
  }

  flush(): Promise<void> {
    return this.#queue.flush();
  }

  async #record(run: BackgroundRun, events: readonly LifecycleEvent[]): Promise<void> {
    const traceId = backgroundTraceId(run.run_id);
    let progress = this.#progress.get(run.run_id);
    if (progress === undefined) {
      // Another process may have started this trace: carry on from what it saved.
      const existing = await this.#timed(this.#store.getTrace(traceId));
      const span = existing?.spans.find((s) => s.span_id === backgroundSpanId(run.run_id));
      progress = { startedAt: existing?.started_at ?? (events[0] as LifecycleEvent).timestamp, eventIds: [...(span?.event_ids ?? [])] };
      this.#progress.set(run.run_id, progress);
    }
    const finished = events.some((event) => isTerminalEvent(event.event));
    try {
      for (const event of events) {
        const telemetryEvent = toTelemetryEvent(run, event);
        await this.#timed(this.#store.appendEvent(telemetryEvent));
        progress.eventIds.push(telemetryEvent.event_id);
      }
      await this.#timed(this.#store.saveTrace(toTrace(run, progress, finished ? events.at(-1)?.timestamp ?? null : null)));
    } finally {
      if (finished) this.#progress.delete(run.run_id);
    }
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

function toTrace(run: BackgroundRun, progress: TraceProgress, endedAt: string | null): TraceRecord {
  const [traceStatus, spanStatus] = endedAt === null ? (['running', 'running'] as const) : (OUTCOMES[run.status] ?? (['completed', 'ok'] as const));
  const duration = endedAt === null ? null : Date.parse(endedAt) - Date.parse(progress.startedAt);
  const span: SpanRecord = {
    trace_id: backgroundTraceId(run.run_id),
    name: 'background.run',
    kind: 'background.run',
    actor: actorOf({ worker_id: run.lease_owner }),
    span_id: backgroundSpanId(run.run_id),
    parent_span_id: null,
    status: spanStatus,
    started_at: progress.startedAt,
    ended_at: endedAt,
    duration_ms: duration,
    input: { task_id: run.task_id, trigger_type: run.trigger_type, occurrence_id: run.occurrence_id, due_at: run.due_at },
    output: { status: run.status, attempt: run.attempt, result_preview: run.result_preview },
    error: spanStatus === 'error' || spanStatus === 'timeout' ? { type: run.status, message: run.error ?? run.status } : null,
    token_usage: null,
    estimated_cost_usd: null,
    attributes: { task_id: run.task_id, agent_id: run.agent_id, attempt: run.attempt, max_attempts: run.max_attempts },
    event_ids: [...progress.eventIds],
  };
  return {
    trace_id: span.trace_id,
    root_span_id: span.span_id,
    status: traceStatus,
    started_at: progress.startedAt,
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
