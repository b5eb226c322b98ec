import type { TelemetryEvent } from './telemetry-event.ts';

const LIFTED_KEYS = ['run_id', 'task_id', 'agent_id', 'workflow_id'] as const;

/** The SSE `data` of a telemetry event (spec 4): ids lifted from metadata, the serving session stamped on. */
export function toWireEvent(event: TelemetryEvent, sessionId: string): Record<string, unknown> {
  const wire: Record<string, unknown> = { ...event, session_id: sessionId };
  for (const key of LIFTED_KEYS) {
    if (wire[key] === undefined && event.metadata[key] !== undefined) wire[key] = event.metadata[key];
  }
  wire['type'] ??= event.event_type;
  return wire;
}

/** An id of an event (`run_id`, `session_id`, `task_id`, ...): its own top-level one, else the one in its metadata. */
export function eventIdOf(event: TelemetryEvent | Record<string, unknown>, key: string): unknown {
  const record = event as Record<string, unknown>;
  if (record[key] !== undefined) return record[key];
  const metadata = record['metadata'];
  return metadata !== null && typeof metadata === 'object' ? (metadata as Record<string, unknown>)[key] : undefined;
}

/** The run an event belongs to: its own `run_id`, else the one in its metadata. */
export function eventRunId(event: TelemetryEvent | Record<string, unknown>): unknown {
  return eventIdOf(event, 'run_id');
}
