import type { z } from 'zod';
import { OmniError } from '../../core/errors.ts';
import { findLatestSessionTrace, findRunTrace, traceDetail } from '../../telemetry/trace-inspection.ts';
import { TRACE_STATUSES, type TraceRecord, type TraceStatus } from '../../telemetry/trace-model.ts';
import { eventIdOf } from '../../telemetry/wire-event.ts';
import { jsonRoute, sseRoute } from '../route-definition.ts';
import {
  RunParams,
  TelemetryEventsQuery,
  TelemetryEventsResponse,
  TelemetryStreamQuery,
  TelemetryTraceDetailResponse,
  TelemetryTraceListResponse,
  TelemetryTracesQuery,
  TraceLookupQuery,
  TraceParams,
} from '../telemetry-schemas.ts';
import { SessionParams } from '../wire-schemas.ts';
import { resumeCursor, streamSessionEvents } from './event-routes.ts';

type EventsQuery = z.infer<typeof TelemetryEventsQuery>;
type TracesQuery = z.infer<typeof TelemetryTracesQuery>;
type LookupQuery = z.infer<typeof TraceLookupQuery>;

/** The query values given (and defaults applied), as the spec echoes them: no null values or empty lists, keys sorted. */
export function echoFilters(values: Record<string, unknown>): Record<string, unknown> {
  const entries = Object.entries(values).filter(
    ([, value]) => value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0),
  );
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export const telemetryEventsRoute = jsonRoute<undefined, EventsQuery>({
  kind: 'json',
  method: 'GET',
  path: '/telemetry/events',
  summary: 'Stored telemetry events matching every given filter, oldest first',
  tags: ['telemetry'],
  query: TelemetryEventsQuery,
  response: TelemetryEventsResponse,
  errors: ['VALIDATION_FAILED'],
  async handle({ query }, { telemetry }) {
    const types = query.event_type === undefined ? [] : Array.isArray(query.event_type) ? query.event_type : [query.event_type];
    const ids = { trace_id: query.trace_id, run_id: query.run_id, session_id: query.session_id, task_id: query.task_id };
    const found = await telemetry.store.readEvents({
      ...(ids.trace_id === undefined ? {} : { traceId: ids.trace_id }),
      ...(ids.run_id === undefined ? {} : { runId: ids.run_id }),
      ...(ids.session_id === undefined ? {} : { sessionId: ids.session_id }),
      ...(ids.task_id === undefined ? {} : { taskId: ids.task_id }),
      ...(types.length === 0 ? {} : { eventTypes: types }),
      ...(query.cursor === undefined ? {} : { afterCursor: query.cursor }),
      limit: query.limit,
    });
    const events = found
      // Spec 3.7: filtered again here, each id against the event's own or its metadata's.
      .filter((event) => Object.entries(ids).every(([key, want]) => want === undefined || eventIdOf(event, key) === want))
      .filter((event) => types.length === 0 || types.includes(event.event_type))
      .slice(0, query.limit);
    return { filters: echoFilters({ ...ids, event_type: types, cursor: query.cursor, limit: query.limit }), events, count: events.length };
  },
});

export const telemetryEventStreamRoute = sseRoute<undefined, z.infer<typeof TelemetryStreamQuery>>({
  kind: 'sse',
  method: 'GET',
  path: '/telemetry/events/stream',
  summary: "Replay a session's events after a cursor (or Last-Event-ID), then follow them live (SSE)",
  tags: ['telemetry'],
  query: TelemetryStreamQuery,
  errors: ['VALIDATION_FAILED'],
  async stream({ query, headers, signal }, context, sse) {
    await streamSessionEvents(context, sse, {
      sessionId: query.session_id,
      runId: query.run_id ?? null,
      afterCursor: resumeCursor(query.cursor, headers['last-event-id']),
      signal,
    });
  },
});

