import type { StoredEvent } from '../stores/types.ts';
import type { TelemetryEvent } from './telemetry-event.ts';
import type { TraceRecord } from './trace-model.ts';

/** What run and request telemetry write through: ordered per session, bounded in time, never throwing. */
export interface TelemetryWriter {
  append(event: TelemetryEvent): Promise<StoredEvent | null>;
  saveTrace(trace: TraceRecord): Promise<boolean>;
  exportTrace(trace: TraceRecord): void;
  flush(sessionId: string): Promise<boolean>;
}
