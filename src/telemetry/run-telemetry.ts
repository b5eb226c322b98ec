import { AgentTraceBuilder } from './agent-trace-builder.ts';
import type { TelemetryEvent } from './telemetry-event.ts';
import type { TelemetryWriter } from './telemetry-writer.ts';
import type { TraceStatus } from './trace-model.ts';

export interface RunTelemetryInit {
  readonly sessionId: string;
  readonly runId: string;
}

/**
 * Telemetry of one agent run as the server sees it. `onEvent` (given to the agent) places each event in the run's
 * trace, appends it to the event log and saves the trace when it starts and when it ends; `finish` closes what the
 * agent left open with the serve layer's outcome (a timeout wins over the agent's own "cancelled").
 */
export class RunTelemetry {
  readonly #writer: TelemetryWriter;
  readonly #init: RunTelemetryInit;
  readonly #builders = new Map<string, AgentTraceBuilder>();
  readonly #exported = new Set<string>();

  constructor(writer: TelemetryWriter, init: RunTelemetryInit) {
    this.#writer = writer;
    this.#init = init;
  }

  /** The trace ids the run's events carried, first seen first. */
  get traceIds(): readonly string[] {
    return [...this.#builders.keys()];
  }

  readonly onEvent = (raw: TelemetryEvent): void => {
    const event = this.#attribute(raw);
    let builder = this.#builders.get(event.trace_id);
    const started = builder === undefined;
    if (builder === undefined) {
      builder = new AgentTraceBuilder(event);
      this.#builders.set(event.trace_id, builder);
    }
    const wasEnded = builder.ended;
    const placed = builder.add(event);
    void this.#writer.append(placed);
    // Saved when it starts (so a running trace can be inspected), when it ends, and for anything arriving later.
    if (started || builder.ended || wasEnded) this.#save(builder);
  };

  /** Ends the run's traces the agent did not end, with the serve layer's outcome; waits (bounded) for the writes. */
  async finish(outcome: TraceStatus): Promise<void> {
    const now = new Date().toISOString();
    for (const builder of this.#builders.values()) {
      if (outcome === 'timeout') builder.force('timeout');
      if (!builder.ended || outcome === 'timeout') {
        builder.end(outcome, now);
        this.#save(builder);
      }
    }
    await this.#writer.flush(this.#init.sessionId);
  }

  #save(builder: AgentTraceBuilder): void {
    const trace = builder.toRecord();
    void this.#writer.saveTrace(trace);
    if (builder.ended && !this.#exported.has(trace.trace_id)) {
      this.#exported.add(trace.trace_id);
      this.#writer.exportTrace(trace);
    }
  }

  /** An event that does not say which session and run it belongs to belongs to this run. */
  #attribute(event: TelemetryEvent): TelemetryEvent {
    const meta = event.metadata ?? {};
    if (meta['session_id'] !== undefined && meta['run_id'] !== undefined) return event;
    return {
      ...event,
      metadata: { session_id: this.#init.sessionId, run_id: this.#init.runId, ...meta },
    };
  }
}
