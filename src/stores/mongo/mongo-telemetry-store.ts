import type { Collection, Db, Filter } from 'mongodb';
import type { TelemetryEvent } from '../../telemetry/telemetry-event.ts';
import type { TraceRecord } from '../../telemetry/trace-model.ts';
import { eventRow, planRetention, storedEvent, type EventRow, type RetentionPlan } from '../telemetry-store-support.ts';
import type { EventQuery, StoredEvent, TelemetryRetention, TelemetryStore, TraceQuery } from '../types.ts';
import { appendEventsInTurn } from '../append-events-in-turn.ts';

export interface MongoTelemetryStoreOptions {
  readonly retention?: TelemetryRetention;
  /** How long a claimed cursor whose event never arrived (its writer died) holds readers back (default 30 s). */
  readonly pendingTimeoutMs?: number;
  readonly onError?: (message: string, error: unknown) => void;
}

interface EventDocument {
  _id: number;
  session_id: string;
  stream_cursor: number;
  trace_id: string;
  run_id: string | null;
  task_id: string | null;
  event_type: string;
  data: string;
}

interface SessionDocument {
  _id: string;
  cursor: number;
  /** Cursors claimed whose events are not written yet. */
  pending?: { c: number; at: Date }[];
}

interface TraceDocument {
  _id: string;
  age: number;
  data: string | null;
  started_at?: string;
  status?: string;
  run_id?: string | null;
  session_id?: string | null;
  task_id?: string | null;
  agent_id?: string | null;
  workflow_id?: string | null;
  model?: string | null;
}

const VICTIM_BATCH = 500;

/**
 * Telemetry in four collections: events (`_id` = a global number from a counter, so "oldest" means the same in
 * every process), sessions (cursor counter), traces (one per trace; `age` orders them) and counters.
 *
 * Ordering without transactions: an append claims its cursor with one `findOneAndUpdate` on the session document,
 * which also records the cursor as pending; then it inserts the event and clears the pending mark. Two appends to
 * one session can finish out of order (12 written before 11), so a reader of a session trusts cursors only up to
 * its watermark: one below the lowest pending cursor, or the counter when none is pending. A follower therefore
 * never passes 11 before 11 is readable. A writer that dies between the two steps leaves a pending mark; it stops
 * holding readers back after `pendingTimeoutMs` (its cursor then stays a gap, which is allowed).
 */
export class MongoTelemetryStore implements TelemetryStore {
  readonly #events: Collection<EventDocument>;
  readonly #sessions: Collection<SessionDocument>;
  readonly #traces: Collection<TraceDocument>;
  readonly #counters: Collection<{ _id: string; value: number }>;
  readonly #plan: RetentionPlan;
  readonly #pendingMs: number;
  readonly #onError: (message: string, error: unknown) => void;
  #traceWrites = 0;
  #appends = 0;

