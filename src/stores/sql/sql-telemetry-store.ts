import { sql, type Kysely } from 'kysely';
import type { TelemetryEvent } from '../../telemetry/telemetry-event.ts';
import type { TraceRecord } from '../../telemetry/trace-model.ts';
import { eventRow, planRetention, storedEvent, type EventRow, type RetentionPlan } from '../telemetry-store-support.ts';
import type { EventQuery, StoredEvent, TelemetryRetention, TelemetryStore, TraceQuery } from '../types.ts';
import { appendEventsInTurn } from '../append-events-in-turn.ts';
import { GroupCommit } from './group-commit.ts';
import { appendEventBatch, traceColumns } from './postgres-event-batch.ts';
import type { SqlTables } from './sql-migrations.ts';
import { SqlTransactions } from './sql-task-store-tx.ts';
import type { SqlDialectName } from './sql-url.ts';

export interface SqlTelemetryStoreOptions {
  readonly retention?: TelemetryRetention;
  /** Told when pruning fails after an append that succeeded; the next check tries again. */
  readonly onError?: (message: string, error: unknown) => void;
}

type TelemetryWrite = { readonly kind: 'event'; readonly row: EventRow } | { readonly kind: 'trace'; readonly trace: TraceRecord };

const VICTIM_BATCH = 500;
const RETRIES = 5;

/**
 * Telemetry in three tables: events (auto-increment `id` = global order), one counter row per session, and one
 * row per trace. A session's cursor is taken from its counter row in the same atomic unit as the event insert,
 * and the counter row stays locked until that unit commits: the next append to the session waits, so events
 * become visible in cursor order and a reader that has seen cursor n never later sees a smaller one appear.
 * (A bare auto-increment id would not do: PostgreSQL sequences hand out ids before commit, so id 12 can become
 * visible before 11.) PostgreSQL does it in one statement (data-modifying CTE), SQLite in one INSERT with a
 * trigger (the file lock serialises writers), MySQL in a transaction (`INSERT ... ON DUPLICATE KEY UPDATE`
 * row-locks the counter until commit).
 *
 * Writes that arrive while another is committing are committed together (`GroupCommit`): events first, in
 * session order, then traces in id order, so two processes' groups take their row locks in the same order.
 */
export class SqlTelemetryStore implements TelemetryStore {
  readonly #db: Kysely<any>;
  readonly #dialect: SqlDialectName;
  readonly #t: SqlTables;
  readonly #plan: RetentionPlan;
  readonly #onError: (message: string, error: unknown) => void;
  #traceWrites = 0;
  #appends = 0;
  readonly #writes: GroupCommit<TelemetryWrite, number>;
  readonly #tx: SqlTransactions;

