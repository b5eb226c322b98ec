import type { TelemetryEvent } from '../../telemetry/telemetry-event.ts';
import type { TraceRecord } from '../../telemetry/trace-model.ts';
import { eventIdOf } from '../../telemetry/wire-event.ts';
import type { EventQuery, StoredEvent, TelemetryRetention, TelemetryStore, TraceQuery } from '../types.ts';
import { appendEventsInTurn } from '../append-events-in-turn.ts';

/** Defaults of the in-memory store's retention; together they bound its memory on a long-lived server. */
export const MEMORY_TELEMETRY_DEFAULTS = {
  maxTraces: 1_000,
  maxEventsPerSession: 10_000,
  maxEvents: 100_000,
} as const satisfies Required<TelemetryRetention>;

interface Entry {
  readonly event: StoredEvent;
  readonly sessionId: string;
}

/** A trace and its events. Created by whichever comes first (its first event or its first save), which is its age. */
interface TraceGroup {
  record: TraceRecord | null;
  readonly seqs: Set<number>;
}

interface SessionLog {
  cursor: number;
  /** Insertion-ordered, so also cursor-ordered. */
  readonly seqs: Set<number>;
}

export interface MemoryTelemetryStats {
  readonly traces: number;
  readonly events: number;
  readonly sessions: number;
}

/**
 * The telemetry store in process memory, bounded: past `maxTraces` traces the oldest is dropped with its events,
 * past `maxEventsPerSession` a session's oldest events go, and past `maxEvents` the oldest traces go. Maps and sets
 * keep insertion order, so "oldest" is always the first entry and every eviction is O(evicted).
 */
export class MemoryTelemetryStore implements TelemetryStore {
  readonly #retention: Required<TelemetryRetention>;
  /** Every kept event by its global insertion number, oldest first. */
  readonly #events = new Map<number, Entry>();
  readonly #sessions = new Map<string, SessionLog>();
  readonly #traces = new Map<string, TraceGroup>();
  #seq = 0;
  /**
   * The highest cursor of any session forgotten so far. A session seen for the first time (or again, after all its
   * events were evicted) counts on from here, so a client holding an old cursor of it never skips a new event.
   */
  #cursorFloor = 0;

  constructor(retention: TelemetryRetention = {}) {
    this.#retention = { ...MEMORY_TELEMETRY_DEFAULTS, ...withoutUndefined(retention) };
    for (const [key, value] of Object.entries(this.#retention)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`MemoryTelemetryStore ${key} must be an integer of at least 1, got ${value}`);
    }
  }

  async appendEvent(event: TelemetryEvent): Promise<StoredEvent> {
    const sessionId = sessionOf(event);
    let log = this.#sessions.get(sessionId);
    if (log === undefined) {
      log = { cursor: this.#cursorFloor, seqs: new Set() };
      this.#sessions.set(sessionId, log);
    }
    log.cursor += 1;
    const stored: StoredEvent = { ...event, stream_cursor: log.cursor };
    const seq = ++this.#seq;
    this.#events.set(seq, { event: stored, sessionId });
    log.seqs.add(seq);
    this.#group(event.trace_id).seqs.add(seq);
    this.#enforce(event.trace_id, log);
    return stored;
  }

  async readEvents(query: EventQuery): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    if (query.limit <= 0) return out;
    for (const seq of this.#candidates(query)) {
      const entry = this.#events.get(seq);
      if (entry === undefined || !matchesEvent(entry, query)) continue;
      out.push(entry.event);
      if (out.length >= query.limit) break;
    }
    return out;
  }

  async latestCursor(sessionId: string): Promise<number> {
    return this.#sessions.get(sessionId)?.cursor ?? 0;
  }

  async appendEvents(events: readonly TelemetryEvent[], trace: TraceRecord | null): Promise<StoredEvent[]> {
    return appendEventsInTurn(this, events, trace);
  }

  async saveTrace(trace: TraceRecord): Promise<void> {
    this.#group(trace.trace_id).record = trace;
    this.#enforce(trace.trace_id, undefined);
  }

  async getTrace(traceId: string): Promise<TraceRecord | null> {
    return this.#traces.get(traceId)?.record ?? null;
  }

  async findTraces(query: TraceQuery): Promise<TraceRecord[]> {
    const found: { record: TraceRecord; age: number }[] = [];
    let age = 0;
    for (const group of this.#traces.values()) {
      age += 1;
      if (group.record !== null && matchesTrace(group.record, query)) found.push({ record: group.record, age });
    }
    // Newest first by start time; among equal start times, the one stored later first.
    found.sort((a, b) => (a.record.started_at === b.record.started_at ? b.age - a.age : a.record.started_at < b.record.started_at ? 1 : -1));
    return found.slice(0, Math.max(0, query.limit)).map((item) => item.record);
  }

  async close(): Promise<void> {
    this.#events.clear();
    this.#sessions.clear();
    this.#traces.clear();
  }

  /** What the store holds now (for tests and the memory benchmark). */
  stats(): MemoryTelemetryStats {
    return { traces: this.#traces.size, events: this.#events.size, sessions: this.#sessions.size };
  }

  #group(traceId: string): TraceGroup {
    let group = this.#traces.get(traceId);
    if (group === undefined) {
      group = { record: null, seqs: new Set() };
      this.#traces.set(traceId, group);
    }
    return group;
  }

  /** The smallest index that holds every match, in the order results are returned. */
  #candidates(query: EventQuery): Iterable<number> {
    if (query.sessionId !== undefined) return this.#sessions.get(query.sessionId)?.seqs ?? [];
    if (query.traceId !== undefined) return this.#traces.get(query.traceId)?.seqs ?? [];
    return this.#events.keys();
  }

