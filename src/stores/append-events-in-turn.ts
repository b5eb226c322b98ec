import type { TelemetryEvent } from '../telemetry/telemetry-event.ts';
import type { TraceRecord } from '../telemetry/trace-model.ts';
import type { StoredEvent, TelemetryStore } from './types.ts';

/** `TelemetryStore.appendEvents` for a store with no cheaper way: each event in turn, then the trace. */
export async function appendEventsInTurn(
  store: Pick<TelemetryStore, 'appendEvent' | 'saveTrace'>,
  events: readonly TelemetryEvent[],
  trace: TraceRecord | null,
): Promise<StoredEvent[]> {
  const stored: StoredEvent[] = [];
  for (const event of events) stored.push(await store.appendEvent(event));
  if (trace !== null) await store.saveTrace(trace);
  return stored;
}
