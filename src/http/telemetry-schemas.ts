import { z } from 'zod';
import { ACTOR_TYPES } from '../telemetry/telemetry-event.ts';
import { SPAN_KINDS, SPAN_STATUSES, TRACE_STATUSES } from '../telemetry/trace-model.ts';

/** Request and response schemas of the session-event and telemetry endpoints (spec 3.6, 3.7, 5). */

const MAX_LIMIT = 1000;
const limit = (fallback: number) =>
  z.coerce.number().int().min(1).max(MAX_LIMIT).default(fallback).describe(`At most this many (1-${MAX_LIMIT}).`);
const cursor = z.coerce
  .number()
  .int()
  .min(0)
  .optional()
  .describe('Only events after this stream cursor (the SSE `id:` of the last event the client has).');
const runId = z.string().optional().describe('Only events of this run.');
const normalize = z
  .stringbool()
  .default(false)
  .describe("Events in the SSE frames' form: ids lifted from metadata to the top level, `type` set.");

export const EventStreamQuery = z.object({ run_id: runId, cursor });
export const EventListQuery = z.object({ run_id: runId, cursor });
export const SessionTraceQuery = z.object({ run_id: z.string().optional().describe("This run's trace instead of the latest.") });

export const TelemetryEventsQuery = z.object({
  trace_id: z.string().optional(),
  run_id: z.string().optional(),
  session_id: z.string().optional(),
  task_id: z.string().optional(),
  event_type: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe('Only these event types (repeat the parameter for several).'),
  cursor,
  limit: limit(200),
});

export const TelemetryStreamQuery = z.object({
  session_id: z.string().describe('The session to stream (required).'),
  run_id: runId,
  cursor,
});

export const TelemetryTracesQuery = z.object({
  trace_id: z.string().optional(),
  run_id: z.string().optional(),
  session_id: z.string().optional(),
  task_id: z.string().optional(),
  agent_id: z.string().optional(),
  workflow_id: z.string().optional(),
  model: z.string().optional(),
  status: z.string().optional().describe(`One of: ${TRACE_STATUSES.join(', ')}.`),
  normalize,
  limit: limit(100),
});

export const TraceLookupQuery = z.object({ normalize });
export const TraceParams = z.object({ trace_id: z.string().min(1) });
export const RunParams = z.object({ run_id: z.string().min(1) });

const Actor = z.object({ type: z.enum(ACTOR_TYPES), id: z.string().nullable().optional(), name: z.string().nullable().optional() });
const TokenUsage = z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() });
const EventError = z.object({
  type: z.string(),
  message: z.string(),
  retryable: z.boolean().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  stack: z.string().nullable().optional(),
});

export const TelemetryEventBody = z
  .object({
    trace_id: z.string(),
    event_type: z.string(),
    actor: Actor,
    event_id: z.string(),
    span_id: z.string().nullable(),
    parent_event_id: z.string().nullable(),
    sequence_number: z.number().int(),
    timestamp: z.string().describe('ISO-8601, UTC.'),
    input: z.unknown(),
    output: z.unknown(),
    error: EventError.nullable(),
    duration_ms: z.number().nullable(),
    token_usage: TokenUsage.nullable(),
    estimated_cost_usd: z.number().nullable(),
    metadata: z.record(z.string(), z.unknown()).describe('session_id, run_id, agent_name, task_id, ... as applicable.'),
    stream_cursor: z.number().int().optional().describe("Position in the session's stream; the SSE `id:`."),
  })
  .describe('TelemetryEvent');

const Span = z
  .object({
    trace_id: z.string(),
    name: z.string(),
    kind: z.enum(SPAN_KINDS),
    actor: Actor,
    span_id: z.string(),
    parent_span_id: z.string().nullable(),
    status: z.enum(SPAN_STATUSES),
    started_at: z.string(),
    ended_at: z.string().nullable(),
    duration_ms: z.number().nullable(),
    input: z.unknown(),
    output: z.unknown(),
    error: EventError.nullable(),
    token_usage: TokenUsage.nullable(),
    estimated_cost_usd: z.number().nullable(),
    attributes: z.record(z.string(), z.unknown()),
    event_ids: z.array(z.string()),
  })
  .describe('Span');

const TraceFields = {
  trace_id: z.string(),
  root_span_id: z.string().nullable(),
  status: z.enum(TRACE_STATUSES),
  started_at: z.string(),
  ended_at: z.string().nullable(),
  run_id: z.string().nullable(),
  session_id: z.string().nullable(),
  task_id: z.string().nullable(),
  suite_id: z.string().nullable(),
  agent_id: z.string().nullable(),
  workflow_id: z.string().nullable(),
  metadata: z.object({
    agent_name: z.string().nullable(),
    agent_version: z.string().nullable(),
    model_provider: z.string().nullable(),
    model: z.string().nullable(),
    prompt_version: z.string().nullable(),
    tool_schema_version: z.string().nullable(),
    memory_config_version: z.string().nullable(),
    constraint_config_version: z.string().nullable(),
    tags: z.array(z.string()),
  }),
  spans: z.array(Span),
};

const TraceListItem = z.object(TraceFields).describe('Trace (listed without its events)');
const TraceWithEvents = z
  .object({ ...TraceFields, events: z.array(TelemetryEventBody).describe('From the event log, without text_delta.') })
  .describe('Trace');

const SummaryFields = {
  trace_id: z.string().nullable(),
  run_id: z.string().nullable(),
  status: z.string().nullable(),
  event_count: z.number().int(),
  span_count: z.number().int(),
};
const Filters = z.record(z.string(), z.unknown()).describe('The query values given (and the defaults applied).');

export const SessionEventsResponse = z.object({ session_id: z.string(), events: z.array(TelemetryEventBody), count: z.number().int() });

export const SessionTraceResponse = z.object({
  session_id: z.string(),
  summary: z.object(SummaryFields),
  steps: z.array(TelemetryEventBody),
});

export const TelemetryEventsResponse = z.object({ filters: Filters, events: z.array(TelemetryEventBody), count: z.number().int() });
export const TelemetryTraceListResponse = z.object({ filters: Filters, traces: z.array(TraceListItem), count: z.number().int() });
export const TelemetryTraceDetailResponse = z.object({
  filters: Filters,
  summary: z.object({ ...SummaryFields, session_id: z.string().nullable() }),
  trace: TraceWithEvents,
});