export const telemetryTracesRoute = jsonRoute<undefined, TracesQuery>({
  kind: 'json',
  method: 'GET',
  path: '/telemetry/traces',
  summary: 'Traces matching every given filter, newest first (without their events)',
  tags: ['telemetry'],
  query: TelemetryTracesQuery,
  response: TelemetryTraceListResponse,
  errors: ['VALIDATION_FAILED'],
  async handle({ query }, { telemetry }) {
    const { normalize, limit, ...given } = query;
    const status = given.status;
    if (status !== undefined && !(TRACE_STATUSES as readonly string[]).includes(status)) {
      throw new OmniError('VALIDATION_FAILED', `Invalid trace status '${status}'. Expected one of: ${TRACE_STATUSES.join(', ')}`);
    }
    const found = await telemetry.store.findTraces({
      ...(given.trace_id === undefined ? {} : { traceId: given.trace_id }),
      ...(given.run_id === undefined ? {} : { runId: given.run_id }),
      ...(given.session_id === undefined ? {} : { sessionId: given.session_id }),
      ...(given.task_id === undefined ? {} : { taskId: given.task_id }),
      ...(given.agent_id === undefined ? {} : { agentId: given.agent_id }),
      ...(given.workflow_id === undefined ? {} : { workflowId: given.workflow_id }),
      ...(given.model === undefined ? {} : { model: given.model }),
      ...(status === undefined ? {} : { status: status as TraceStatus }),
      limit,
    });
    const traces = found.filter((trace) => matchesTrace(trace, given)).slice(0, limit);
    return { filters: echoFilters({ ...given, normalize, limit }), traces, count: traces.length };
  },
});

function matchesTrace(trace: TraceRecord, given: Omit<TracesQuery, 'normalize' | 'limit'>): boolean {
  const pairs: [unknown, string | undefined][] = [
    [trace.trace_id, given.trace_id],
    [trace.run_id, given.run_id],
    [trace.session_id, given.session_id],
    [trace.task_id, given.task_id],
    [trace.agent_id, given.agent_id],
    [trace.workflow_id, given.workflow_id],
    [trace.metadata.model, given.model],
    [trace.status, given.status],
  ];
  return pairs.every(([actual, want]) => want === undefined || actual === want);
}

export const telemetryTraceRoute = jsonRoute<undefined, LookupQuery, z.infer<typeof TraceParams>>({
  kind: 'json',
  method: 'GET',
  path: '/telemetry/traces/:trace_id',
  summary: 'One trace with its spans and events',
  tags: ['telemetry'],
  params: TraceParams,
  query: TraceLookupQuery,
  response: TelemetryTraceDetailResponse,
  errors: ['VALIDATION_FAILED', 'NOT_FOUND'],
  async handle({ params, query }, { telemetry }) {
    const trace = await telemetry.store.getTrace(params.trace_id);
    if (trace === null || trace.trace_id !== params.trace_id) throw new OmniError('NOT_FOUND', `Trace not found: ${params.trace_id}`);
    return { filters: echoFilters({ trace_id: params.trace_id, normalize: query.normalize }), ...(await traceDetail(telemetry.store, trace, query.normalize)) };
  },
});

export const telemetryRunTraceRoute = jsonRoute<undefined, LookupQuery, z.infer<typeof RunParams>>({
  kind: 'json',
  method: 'GET',
  path: '/telemetry/runs/:run_id/trace',
  summary: "A run's trace (the agent's; the serve layer's when the agent records none)",
  tags: ['telemetry'],
  params: RunParams,
  query: TraceLookupQuery,
  response: TelemetryTraceDetailResponse,
  errors: ['VALIDATION_FAILED', 'NOT_FOUND'],
  async handle({ params, query }, { telemetry }) {
    const trace = await findRunTrace(telemetry.store, params.run_id);
    if (trace === null || trace.run_id !== params.run_id) throw new OmniError('NOT_FOUND', `Trace not found for run: ${params.run_id}`);
    return { filters: echoFilters({ run_id: params.run_id, normalize: query.normalize }), ...(await traceDetail(telemetry.store, trace, query.normalize)) };
  },
});

export const telemetrySessionTraceRoute = jsonRoute<undefined, LookupQuery, z.infer<typeof SessionParams>>({
  kind: 'json',
  method: 'GET',
  path: '/telemetry/sessions/:session_id/trace',
  summary: "A session's latest trace",
  tags: ['telemetry'],
  params: SessionParams,
  query: TraceLookupQuery,
  response: TelemetryTraceDetailResponse,
  errors: ['VALIDATION_FAILED', 'NOT_FOUND'],
  async handle({ params, query }, { telemetry }) {
    const trace = await findLatestSessionTrace(telemetry.store, params.session_id);
    if (trace === null || trace.session_id !== params.session_id) {
      throw new OmniError('NOT_FOUND', `Trace not found for session: ${params.session_id}`);
    }
    return {
      filters: echoFilters({ session_id: params.session_id, normalize: query.normalize }),
      ...(await traceDetail(telemetry.store, trace, query.normalize)),
    };
  },
});
