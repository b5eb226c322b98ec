import { newId } from '../core/ids.ts';

export const ACTOR_TYPES = [
  'system', 'user', 'agent', 'model', 'tool', 'mcp_server', 'memory', 'workspace', 'guardrail', 'background', 'serve',
] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export interface Actor {
  readonly type: ActorType;
  readonly id?: string | null;
  readonly name?: string | null;
}

export interface TokenUsage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export interface EventError {
  readonly type: string;
  readonly message: string;
  readonly retryable?: boolean;
  readonly metadata?: Record<string, unknown>;
  readonly stack?: string | null;
}

/**
 * One telemetry event, in wire form (snake_case keys, spec 5.2). `text_delta` is our addition: it carries each
 * piece of model output as it streams, so `/run` clients see tokens live.
 */
export interface TelemetryEvent {
  readonly trace_id: string;
  readonly event_type: string;
  readonly actor: Actor;
  readonly event_id: string;
  readonly span_id: string | null;
  readonly parent_event_id: string | null;
  readonly sequence_number: number;
  readonly timestamp: string;
  readonly input: unknown;
  readonly output: unknown;
  readonly error: EventError | null;
  readonly duration_ms: number | null;
  readonly token_usage: TokenUsage | null;
  readonly estimated_cost_usd: number | null;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Set by a telemetry store: a per-session monotonic position, used as the SSE `id:`. */
  readonly stream_cursor?: number;
}

export type TelemetryEventInit = Pick<TelemetryEvent, 'trace_id' | 'event_type' | 'actor' | 'sequence_number'> &
  Partial<Omit<TelemetryEvent, 'trace_id' | 'event_type' | 'actor' | 'sequence_number'>>;

/** A complete event from the given fields; the rest get their defaults. Keys come in the order of spec 5.2. */
export function createTelemetryEvent(init: TelemetryEventInit, now: Date = new Date()): TelemetryEvent {
  return {
    trace_id: init.trace_id,
    event_type: init.event_type,
    actor: init.actor,
    event_id: init.event_id ?? newId('event'),
    span_id: init.span_id ?? null,
    parent_event_id: init.parent_event_id ?? null,
    sequence_number: init.sequence_number,
    timestamp: init.timestamp ?? now.toISOString(),
    input: init.input ?? null,
    output: init.output ?? null,
    error: init.error ?? null,
    duration_ms: init.duration_ms ?? null,
    token_usage: init.token_usage ?? null,
    estimated_cost_usd: init.estimated_cost_usd ?? null,
    metadata: init.metadata ?? {},
    ...(init.stream_cursor === undefined ? {} : { stream_cursor: init.stream_cursor }),
  };
}
