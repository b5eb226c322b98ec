import type { Redis } from 'ioredis';
import type { TelemetryEvent } from '../../telemetry/telemetry-event.ts';
import type { TraceRecord } from '../../telemetry/trace-model.ts';
import { eventIdOf } from '../../telemetry/wire-event.ts';
import { eventRow, matchesTrace, planRetention, storedEvent, type RetentionPlan } from '../telemetry-store-support.ts';
import type { EventQuery, StoredEvent, TelemetryRetention, TelemetryStore, TraceQuery } from '../types.ts';
import { APPEND_EVENT_SCRIPT, SAVE_TRACE_SCRIPT } from './redis-telemetry-scripts.ts';
import { appendEventsInTurn } from '../append-events-in-turn.ts';

export interface RedisTelemetryStoreOptions {
  readonly retention?: TelemetryRetention;
}

interface TelemetryCommands {
  omniTelemetryAppend(...args: (string | number)[]): Promise<number>;
  omniTelemetrySaveTrace(...args: (string | number)[]): Promise<number>;
}

const PAGE = 200;

/**
 * Telemetry in Redis. An append is one Lua script: it increments the session's cursor, writes the event and its
 * index entries, and applies the retention bounds, all atomically, so a cursor is never visible before its event
 * and the bounds are exact (the sorted sets count in O(1)). Reads walk the most selective index (session, trace,
 * run, task or all) in pages and filter the rest. Key layout: redis-telemetry-scripts.ts.
 */
export class RedisTelemetryStore implements TelemetryStore {
  readonly #redis: Redis & TelemetryCommands;
  readonly #p: string;
  readonly #bounds: readonly number[];

  constructor(redis: Redis, prefix: string, options: RedisTelemetryStoreOptions = {}) {
    redis.defineCommand('omniTelemetryAppend', { numberOfKeys: 0, lua: APPEND_EVENT_SCRIPT });
    redis.defineCommand('omniTelemetrySaveTrace', { numberOfKeys: 0, lua: SAVE_TRACE_SCRIPT });
    this.#redis = redis as Redis & TelemetryCommands;
    this.#p = `${prefix}:telemetry`;
    const plan: RetentionPlan = planRetention(options.retention, 'RedisTelemetryStore');
    this.#bounds = [plan.maxTraces, plan.maxEventsPerSession, plan.maxEvents];
  }

  async appendEvent(event: TelemetryEvent): Promise<StoredEvent> {
    const row = eventRow(event);
    const cursor = await this.#redis.omniTelemetryAppend(
      this.#p, ...this.#bounds, row.sessionId, row.traceId, row.runId ?? '', row.taskId ?? '', row.eventType, row.json,
    );
    return { ...event, stream_cursor: Number(cursor) };
  }

  async readEvents(query: EventQuery): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    if (query.limit <= 0) return out;
    const { key, bySession } = this.#candidates(query);
    let from = bySession && query.afterCursor !== undefined ? `(${query.afterCursor}` : '-inf';
    while (out.length < query.limit) {
      const page = await this.#redis.zrangebyscore(key, from, '+inf', 'WITHSCORES', 'LIMIT', 0, PAGE);
      if (page.length === 0) break;
      const pipeline = this.#redis.pipeline();
      for (let i = 0; i < page.length; i += 2) pipeline.hmget(`${this.#p}:ev:${page[i]}`, 's', 'c', 't', 'y', 'd');
      const fields = (await pipeline.exec()) ?? [];
      for (const [error, value] of fields) {
        if (error) throw error;
        const [session, cursor, trace, type, data] = value as (string | null)[];
        // Evicted between the index read and this one.
        if (data == null || cursor == null) continue;
        if (!matchesFields(query, session ?? '', Number(cursor), trace ?? '', type ?? '')) continue;
        const event = storedEvent(data, cursor);
        if (!matchesIds(query, event)) continue;
        out.push(event);
        if (out.length >= query.limit) break;
      }
      if (page.length < PAGE * 2) break;
      from = `(${page[page.length - 1]}`;
    }
    return out;
  }

  async latestCursor(sessionId: string): Promise<number> {
    return Number((await this.#redis.hget(`${this.#p}:cursors`, sessionId)) ?? 0);
  }

  async appendEvents(events: readonly TelemetryEvent[], trace: TraceRecord | null): Promise<StoredEvent[]> {
    return appendEventsInTurn(this, events, trace);
  }

  async saveTrace(trace: TraceRecord): Promise<void> {
    await this.#redis.omniTelemetrySaveTrace(this.#p, ...this.#bounds, trace.trace_id, JSON.stringify(trace), trace.started_at);
  }

  async getTrace(traceId: string): Promise<TraceRecord | null> {
    const data = await this.#redis.hget(`${this.#p}:records`, traceId);
    return data === null ? null : (JSON.parse(data) as TraceRecord);
  }

  async findTraces(query: TraceQuery): Promise<TraceRecord[]> {
    const out: TraceRecord[] = [];
    if (query.limit <= 0) return out;
    if (query.traceId !== undefined) {
      const trace = await this.getTrace(query.traceId);
      return trace !== null && matchesTrace(trace, query) ? [trace] : [];
    }
    // Newest first: the order index sorts by start time, then age; walk it backwards in pages.
    for (let offset = 0; out.length < query.limit; offset += PAGE) {
      const members = await this.#redis.zrevrangebylex(`${this.#p}:order`, '+', '-', 'LIMIT', offset, PAGE);
      if (members.length === 0) break;
      const ids = members.map((member) => member.slice(member.lastIndexOf('\0') + 1));
      const records = await this.#redis.hmget(`${this.#p}:records`, ...ids);
      for (const data of records) {
        if (data === null) continue;
        const trace = JSON.parse(data) as TraceRecord;
        if (matchesTrace(trace, query)) out.push(trace);
        if (out.length >= query.limit) break;
      }
      if (members.length < PAGE) break;
    }
    return out;
  }

  /** The connection belongs to the store bundle, which closes it. */
  async close(): Promise<void> {}

  /** The smallest index holding every match; scores are cursors in a session index, event numbers elsewhere. */
  #candidates(query: EventQuery): { key: string; bySession: boolean } {
    if (query.sessionId !== undefined) return { key: `${this.#p}:ses:${query.sessionId}`, bySession: true };
    if (query.traceId !== undefined) return { key: `${this.#p}:tr:${query.traceId}`, bySession: false };
    if (query.runId !== undefined && query.runId !== '') return { key: `${this.#p}:run:${query.runId}`, bySession: false };
    if (query.taskId !== undefined && query.taskId !== '') return { key: `${this.#p}:task:${query.taskId}`, bySession: false };
    return { key: `${this.#p}:all`, bySession: false };
  }
}

function matchesFields(query: EventQuery, session: string, cursor: number, trace: string, type: string): boolean {
  if (query.sessionId !== undefined && session !== query.sessionId) return false;
  if (query.traceId !== undefined && trace !== query.traceId) return false;
  if (query.afterCursor !== undefined && cursor <= query.afterCursor) return false;
  if (query.eventTypes !== undefined && query.eventTypes.length > 0 && !query.eventTypes.includes(type)) return false;
  if (query.excludeEventTypes?.includes(type)) return false;
  return true;
}

function matchesIds(query: EventQuery, event: StoredEvent): boolean {
  if (query.runId !== undefined && eventIdOf(event, 'run_id') !== query.runId) return false;
  if (query.taskId !== undefined && eventIdOf(event, 'task_id') !== query.taskId) return false;
  return true;
}
