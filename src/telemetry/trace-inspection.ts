import type { StoredEvent, TelemetryStore } from '../stores/types.ts';
import { STREAMING_EVENT_TYPES } from './agent-trace-builder.ts';
import { SERVE_TRACE_TAG } from './serve-request-telemetry.ts';
import type { TraceRecord } from './trace-model.ts';
import { eventRunId, toWireEvent } from './wire-event.ts';

/** Most events one trace view lists (the memory store keeps at most 10,000 per session anyway). */
export const TRACE_EVENT_LIMIT = 10_000;
/** Traces looked at when picking the one trace of a run or session (a served run has two: agent and serve). */
const CANDIDATES = 50;

export interface TraceSummary {
  readonly trace_id: string | null;
  readonly run_id: string | null;
  readonly session_id: string | null;
  readonly status: string | null;
  readonly event_count: number;
  readonly span_count: number;
}

export interface TraceDetail {
  readonly summary: TraceSummary;
  readonly trace: TraceRecord & { readonly events: readonly unknown[] };
}

export function isServeTrace(trace: TraceRecord): boolean {
  return trace.metadata.tags.includes(SERVE_TRACE_TAG);
}

/**
 * A trace's events from the event log, oldest first, without the streamed `text_delta` pieces. `normalize` gives
 * them in the form SSE frames carry: ids from `metadata` lifted to the top level, `type` set.
 */
export async function loadTraceEvents(store: TelemetryStore, trace: TraceRecord, normalize = false): Promise<unknown[]> {
  const events = await store.readEvents({ traceId: trace.trace_id, excludeEventTypes: STREAMING_EVENT_TYPES, limit: TRACE_EVENT_LIMIT });
  const own = events.filter((event) => event.trace_id === trace.trace_id);
  return normalize ? own.map((event) => normalizeEvent(event)) : own;
}

export function normalizeEvent(event: StoredEvent): Record<string, unknown> {
  const session = event.metadata['session_id'];
  return toWireEvent(event, typeof session === 'string' ? session : '');
}

export function traceSummary(trace: TraceRecord | null, eventCount: number): TraceSummary {
  return {
    trace_id: trace?.trace_id ?? null,
    run_id: trace?.run_id ?? null,
    session_id: trace?.session_id ?? null,
    status: trace?.status ?? null,
    event_count: eventCount,
    span_count: trace?.spans.length ?? 0,
  };
}

/** The trace with its events, and its summary (the `/telemetry/.../trace` body without `filters`). */
export async function traceDetail(store: TelemetryStore, trace: TraceRecord, normalize = false): Promise<TraceDetail> {
  const events = await loadTraceEvents(store, trace, normalize);
  return { summary: traceSummary(trace, events.length), trace: { ...trace, events } };
}

/**
 * The trace of a run. A served run has two traces with its run id, the agent's and the serve layer's: the agent's
 * is the run's trace; the serve trace is the answer only for runs whose agent records none (light agents).
 */
export async function findRunTrace(store: TelemetryStore, runId: string): Promise<TraceRecord | null> {
  const traces = (await store.findTraces({ runId, limit: CANDIDATES })).filter((trace) => trace.run_id === runId);
  return traces.find((trace) => !isServeTrace(trace)) ?? traces[0] ?? null;
}

/** The newest trace of a session, preferring the agent's trace over the serve trace of that same run. */
export async function findLatestSessionTrace(store: TelemetryStore, sessionId: string): Promise<TraceRecord | null> {
  const traces = (await store.findTraces({ sessionId, limit: CANDIDATES })).filter((trace) => trace.session_id === sessionId);
  const newest = traces[0];
  if (newest === undefined || !isServeTrace(newest)) return newest ?? null;
  return traces.find((trace) => trace.run_id === newest.run_id && !isServeTrace(trace)) ?? newest;
}

/** Keeps only events of the run (spec 13.16: an accessor may hand back other runs' events). */
export function onlyRun<T extends StoredEvent>(events: readonly T[], runId: string | undefined): T[] {
  return runId === undefined ? [...events] : events.filter((event) => eventRunId(event) === runId);
}