  constructor(db: Kysely<any>, dialect: SqlDialectName, tables: SqlTables, options: SqlTelemetryStoreOptions = {}) {
    this.#db = db;
    this.#dialect = dialect;
    this.#t = tables;
    this.#plan = planRetention(options.retention, 'SqlTelemetryStore');
    this.#onError = options.onError ?? (() => undefined);
    this.#tx = new SqlTransactions(db, dialect);
    this.#writes = new GroupCommit({
      single: (write) => retrying(() => this.#tx.serialized((db) => this.#write(db, write, false))),
      commitGroup: (writes) => this.#tx.run((trx) => this.#writeGroup(trx, writes)),
    });
  }

  async appendEvent(event: TelemetryEvent): Promise<StoredEvent> {
    const row = eventRow(event);
    const cursor = await this.#writes.submit({ kind: 'event', row });
    await this.#afterAppend(row, cursor);
    return { ...event, stream_cursor: cursor };
  }

  async readEvents(query: EventQuery): Promise<StoredEvent[]> {
    if (query.limit <= 0) return [];
    let select = this.#db.selectFrom(this.#t.telemetryEvents).select(['stream_cursor', 'data']);
    if (query.sessionId !== undefined) select = select.where('session_id', '=', query.sessionId);
    if (query.traceId !== undefined) select = select.where('trace_id', '=', query.traceId);
    if (query.runId !== undefined) select = select.where('run_id', '=', query.runId);
    if (query.taskId !== undefined) select = select.where('task_id', '=', query.taskId);
    if (query.afterCursor !== undefined) select = select.where('stream_cursor', '>', query.afterCursor);
    if (query.eventTypes !== undefined && query.eventTypes.length > 0) select = select.where('event_type', 'in', [...query.eventTypes]);
    if (query.excludeEventTypes !== undefined && query.excludeEventTypes.length > 0) {
      select = select.where('event_type', 'not in', [...query.excludeEventTypes]);
    }
    // Within a session, cursor order is id order (each append waits for the previous one to commit).
    select = query.sessionId !== undefined ? select.orderBy('stream_cursor') : select.orderBy('id');
    const rows = await select.limit(query.limit).execute();
    return rows.map((r) => storedEvent(r.data, r.stream_cursor));
  }

  async latestCursor(sessionId: string): Promise<number> {
    const row = await this.#db
      .selectFrom(this.#t.telemetrySessions)
      .select('last_cursor')
      .where('session_id', '=', sessionId)
      .executeTakeFirst();
    return row === undefined ? 0 : Number(row.last_cursor);
  }

  async saveTrace(trace: TraceRecord): Promise<void> {
    await this.#writes.submit({ kind: 'trace', trace });
    await this.#afterSave(trace.trace_id);
  }

  async appendEvents(events: readonly TelemetryEvent[], trace: TraceRecord | null): Promise<StoredEvent[]> {
    const rows = events.map(eventRow);
    const first = rows[0];
    const oneStream = first !== undefined && rows.every((row) => row.sessionId === first.sessionId && row.traceId === first.traceId);
    if (this.#dialect !== 'postgres' || !oneStream || (trace !== null && trace.trace_id !== first.traceId)) {
      return appendEventsInTurn(this, events, trace);
    }
    const cursors = await retrying(() => appendEventBatch(this.#db, this.#t, { sessionId: first.sessionId, traceId: first.traceId, rows, trace }));
    // The batch adds at most one trace row (its own): it counts once towards the trace bound's check.
    for (const [i, row] of rows.entries()) await this.#afterAppend(row, cursors[i] as number, false);
    await this.#afterSave(first.traceId);
    return events.map((event, i) => ({ ...event, stream_cursor: cursors[i] as number }));
  }

  async #afterSave(traceId: string): Promise<void> {
    this.#traceWrites += 1;
    if (this.#traceWrites % this.#plan.checkTracesEvery === 0) await this.#guard(() => this.#pruneTraces(traceId));
  }

  async getTrace(traceId: string): Promise<TraceRecord | null> {
    const row = await this.#db
      .selectFrom(this.#t.telemetryTraces)
      .select('data')
      .where('trace_id', '=', traceId)
      .where('data', 'is not', null)
      .executeTakeFirst();
    return row === undefined ? null : (JSON.parse(row.data) as TraceRecord);
  }

  async findTraces(query: TraceQuery): Promise<TraceRecord[]> {
    if (query.limit <= 0) return [];
    let select = this.#db.selectFrom(this.#t.telemetryTraces).select('data').where('data', 'is not', null);
    const filters: [string, string | undefined][] = [
      ['trace_id', query.traceId], ['run_id', query.runId], ['session_id', query.sessionId], ['task_id', query.taskId],
      ['agent_id', query.agentId], ['workflow_id', query.workflowId], ['model', query.model], ['status', query.status],
    ];
    for (const [column, value] of filters) if (value !== undefined) select = select.where(column, '=', value);
    // Newest first by start time; among equal start times, the trace created later first.
    const rows = await select.orderBy('started_at', 'desc').orderBy('seq', 'desc').limit(query.limit).execute();
    return rows.map((r) => JSON.parse(r.data) as TraceRecord);
  }

  /** The connection belongs to the store bundle, which closes it. */
  async close(): Promise<void> {}

  /** One group of writes in one transaction; returns each write's cursor (0 for a trace). */
  async #writeGroup(trx: Kysely<any>, writes: readonly TelemetryWrite[]): Promise<number[]> {
    const results = new Array<number>(writes.length).fill(0);
    const order = writes.map((write, i) => ({ write, i }));
    const key = ({ write }: { write: TelemetryWrite }) => (write.kind === 'event' ? `0${write.row.sessionId}` : `1${write.trace.trace_id}`);
    // Stable: a session's events keep their order. The last save of a trace wins, as it would one by one.
    order.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.i - b.i));
    const lastSave = new Map<string, number>();
    for (const { write, i } of order) if (write.kind === 'trace') lastSave.set(write.trace.trace_id, i);
    for (const { write, i } of order) {
      if (write.kind === 'trace' && lastSave.get(write.trace.trace_id) !== i) continue;
      results[i] = await this.#write(trx, write, true);
    }
    return results;
  }

  async #write(db: Kysely<any>, write: TelemetryWrite, inTransaction: boolean): Promise<number> {
    if (write.kind === 'event') return this.#insert(db, write.row, inTransaction);
    const { trace } = write;
    const fields = traceColumns(trace);
    const insert = db.insertInto(this.#t.telemetryTraces).values({ trace_id: trace.trace_id, ...fields });
    await (this.#dialect === 'mysql' ? insert.onDuplicateKeyUpdate(fields) : insert.onConflict((oc) => oc.column('trace_id').doUpdateSet(fields))).execute();
    return 0;
  }

  /** Inserts the event with the session's next cursor, atomically with the counter and the trace row. */
  async #insert(db: Kysely<any>, row: EventRow, inTransaction: boolean): Promise<number> {
    const t = this.#t;
    const columns = {
      session_id: row.sessionId,
      trace_id: row.traceId,
      run_id: row.runId,
      task_id: row.taskId,
      event_type: row.eventType,
      data: row.json,
    };
    if (this.#dialect === 'postgres') {
      const result = await sql<{ stream_cursor: string }>`
        with counter as (
          insert into ${sql.table(t.telemetrySessions)} as s (session_id, last_cursor) values (${row.sessionId}, 1)
          on conflict (session_id) do update set last_cursor = s.last_cursor + 1
          returning last_cursor
        ), trace as (
          insert into ${sql.table(t.telemetryTraces)} (trace_id) values (${row.traceId}) on conflict (trace_id) do nothing
        )
        insert into ${sql.table(t.telemetryEvents)} (session_id, stream_cursor, trace_id, run_id, task_id, event_type, data)
        select ${row.sessionId}::text, last_cursor, ${row.traceId}::text, ${row.runId}::text, ${row.taskId}::text,
          ${row.eventType}::text, ${row.json}::text
        from counter
        returning stream_cursor`.execute(db);
      return Number(result.rows[0]!.stream_cursor);
    }
    if (this.#dialect === 'sqlite') {
      const next = sql`coalesce((select last_cursor from ${sql.table(t.telemetrySessions)} where session_id = ${row.sessionId}), 0) + 1`;
      const inserted = await db
        .insertInto(t.telemetryEvents)
        .values({ ...columns, stream_cursor: next })
        .returning('stream_cursor')
        .executeTakeFirstOrThrow();
      return Number(inserted.stream_cursor);
    }
    const counted = async (trx: Kysely<any>) => {
      // LAST_INSERT_ID(expr) hands the new counter value back in the OK packet: no extra read.
      const inserted = await sql`
        insert into ${sql.table(t.telemetrySessions)} (session_id, last_cursor) values (${row.sessionId}, last_insert_id(1))
        on duplicate key update last_cursor = last_insert_id(last_cursor + 1)`.execute(trx);
      const cursor = Number(inserted.insertId);
      await trx.insertInto(t.telemetryEvents).values({ ...columns, stream_cursor: cursor }).execute();
      await trx
        .insertInto(t.telemetryTraces)
        .values({ trace_id: row.traceId })
        .onDuplicateKeyUpdate({ trace_id: sql.ref('trace_id') })
        .execute();
      return cursor;
    };
    return inTransaction ? counted(db) : db.transaction().execute(counted);
  }

  async #afterAppend(row: EventRow, cursor: number, countsTrace = true): Promise<void> {
    const plan = this.#plan;
    this.#appends += 1;
    if (countsTrace) this.#traceWrites += 1;
    // Cursors of a session are contiguous, so "the newest maxEventsPerSession" is a cursor range.
    if (cursor > plan.maxEventsPerSession && cursor % plan.checkSessionEvery === 0) {
      await this.#guard(() =>
        this.#tx.serialized((db) =>
          db
            .deleteFrom(this.#t.telemetryEvents)
            .where('session_id', '=', row.sessionId)
            .where('stream_cursor', '<=', cursor - plan.maxEventsPerSession)
            .execute(),
        ),
      );
    }
    if (countsTrace && this.#traceWrites % plan.checkTracesEvery === 0) await this.#guard(() => this.#pruneTraces(row.traceId));
    if (this.#appends % plan.checkEventsEvery === 0) await this.#guard(() => this.#pruneEvents(row.traceId));
  }

  /** Keeps `current` and the newest `maxTraces - 1` other traces; the rest go with their events. */
  async #pruneTraces(current: string): Promise<void> {
    const t = this.#t.telemetryTraces;
    const edge = await this.#db
      .selectFrom(t)
      .select('seq')
      .where('trace_id', '<>', current)
      .orderBy('seq', 'desc')
      .limit(1)
      .offset(this.#plan.maxTraces - 1)
      .executeTakeFirst();
    if (edge === undefined) return;
    while (true) {
      const victims = await this.#db
        .selectFrom(t)
        .select('trace_id')
        .where('seq', '<=', edge.seq)
        .where('trace_id', '<>', current)
        .orderBy('seq')
        .limit(VICTIM_BATCH)
        .execute();
      if (victims.length === 0) return;
      await this.#dropTraces(victims.map((v) => v.trace_id));
      if (victims.length < VICTIM_BATCH) return;
    }
  }

  /** Past `maxEvents`, drops every trace (but `current`) holding one of the oldest events, then any such event left. */
  async #pruneEvents(current: string): Promise<void> {
    const t = this.#t.telemetryEvents;
    const edge = await this.#db.selectFrom(t).select('id').orderBy('id', 'desc').limit(1).offset(this.#plan.maxEvents).executeTakeFirst();
    if (edge === undefined) return;
    while (true) {
      const victims = await this.#db
        .selectFrom(t)
        .select('trace_id')
        .distinct()
        .where('id', '<=', edge.id)
        .where('trace_id', '<>', current)
        .limit(VICTIM_BATCH)
        .execute();
      if (victims.length === 0) break;
      await this.#dropTraces(victims.map((v) => v.trace_id));
    }
    await this.#tx.serialized((db) => db.deleteFrom(t).where('id', '<=', edge.id).execute());
  }

  async #dropTraces(traceIds: string[]): Promise<void> {
    await retrying(() => this.#tx.serialized((db) => db.deleteFrom(this.#t.telemetryEvents).where('trace_id', 'in', traceIds).execute()));
    await retrying(() => this.#tx.serialized((db) => db.deleteFrom(this.#t.telemetryTraces).where('trace_id', 'in', traceIds).execute()));
  }

  async #guard(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.#onError('telemetry retention failed; it is retried at the next check', error);
    }
  }
}

/** Runs a write again when the database chose it as a deadlock victim (or, on PostgreSQL, a serialization failure). */
async function retrying<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= RETRIES || !isTransient(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, attempt * 5 + Math.random() * 10));
    }
  }
}

function isTransient(error: unknown): boolean {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
  return code === '40P01' || code === '40001' || errno === 1213 || code === 'ER_LOCK_DEADLOCK';
}
