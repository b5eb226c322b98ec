/**
 * The storage ports. Each is named for what it means to the domain; every backend implements them in its own
 * folder and passes the same conformance suite.
 */

export interface StoredMessage {
  /** `user`, `assistant`, `tool` (AI SDK model message roles). */
  readonly role: string;
  /** A string, or the model message's content parts (text, tool calls, tool results). */
  readonly content: unknown;
  readonly timestamp: string;
}

/** Conversation memory, one ordered list of messages per session. */
export interface SessionStore {
  loadHistory(sessionId: string): Promise<readonly StoredMessage[]>;
  /** Appends one run's messages (the user's query and everything the run added) in order. */
  appendMessages(sessionId: string, messages: readonly StoredMessage[]): Promise<void>;
  clearSession(sessionId: string): Promise<void>;
}

/** An event as stored: the wire event plus its position in its session's stream. */
export type StoredEvent = import('../telemetry/telemetry-event.ts').TelemetryEvent & { readonly stream_cursor: number };

export interface EventQuery {
  readonly sessionId?: string;
  readonly runId?: string;
  readonly traceId?: string;
  readonly taskId?: string;
  readonly eventTypes?: readonly string[];
  /** Leaves these types out (the trace views skip `text_delta`). */
  readonly excludeEventTypes?: readonly string[];
  /** Only events with `stream_cursor` strictly greater (meaningful with `sessionId`: cursors are per session). */
  readonly afterCursor?: number;
  readonly limit: number;
}

export interface TraceQuery {
  readonly traceId?: string;
  readonly runId?: string;
  readonly sessionId?: string;
  readonly taskId?: string;
  readonly agentId?: string;
  readonly workflowId?: string;
  readonly model?: string;
  readonly status?: string;
  readonly limit: number;
}

/**
 * How much an adapter keeps. Adapters without a count-based retention (durable stores with their own TTL policy)
 * may ignore it; the conformance suite then skips its eviction cases with a stated reason.
 */
export interface TelemetryRetention {
  /** Traces kept; past it the oldest trace is dropped with its events. */
  readonly maxTraces?: number;
  /** Events kept per session; past it the session's oldest events are dropped. */
  readonly maxEventsPerSession?: number;
  /** Events kept in all; past it the oldest traces (with their events) are dropped. */
  readonly maxEvents?: number;
}

/**
 * Telemetry: the event log (per-session cursors, for replayable streams) and the traces built from it.
 * Cursors are strictly increasing within a session, also across a forgotten-and-returning session; they need not
 * be contiguous. Appends to one session may come concurrently: each still gets a cursor above every earlier one.
 */
export interface TelemetryStore {
  /** Stores the event and gives it the next cursor of its session (`metadata.session_id`, or `''`). */
  appendEvent(event: import('../telemetry/telemetry-event.ts').TelemetryEvent): Promise<StoredEvent>;
  /** Events matching the query, oldest first. */
  readEvents(query: EventQuery): Promise<StoredEvent[]>;
  /** The highest cursor of the session so far (0 when it has none). */
  latestCursor(sessionId: string): Promise<number>;
  /** Creates or replaces a trace (its spans and summary fields). */
  saveTrace(trace: import('../telemetry/trace-model.ts').TraceRecord): Promise<void>;
  /**
   * What one background run write records: the events appended in order (each as `appendEvent` would), then the
   * trace saved, if given. A store may do it in one round trip; the events come back with their cursors, in order.
   */
  appendEvents(
    events: readonly import('../telemetry/telemetry-event.ts').TelemetryEvent[],
    trace: import('../telemetry/trace-model.ts').TraceRecord | null,
  ): Promise<StoredEvent[]>;
  getTrace(traceId: string): Promise<import('../telemetry/trace-model.ts').TraceRecord | null>;
  /** Traces matching every given filter, newest first. */
  findTraces(query: TraceQuery): Promise<import('../telemetry/trace-model.ts').TraceRecord[]>;
  close(): Promise<void>;
}