  /** Applies the three bounds; `current` (the trace just written to) is dropped only if it alone is over a bound. */
  #enforce(current: string, log: SessionLog | undefined): void {
    if (log !== undefined) {
      while (log.seqs.size > this.#retention.maxEventsPerSession) {
        const oldest = first(log.seqs);
        if (oldest === undefined) break;
        this.#dropEvent(oldest);
      }
    }
    while (this.#traces.size > this.#retention.maxTraces) {
      const victim = this.#oldestTraceExcept(current);
      if (victim === undefined) break;
      this.#dropTrace(victim);
    }
    while (this.#events.size > this.#retention.maxEvents) {
      const victim = this.#oldestTraceExcept(current);
      if (victim !== undefined) this.#dropTrace(victim);
      else {
        const oldest = first(this.#events.keys());
        if (oldest === undefined) break;
        this.#dropEvent(oldest);
      }
    }
  }

  #oldestTraceExcept(traceId: string): string | undefined {
    for (const key of this.#traces.keys()) if (key !== traceId) return key;
    return undefined;
  }

  #dropTrace(traceId: string): void {
    const group = this.#traces.get(traceId);
    if (group === undefined) return;
    this.#traces.delete(traceId);
    for (const seq of group.seqs) {
      const entry = this.#events.get(seq);
      this.#events.delete(seq);
      if (entry !== undefined) this.#unlinkFromSession(entry.sessionId, seq);
    }
  }

  #dropEvent(seq: number): void {
    const entry = this.#events.get(seq);
    if (entry === undefined) return;
    this.#events.delete(seq);
    this.#unlinkFromSession(entry.sessionId, seq);
    const group = this.#traces.get(entry.event.trace_id);
    group?.seqs.delete(seq);
    if (group !== undefined && group.seqs.size === 0 && group.record === null) this.#traces.delete(entry.event.trace_id);
  }

  #unlinkFromSession(sessionId: string, seq: number): void {
    const log = this.#sessions.get(sessionId);
    if (log === undefined) return;
    log.seqs.delete(seq);
    if (log.seqs.size === 0) {
      this.#cursorFloor = Math.max(this.#cursorFloor, log.cursor);
      this.#sessions.delete(sessionId);
    }
  }
}

function sessionOf(event: TelemetryEvent): string {
  const id = event.metadata['session_id'];
  return typeof id === 'string' ? id : '';
}

function matchesEvent(entry: Entry, query: EventQuery): boolean {
  const { event } = entry;
  if (query.sessionId !== undefined && entry.sessionId !== query.sessionId) return false;
  if (query.traceId !== undefined && event.trace_id !== query.traceId) return false;
  if (query.runId !== undefined && eventIdOf(event, 'run_id') !== query.runId) return false;
  if (query.taskId !== undefined && eventIdOf(event, 'task_id') !== query.taskId) return false;
  if (query.afterCursor !== undefined && event.stream_cursor <= query.afterCursor) return false;
  if (query.eventTypes !== undefined && query.eventTypes.length > 0 && !query.eventTypes.includes(event.event_type)) return false;
  if (query.excludeEventTypes?.includes(event.event_type)) return false;
  return true;
}

function matchesTrace(trace: TraceRecord, query: TraceQuery): boolean {
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

function first<T>(items: Iterable<T>): T | undefined {
  for (const item of items) return item;
  return undefined;
}

function withoutUndefined(retention: TelemetryRetention): TelemetryRetention {
  return Object.fromEntries(Object.entries(retention).filter(([, value]) => value !== undefined));
}
