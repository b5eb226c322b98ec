import { sql, type Kysely } from 'kysely';
import type { TraceRecord } from '../../telemetry/trace-model.ts';
import type { EventRow } from '../telemetry-store-support.ts';
import type { SqlTables } from './sql-migrations.ts';

/** The columns a trace is found by, next to its JSON. */
export function traceColumns(trace: TraceRecord) {
  return {
    data: JSON.stringify(trace),
    started_at: trace.started_at,
    status: trace.status,
    run_id: trace.run_id,
    session_id: trace.session_id,
    task_id: trace.task_id,
    agent_id: trace.agent_id,
    workflow_id: trace.workflow_id,
    model: trace.metadata.model,
  };
}

/**
 * Appends events of one session and one trace, and saves that trace, in one PostgreSQL statement: the session's
 * counter moves by the number of events (its row lock orders concurrent appends, as for one event), the events take
 * the cursors below the new counter in their order, and the trace row is created or replaced. Returns the cursors in
 * event order. A background run write (one to four events and its trace) costs one round trip instead of five.
 */
export async function appendEventBatch(
  db: Kysely<any>,
  t: SqlTables,
  batch: { readonly sessionId: string; readonly traceId: string; readonly rows: readonly EventRow[]; readonly trace: TraceRecord | null },
): Promise<number[]> {
  const { sessionId, traceId, rows, trace } = batch;
  const n = rows.length;
  const fields = trace === null ? null : traceColumns(trace);
  // One statement may change a row once: the trace row is either created bare (events only) or saved whole.
  const traceWrite =
    fields === null
      ? sql`insert into ${sql.table(t.telemetryTraces)} (trace_id) values (${traceId}) on conflict (trace_id) do nothing`
      : sql`insert into ${sql.table(t.telemetryTraces)} (trace_id, data, started_at, status, run_id, session_id, task_id, agent_id, workflow_id, model)
          values (${traceId}, ${fields.data}, ${fields.started_at}, ${fields.status}, ${fields.run_id}, ${fields.session_id}, ${fields.task_id},
            ${fields.agent_id}, ${fields.workflow_id}, ${fields.model})
          on conflict (trace_id) do update set data = excluded.data, started_at = excluded.started_at, status = excluded.status,
            run_id = excluded.run_id, session_id = excluded.session_id, task_id = excluded.task_id, agent_id = excluded.agent_id,
            workflow_id = excluded.workflow_id, model = excluded.model`;
  const result = await sql<{ stream_cursor: string }>`
    with counter as (
      insert into ${sql.table(t.telemetrySessions)} as s (session_id, last_cursor) values (${sessionId}, ${n})
      on conflict (session_id) do update set last_cursor = s.last_cursor + ${n}
      returning last_cursor
    ), trace as (${traceWrite})
    insert into ${sql.table(t.telemetryEvents)} (session_id, stream_cursor, trace_id, run_id, task_id, event_type, data)
    select ${sessionId}::text, c.last_cursor - ${n}::bigint + e.ord, ${traceId}::text, e.run_id, e.task_id, e.event_type, e.data
    from counter c,
      unnest(${rows.map((r) => r.runId)}::text[], ${rows.map((r) => r.taskId)}::text[], ${rows.map((r) => r.eventType)}::text[],
        ${rows.map((r) => r.json)}::text[]) with ordinality as e(run_id, task_id, event_type, data, ord)
    order by e.ord
    returning stream_cursor`.execute(db);
  return result.rows.map((row) => Number(row.stream_cursor)).sort((a, b) => a - b);
}
