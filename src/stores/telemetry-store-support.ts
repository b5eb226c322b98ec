import type { TelemetryEvent } from '../telemetry/telemetry-event.ts';
import type { TraceRecord } from '../telemetry/trace-model.ts';
import { eventIdOf } from '../telemetry/wire-event.ts';
import { MEMORY_TELEMETRY_DEFAULTS } from './memory/memory-telemetry-store.ts';
import type { StoredEvent, TelemetryRetention, TraceQuery } from './types.ts';

/**
 * A durable telemetry store's bounds, with how often each is checked. Counting a whole table on every append is
 * O(total), so the SQL and MongoDB stores check a global bound once per 1% of it (at least every write): a bound
 * may be passed by less than 1% (per process) between two checks, never more. Small bounds are exact.
 */
export interface RetentionPlan extends Required<TelemetryRetention> {
  readonly checkTracesEvery: number;
  readonly checkEventsEvery: number;
  readonly checkSessionEvery: number;
}

/** Same defaults as the in-memory store, so switching backends keeps the same amount of history. */
export function planRetention(retention: TelemetryRetention = {}, store: string): RetentionPlan {
  const bounds = { ...MEMORY_TELEMETRY_DEFAULTS };
  for (const key of Object.keys(bounds) as (keyof TelemetryRetention)[]) {
    const value = retention[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${store} ${key} must be an integer of at least 1, got ${value}`);
    bounds[key] = value as never;
  }
  const every = (bound: number) => Math.max(1, Math.floor(bound / 100));
  return {
    ...bounds,
    checkTracesEvery: every(bounds.maxTraces),
    checkEventsEvery: every(bounds.maxEvents),
    checkSessionEvery: every(bounds.maxEventsPerSession),
  };
}

/** The columns a durable store indexes an event by, and the event itself as JSON (without any old cursor). */
export interface EventRow {
  readonly sessionId: string;
  readonly traceId: string;
  /** Only string ids are indexed; the reads compare the event's own value, as the in-memory store does. */
  readonly runId: string | null;
  readonly taskId: string | null;
  readonly eventType: string;
  readonly json: string;
}

export function eventRow(event: TelemetryEvent): EventRow {
  const { stream_cursor: _ignored, ...plain } = event;
  const session = event.metadata['session_id'];
  const run = eventIdOf(event, 'run_id');
  const task = eventIdOf(event, 'task_id');
  return {
    sessionId: typeof session === 'string' ? session : '',
    traceId: event.trace_id,
    runId: typeof run === 'string' ? run : null,
    taskId: typeof task === 'string' ? task : null,
    eventType: event.event_type,
    json: JSON.stringify(plain),
  };
}

/** A stored event from its JSON and cursor. */
export function storedEvent(json: string, cursor: number | string | bigint): StoredEvent {
  return { ...(JSON.parse(json) as TelemetryEvent), stream_cursor: Number(cursor) };
}

/** Whether a trace passes every given filter of a query (for stores that filter in code). */
export function matchesTrace(trace: TraceRecord, query: TraceQuery): boolean {
  return (
    (query.traceId === undefined || trace.trace_id === query.traceId) &&
    (query.runId === undefined || trace.run_id === query.runId) &&
    (query.sessionId === undefined || trace.session_id === query.sessionId) &&
    (query.taskId === undefined || trace.task_id === query.taskId) &&
    (query.agentId === undefined || trace.agent_id === query.agentId) &&
    (query.workflowId === undefined || trace.workflow_id === query.workflowId) &&
    (query.model === undefined || trace.metadata.model === query.model) &&
    (query.status === undefined || trace.status === query.status)
  );
}