  constructor(db: Db, collectionPrefix: string, options: MongoTelemetryStoreOptions = {}) {
    this.#events = db.collection(`${collectionPrefix}_telemetry_events`);
    this.#sessions = db.collection(`${collectionPrefix}_telemetry_sessions`);
    this.#traces = db.collection(`${collectionPrefix}_telemetry_traces`);
    this.#counters = db.collection(`${collectionPrefix}_telemetry_counters`);
    this.#plan = planRetention(options.retention, 'MongoTelemetryStore');
    this.#pendingMs = options.pendingTimeoutMs ?? 30_000;
    this.#onError = options.onError ?? (() => undefined);
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.#events.createIndex({ session_id: 1, stream_cursor: 1 }, { unique: true }),
      this.#events.createIndex({ trace_id: 1, _id: 1 }),
      this.#events.createIndex({ run_id: 1, _id: 1 }),
      this.#events.createIndex({ task_id: 1, _id: 1 }),
      this.#traces.createIndex({ age: 1 }),
      this.#traces.createIndex({ started_at: -1, age: -1 }),
    ]);
  }

  async appendEvent(event: TelemetryEvent): Promise<StoredEvent> {
    const row = eventRow(event);
    const [numbered, claimed] = await Promise.allSettled([this.#next(), this.#claim(row.sessionId)]);
    if (claimed.status === 'rejected') throw claimed.reason;
    const cursor = claimed.value;
    try {
      if (numbered.status === 'rejected') throw numbered.reason;
      const seq = numbered.value;
      await Promise.all([
        this.#events.insertOne({
          _id: seq, session_id: row.sessionId, stream_cursor: cursor, trace_id: row.traceId, run_id: row.runId,
          task_id: row.taskId, event_type: row.eventType, data: row.json,
        }),
        this.#traces.updateOne({ _id: row.traceId }, { $setOnInsert: { age: seq, data: null } }, { upsert: true }).catch(ignoreDuplicate),
      ]);
    } finally {
      // Whatever happened, the claim stops holding readers back (a cursor without an event is an allowed gap).
      await this.#sessions.updateOne({ _id: row.sessionId }, { $pull: { pending: { c: cursor } } });
    }
    await this.#afterAppend(row, cursor);
    return { ...event, stream_cursor: cursor };
  }

  async readEvents(query: EventQuery): Promise<StoredEvent[]> {
    if (query.limit <= 0) return [];
    const filter: Filter<EventDocument> = {};
    if (query.sessionId !== undefined) {
      filter.session_id = query.sessionId;
      filter.stream_cursor = { $lte: await this.latestCursor(query.sessionId), ...(query.afterCursor === undefined ? {} : { $gt: query.afterCursor }) };
    } else if (query.afterCursor !== undefined) {
      filter.stream_cursor = { $gt: query.afterCursor };
    }
    if (query.traceId !== undefined) filter.trace_id = query.traceId;
    if (query.runId !== undefined) filter.run_id = query.runId;
    if (query.taskId !== undefined) filter.task_id = query.taskId;
    const types: { $in?: string[]; $nin?: string[] } = {};
    if (query.eventTypes !== undefined && query.eventTypes.length > 0) types.$in = [...query.eventTypes];
    if (query.excludeEventTypes !== undefined && query.excludeEventTypes.length > 0) types.$nin = [...query.excludeEventTypes];
    if (Object.keys(types).length > 0) filter.event_type = types;
    const docs = await this.#events
      .find(filter, { projection: { stream_cursor: 1, data: 1 } })
      .sort(query.sessionId !== undefined ? { stream_cursor: 1 } : { _id: 1 })
      .limit(query.limit)
      .toArray();
    return docs.map((d) => storedEvent(d.data, d.stream_cursor));
  }

  /** The session's watermark: every cursor up to it is either readable or will never be written. */
  async latestCursor(sessionId: string): Promise<number> {
    const doc = await this.#sessions.findOne({ _id: sessionId });
    if (doc === null) return 0;
    const horizon = Date.now() - this.#pendingMs;
    const pending = (doc.pending ?? []).filter((p) => p.at.getTime() > horizon).map((p) => p.c);
    return pending.length === 0 ? doc.cursor : Math.min(...pending) - 1;
  }

  async appendEvents(events: readonly TelemetryEvent[], trace: TraceRecord | null): Promise<StoredEvent[]> {
    return appendEventsInTurn(this, events, trace);
  }

  async saveTrace(trace: TraceRecord): Promise<void> {
    const fields = {
      data: JSON.stringify(trace), started_at: trace.started_at, status: trace.status, run_id: trace.run_id,
      session_id: trace.session_id, task_id: trace.task_id, agent_id: trace.agent_id, workflow_id: trace.workflow_id,
      model: trace.metadata.model,
    };
    const updated = await this.#traces.updateOne({ _id: trace.trace_id }, { $set: fields });
    if (updated.matchedCount === 0) {
      // A new trace takes its age from the event counter, so traces created by events and by saves share one order.
      const age = await this.#next();
      try {
        await this.#traces.updateOne({ _id: trace.trace_id }, { $set: fields, $setOnInsert: { age } }, { upsert: true });
      } catch (error) {
        // Created meanwhile by another writer: then it is an update after all.
        ignoreDuplicate(error);
        await this.#traces.updateOne({ _id: trace.trace_id }, { $set: fields });
      }
    }
    this.#traceWrites += 1;
    if (this.#traceWrites % this.#plan.checkTracesEvery === 0) await this.#guard(() => this.#pruneTraces(trace.trace_id));
  }

  async getTrace(traceId: string): Promise<TraceRecord | null> {
    const doc = await this.#traces.findOne({ _id: traceId, data: { $ne: null } });
    return doc?.data == null ? null : (JSON.parse(doc.data) as TraceRecord);
  }

  async findTraces(query: TraceQuery): Promise<TraceRecord[]> {
    if (query.limit <= 0) return [];
    const filter: Filter<TraceDocument> = { data: { $ne: null } };
    if (query.traceId !== undefined) filter._id = query.traceId;
    if (query.runId !== undefined) filter.run_id = query.runId;
    if (query.sessionId !== undefined) filter.session_id = query.sessionId;
    if (query.taskId !== undefined) filter.task_id = query.taskId;
    if (query.agentId !== undefined) filter.agent_id = query.agentId;
    if (query.workflowId !== undefined) filter.workflow_id = query.workflowId;
    if (query.model !== undefined) filter.model = query.model;
    if (query.status !== undefined) filter.status = query.status;
    const docs = await this.#traces.find(filter).sort({ started_at: -1, age: -1 }).limit(query.limit).toArray();
    return docs.map((d) => JSON.parse(d.data as string) as TraceRecord);
  }

  /** The client belongs to the store bundle, which closes it. */
  async close(): Promise<void> {}

  async #next(): Promise<number> {
    const counter = await this.#counters.findOneAndUpdate(
      { _id: 'event' },
      { $inc: { value: 1 } },
      { upsert: true, returnDocument: 'after' },
    );
    return Number(counter?.value);
  }

  /** Takes the session's next cursor and marks it pending (dropping marks older than the pending timeout). */
  async #claim(sessionId: string): Promise<number> {
    const session = await this.#sessions.findOneAndUpdate(
      { _id: sessionId },
      [
        { $set: { cursor: { $add: [{ $ifNull: ['$cursor', 0] }, 1] } } },
        {
          $set: {
            pending: {
              $concatArrays: [
                { $filter: { input: { $ifNull: ['$pending', []] }, cond: { $gt: ['$$this.at', { $subtract: ['$$NOW', this.#pendingMs] }] } } },
                [{ c: '$cursor', at: '$$NOW' }],
              ],
            },
          },
        },
      ],
      { upsert: true, returnDocument: 'after' },
    );
    return Number(session?.cursor);
  }

  async #afterAppend(row: EventRow, cursor: number): Promise<void> {
    const plan = this.#plan;
    this.#appends += 1;
    this.#traceWrites += 1;
    // Cursors of a session are contiguous, so "the newest maxEventsPerSession" is a cursor range.
    if (cursor > plan.maxEventsPerSession && cursor % plan.checkSessionEvery === 0) {
      await this.#guard(() =>
        this.#events.deleteMany({ session_id: row.sessionId, stream_cursor: { $lte: cursor - plan.maxEventsPerSession } }),
      );
    }
    if (this.#traceWrites % plan.checkTracesEvery === 0) await this.#guard(() => this.#pruneTraces(row.traceId));
    if (this.#appends % plan.checkEventsEvery === 0) await this.#guard(() => this.#pruneEvents(row.traceId));
  }

  /** Keeps `current` and the newest `maxTraces - 1` other traces; the rest go with their events. */
  async #pruneTraces(current: string): Promise<void> {
    const [edge] = await this.#traces
      .find({ _id: { $ne: current } }, { projection: { age: 1 } })
      .sort({ age: -1 })
      .skip(this.#plan.maxTraces - 1)
      .limit(1)
      .toArray();
    if (edge === undefined) return;
    while (true) {
      const victims = await this.#traces
        .find({ age: { $lte: edge.age }, _id: { $ne: current } }, { projection: { _id: 1 } })
        .sort({ age: 1 })
        .limit(VICTIM_BATCH)
        .toArray();
      if (victims.length === 0) return;
      await this.#dropTraces(victims.map((v) => v._id));
      if (victims.length < VICTIM_BATCH) return;
    }
  }

  /** Past `maxEvents`, drops every trace (but `current`) holding one of the oldest events, then any such event left. */
  async #pruneEvents(current: string): Promise<void> {
    const [edge] = await this.#events.find({}, { projection: { _id: 1 } }).sort({ _id: -1 }).skip(this.#plan.maxEvents).limit(1).toArray();
    if (edge === undefined) return;
    const victims = await this.#events.distinct('trace_id', { _id: { $lte: edge._id }, trace_id: { $ne: current } });
    for (let i = 0; i < victims.length; i += VICTIM_BATCH) await this.#dropTraces(victims.slice(i, i + VICTIM_BATCH));
    await this.#events.deleteMany({ _id: { $lte: edge._id } });
  }

  async #dropTraces(traceIds: string[]): Promise<void> {
    await this.#events.deleteMany({ trace_id: { $in: traceIds } });
    await this.#traces.deleteMany({ _id: { $in: traceIds } });
  }

  async #guard(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.#onError('telemetry retention failed; it is retried at the next check', error);
    }
  }
}

/** Two concurrent upserts of one new trace: the loser's duplicate-key error means the trace exists, as wanted. */
function ignoreDuplicate(error: unknown): void {
  if ((error as { code?: unknown } | null)?.code === 11000) return;
  throw error;
}
