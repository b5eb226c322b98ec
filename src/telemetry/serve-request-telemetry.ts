import { newId } from '../core/ids.ts';
import { createTelemetryEvent, type Actor, type EventError } from './telemetry-event.ts';
import type { TelemetryWriter } from './telemetry-writer.ts';
import type { SpanStatus, TraceRecord, TraceStatus } from './trace-model.ts';

export const SERVE_ACTOR: Actor = { type: 'serve', id: null, name: 'OmniServe' };
export const SERVE_TRACE_TAG = 'serve';

/** The events that end a served run's stream: the serve layer records one of them last, after the run's own. */
export const SERVE_END_EVENT_TYPES: readonly string[] = ['serve_request_end', 'serve_request_error'];
/** Every event the serve layer records about a request (as opposed to the agent's events of the run). */
export const SERVE_EVENT_TYPES: readonly string[] = ['serve_request_start', ...SERVE_END_EVENT_TYPES];

export interface ServeRequestInit {
  readonly sessionId: string;
  readonly runId: string;
  readonly method: string;
  readonly path: string;
  /** Length of the user's query (the text itself is not recorded here). */
  readonly queryLength: number;
  readonly streaming: boolean;
  readonly agentName: string;
}

export interface ServeRequestOutcome {
  readonly status: TraceStatus;
  readonly agentTraceId?: string | null;
  /** Present for failed, timed-out and cancelled requests: the end event is then `serve_request_error`. */
  readonly error?: EventError | null;
}

const SPAN_STATUS: Readonly<Partial<Record<TraceStatus, SpanStatus>>> = {
  completed: 'ok',
  suspended: 'ok',
  failed: 'error',
  timeout: 'timeout',
  cancelled: 'cancelled',
};

/** A run's `status` (spec 3.3 / 3.9) -> the request trace's status. A result without one is a success. */
export function traceStatusOfRun(status: string | undefined): TraceStatus {
  if (status === undefined || status === 'success') return 'completed';
  if (status === 'awaiting_approval' || status === 'awaiting_budget') return 'suspended';
  if (status === 'cancelled') return 'cancelled';
  return 'failed';
}

/**
 * The serve layer's trace of one `/run` or `/run/sync` request (spec 5.4): a `serve.request` root span, the event
 * `serve_request_start`, then exactly one of `serve_request_end` / `serve_request_error`.
 */
export class ServeRequestTelemetry {
  readonly traceId = newId('trace');
  readonly spanId = newId('span');
  readonly #writer: TelemetryWriter;
  readonly #init: ServeRequestInit;
  readonly #eventIds: string[] = [];
  #startedAt = new Date();
  #finished = false;

  constructor(writer: TelemetryWriter, init: ServeRequestInit) {
    this.#writer = writer;
    this.#init = init;
  }

  /** Records `serve_request_start` and saves the trace as running. Queued, not awaited: the run is not held up. */
  start(): void {
    this.#startedAt = new Date();
    const { method, path, streaming } = this.#init;
    void this.#record('serve_request_start', { input: { method, path, streaming } }, this.#startedAt);
    void this.#writer.saveTrace(this.#trace('running', null, null, null));
  }

  /** Records the end event, saves and exports the trace; true once the end event is stored (bounded wait). */
  async finish(outcome: ServeRequestOutcome): Promise<boolean> {
    if (this.#finished) return true;
    this.#finished = true;
    const ended = new Date();
    const output = { status: outcome.status, agent_trace_id: outcome.agentTraceId ?? null };
    const error = outcome.error ?? null;
    const stored = this.#record(error === null ? 'serve_request_end' : 'serve_request_error', {
      output,
      error,
      duration_ms: ended.getTime() - this.#startedAt.getTime(),
    }, ended);
    const trace = this.#trace(outcome.status, ended, output, error);
    void this.#writer.saveTrace(trace);
    this.#writer.exportTrace(trace);
    const [event] = await Promise.all([stored, this.#writer.flush(this.#init.sessionId)]);
    return event !== null;
  }

  #record(eventType: string, fields: { input?: unknown; output?: unknown; error?: EventError | null; duration_ms?: number }, at: Date) {
    const event = createTelemetryEvent(
      {
        trace_id: this.traceId,
        event_type: eventType,
        actor: SERVE_ACTOR,
        sequence_number: this.#eventIds.length,
        span_id: this.spanId,
        ...fields,
        metadata: { session_id: this.#init.sessionId, run_id: this.#init.runId, agent_name: this.#init.agentName },
      },
      at,
    );
    this.#eventIds.push(event.event_id);
    return this.#writer.append(event);
  }

  #trace(status: TraceStatus, ended: Date | null, output: unknown, error: EventError | null): TraceRecord {
    const { method, path, queryLength, streaming, sessionId, runId, agentName } = this.#init;
    const started = this.#startedAt.toISOString();
    const endedAt = ended?.toISOString() ?? null;
    return {
      trace_id: this.traceId,
      root_span_id: this.spanId,
      status,
      started_at: started,
      ended_at: endedAt,
      run_id: runId,
      session_id: sessionId,
      task_id: null,
      suite_id: null,
      agent_id: null,
      workflow_id: null,
      metadata: {
        agent_name: agentName,
        agent_version: null,
        model_provider: null,
        model: null,
        prompt_version: null,
        tool_schema_version: null,
        memory_config_version: null,
        constraint_config_version: null,
        tags: [SERVE_TRACE_TAG],
      },
      spans: [
        {
          trace_id: this.traceId,
          name: 'serve.request',
          kind: 'serve.request',
          actor: SERVE_ACTOR,
          span_id: this.spanId,
          parent_span_id: null,
          status: ended === null ? 'running' : (SPAN_STATUS[status] ?? 'error'),
          started_at: started,
          ended_at: endedAt,
          duration_ms: ended === null ? null : ended.getTime() - this.#startedAt.getTime(),
          input: { method, path, query_length: queryLength, streaming },
          output,
          error,
          token_usage: null,
          estimated_cost_usd: null,
          attributes: { method, path, streaming },
          event_ids: [...this.#eventIds],
        },
      ],
    };
  }
}
