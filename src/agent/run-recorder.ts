import { newId } from '../core/ids.ts';
import {
  createTelemetryEvent,
  type Actor,
  type EventError,
  type TelemetryEvent,
  type TokenUsage,
} from '../telemetry/telemetry-event.ts';

export interface RunRecorderOptions {
  readonly agentName: string;
  readonly sessionId: string;
  readonly runId: string;
  readonly onEvent?: ((event: TelemetryEvent) => void) | undefined;
}

export interface RecordInput {
  readonly actor?: Actor;
  readonly input?: unknown;
  readonly output?: unknown;
  readonly error?: EventError | null;
  readonly durationMs?: number | null;
  readonly tokenUsage?: TokenUsage | null;
  readonly metadata?: Record<string, unknown>;
}

/** Builds the telemetry events of one agent run, numbered in order, and hands each to the run's listener. */
export class RunRecorder {
  readonly traceId: string = newId('trace');
  readonly #agentActor: Actor;
  readonly #options: RunRecorderOptions;
  #sequence = 0;

  constructor(options: RunRecorderOptions) {
    this.#options = options;
    this.#agentActor = { type: 'agent', id: options.agentName, name: options.agentName };
  }

  record(eventType: string, input: RecordInput = {}): TelemetryEvent {
    const event = createTelemetryEvent({
      trace_id: this.traceId,
      event_type: eventType,
      actor: input.actor ?? this.#agentActor,
      sequence_number: this.#sequence++,
      input: input.input ?? null,
      output: input.output ?? null,
      error: input.error ?? null,
      duration_ms: input.durationMs ?? null,
      token_usage: input.tokenUsage ?? null,
      metadata: {
        session_id: this.#options.sessionId,
        run_id: this.#options.runId,
        agent_name: this.#options.agentName,
        ...input.metadata,
      },
    });
    try {
      this.#options.onEvent?.(event);
    } catch {
      // A listener's failure (say, a closed SSE socket) must never fail the run it observes.
    }
    return event;
  }
}

export function toEventError(error: unknown): EventError {
  if (error instanceof Error) return { type: error.name, message: error.message };
  return { type: 'Error', message: String(error) };
}
