import { sql, type Kysely } from 'kysely';
import { RecordExistsError } from '../../background/background-errors.ts';
import { applyAttemptWrites, planAdmission, planCancel, type AttemptWrite, type PlannedRunWrite } from '../../background/run-changes.ts';
import {
  OCCUPYING_STATUSES,
  TERMINAL_STATUSES,
  type BackgroundAttempt,
  type BackgroundRun,
  type LifecycleEvent,
  type RunStatus,
} from '../../background/run-record.ts';
import type { AdmitWrite, RunWrite } from '../../background/task-store.ts';
import type { SqlTables } from './sql-migrations.ts';
import { StaleRowError } from './sql-task-store-tx.ts';
import type { SqlDialectName } from './sql-url.ts';

/** A run as read inside a transaction: the record, its row version and the sequence of its last event. */
export interface StoredRun {
  readonly run: BackgroundRun;
  readonly version: number;
  readonly lastSequence: number;
}

interface RunRow {
  readonly data: string;
  readonly version: number | string;
  readonly last_sequence: number | string;
}

const occupying = (status: RunStatus) => (OCCUPYING_STATUSES as readonly RunStatus[]).includes(status);

/** The row columns of a run: the record as JSON, and the fields queries filter, sort and claim on. */
function runColumns(run: BackgroundRun) {
  const exclusive = run.overlap_policy !== 'allow_parallel';
  return {
    task_id: run.task_id,
    agent_id: run.agent_id,
    status: run.status,
    occurrence_id: run.occurrence_id,
    queued_at: run.queued_at,
    lease_expires_at: run.lease_expires_at,
    exclusive: exclusive ? 1 : 0,
    occupant: exclusive && occupying(run.status) ? run.task_id : null,
    data: JSON.stringify(run),
  };
}

export function storedRun(row: RunRow): StoredRun {
  return { run: JSON.parse(row.data) as BackgroundRun, version: Number(row.version), lastSequence: Number(row.last_sequence) };
}

/**
 * The writes every run-changing method makes, inside the caller's transaction: run row, lifecycle events and
 * attempts land together. Each write is checked against the version read, so a row changed in between (which
 * the row locks rule out) fails the transaction instead of being overwritten.
 */
export class SqlRunRows {
  readonly #t: SqlTables;
  readonly #dialect: SqlDialectName;

  constructor(tables: SqlTables, dialect: SqlDialectName) {
    this.#t = tables;
    this.#dialect = dialect;
  }

  /**
   * Queued runs (`r`) whose task lets them start now: it allows parallel runs, or no run of it is claimed, running
   * or awaiting a decision. Whether `queued_at` has come is left to the caller.
   */
  claimable(db: Kysely<any>) {
    const runs = this.#t.backgroundRuns;
    return db
      .selectFrom(`${runs} as r`)
      .where('r.status', '=', 'queued')
      .where((eb) =>
        eb.or([
          eb('r.exclusive', '=', 0),
          eb.not(eb.exists(eb.selectFrom(`${runs} as o`).select('o.run_id').whereRef('o.task_id', '=', 'r.task_id').where('o.status', 'in', [...OCCUPYING_STATUSES]))),
        ]),
      );
  }

  /** Reads a run, locking its row until the transaction ends (SQLite: the transaction holds the file already). */
  async load(trx: Kysely<any>, runId: string): Promise<StoredRun | null> {
    const query = trx.selectFrom(this.#t.backgroundRuns).select(['data', 'version', 'last_sequence']).where('run_id', '=', runId);
    const row = await (this.#dialect === 'sqlite' ? query : query.forUpdate()).executeTakeFirst();
    return row === undefined ? null : storedRun(row as RunRow);
  }

  /** Stores a planned change of a run read with `load`, with its attempt writes, and appends its events. */
  async write(trx: Kysely<any>, stored: StoredRun, planned: PlannedRunWrite, attempts: readonly AttemptWrite[] = []): Promise<RunWrite> {
    if (this.#dialect === 'postgres' && planned.events.length > 0 && attempts.length <= 1) return this.#writeAtOnce(trx, stored, planned, attempts[0]);
    await this.writeAttempts(trx, stored.run.run_id, attempts);
    const result = await trx
      .updateTable(this.#t.backgroundRuns)
      .set({ ...runColumns(planned.run), last_sequence: stored.lastSequence + planned.events.length, version: stored.version + 1 })
      .where('run_id', '=', stored.run.run_id)
      .where('version', '=', stored.version)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw new StaleRowError(`run ${stored.run.run_id} changed during the write`);
    await this.#appendEvents(trx, planned.events);
    return { run: planned.run, events: planned.events };
  }

  /**
   * PostgreSQL: the run row, its events and its attempt write in one statement (data-modifying WITHs), one round
   * trip instead of three or four on every claim and finish. Events and attempt are written only if the versioned
   * update found its row. An attempt update merges its fields into the stored JSON in place (`jsonb ||` keeps the
   * nulls it sets), so it needs no read first.
   */
  async #writeAtOnce(trx: Kysely<any>, stored: StoredRun, planned: PlannedRunWrite, attempt: AttemptWrite | undefined): Promise<RunWrite> {
    const run = planned.run;
    const columns = { ...runColumns(run), last_sequence: stored.lastSequence + planned.events.length, version: stored.version + 1 };
    const assignments = sql.join(Object.entries(columns).map(([column, value]) => sql`${sql.ref(column)} = ${value}`));
    const attempts = this.#t.backgroundAttempts;
    const attemptWrite =
      attempt === undefined
        ? sql``
        : attempt.kind === 'create'
          ? sql`, attempted as (
              insert into ${sql.table(attempts)} as a (run_id, attempt_number, version, data)
              select c.run_id, ${attempt.attempt.attempt_number}::integer, 1, ${JSON.stringify(attempt.attempt)}::text from changed c
              on conflict (run_id, attempt_number) do update set data = excluded.data, version = a.version + 1
            )`
          : sql`, attempted as (
              update ${sql.table(attempts)} as a set data = (a.data::jsonb || ${JSON.stringify(attempt.patch)}::jsonb)::text, version = a.version + 1
              from changed c where a.run_id = c.run_id and a.attempt_number = ${attempt.attempt_number}::integer
            )`;
    const result = await sql<{ changed: string }>`
      with changed as (
        update ${sql.table(this.#t.backgroundRuns)} set ${assignments}
        where run_id = ${run.run_id} and version = ${stored.version}
        returning run_id
      ), appended as (
        insert into ${sql.table(this.#t.backgroundRunEvents)} (run_id, sequence, data)
        select c.run_id, e.sequence, e.data
        from changed c, unnest(${planned.events.map((e) => e.sequence)}::integer[], ${planned.events.map((e) => JSON.stringify(e))}::text[]) as e(sequence, data)
      )${attemptWrite}
      select count(*) as changed from changed`.execute(trx);
    if (Number(result.rows[0]?.changed ?? 0) !== 1) throw new StaleRowError(`run ${run.run_id} changed during the write`);
    return { run, events: planned.events };
  }

  /** Stores the attempt writes of a change (creates replace an attempt of the same number). */
  async writeAttempts(trx: Kysely<any>, runId: string, writes: readonly AttemptWrite[] | undefined): Promise<void> {
    if (writes === undefined || writes.length === 0) return;
    const table = this.#t.backgroundAttempts;
    if (writes.every((write) => write.kind === 'create')) {
      // A start creates its attempt: nothing to merge with, so no read; one of the same number is replaced.
      for (const { attempt } of writes as Extract<AttemptWrite, { kind: 'create' }>[]) {
        const data = JSON.stringify(attempt);
        const insert = trx.insertInto(table).values({ run_id: runId, attempt_number: attempt.attempt_number, version: 1, data });
        await (this.#dialect === 'mysql'
          ? insert.onDuplicateKeyUpdate({ data, version: sql`version + 1` })
          : insert.onConflict((oc) => oc.columns(['run_id', 'attempt_number']).doUpdateSet({ data, version: sql`${sql.ref(`${table}.version`)} + 1` }))
        ).execute();
      }
      return;
    }
    const rows = await trx.selectFrom(table).select(['attempt_number', 'version', 'data']).where('run_id', '=', runId).execute();
    const before = new Map(rows.map((row) => [Number(row.attempt_number), { version: Number(row.version), data: row.data as string }]));
    const attempts = applyAttemptWrites(rows.map((row) => JSON.parse(row.data) as BackgroundAttempt), writes);
    for (const attempt of attempts) {
      const data = JSON.stringify(attempt);
      const old = before.get(attempt.attempt_number);
      if (old === undefined) {
        await trx.insertInto(table).values({ run_id: runId, attempt_number: attempt.attempt_number, version: 1, data }).execute();
      } else if (old.data !== data) {
        await trx
          .updateTable(table)
          .set({ data, version: old.version + 1 })
          .where('run_id', '=', runId)
          .where('attempt_number', '=', attempt.attempt_number)
          .execute();
      }
    }
  }

  /**
   * Locks the task's row of the locks table (creating it on first use): every admission that applies an overlap
   * rule waits for the others of the same task, so the rule always sees every other run of the task.
   */
  async lockTask(trx: Kysely<any>, taskId: string): Promise<void> {
    const table = this.#t.backgroundTaskLocks;
    const insert = trx.insertInto(table).values({ task_id: taskId });
    await (this.#dialect === 'mysql'
      ? insert.onDuplicateKeyUpdate({ task_id: sql.ref('task_id') })
      : insert.onConflict((oc) => oc.column('task_id').doNothing())
    ).execute();
    if (this.#dialect !== 'sqlite') await trx.selectFrom(table).select('task_id').where('task_id', '=', taskId).forUpdate().execute();
  }

  /**
   * Adds a run under the overlap rule (`planAdmission`). A taken run id or occurrence is `RecordExistsError`
   * (`onTaken: 'throw'`) or leaves the run out (`'skip'`, a dispatch carrying it again).
   */
  async admit(trx: Kysely<any>, run: BackgroundRun, now: string, onTaken: 'throw' | 'skip'): Promise<AdmitWrite> {
    const runs = this.#t.backgroundRuns;
    // Only these two policies look at the other runs: they read them under the task's lock (the rest never read the
    // possibly long list, and need no lock: the unique keys refuse a taken id or occurrence).
    const looks = run.overlap_policy === 'skip_if_running' || run.overlap_policy === 'cancel_previous';
    if (looks) await this.lockTask(trx, run.task_id);
    // MySQL reports a duplicate as a changed row under mysql2's FOUND_ROWS flag, so it keeps the read first.
    if (!looks && onTaken === 'skip' && this.#dialect !== 'mysql') return this.#admitUnlessTaken(trx, run, now);
    const taken = await trx
      .selectFrom(runs)
      .select(['run_id', 'occurrence_id'])
      .where((eb) => eb.or([eb('run_id', '=', run.run_id), eb.and([eb('task_id', '=', run.task_id), eb('occurrence_id', '=', run.occurrence_id)])]))
      .executeTakeFirst();
    if (taken !== undefined) {
      if (onTaken === 'skip') return { runs: [], cancelled: [] };
      throw new RecordExistsError('run', taken.run_id === run.run_id ? run.run_id : run.occurrence_id);
    }
    const unfinished = looks
      ? (
          await trx
            .selectFrom(runs)
            .select('data')
            .where('task_id', '=', run.task_id)
            .where('status', 'not in', [...TERMINAL_STATUSES])
            .orderBy('run_id')
            .execute()
        ).map((row) => JSON.parse(row.data as string) as BackgroundRun)
      : [];
    const planned = planAdmission(run, unfinished, now);
    await trx
      .insertInto(runs)
      .values({ run_id: run.run_id, ...runColumns(planned.run), last_sequence: planned.events.length, version: 1 })
      .execute();
    await this.#appendEvents(trx, planned.events);
    const cancelled: RunWrite[] = [];
    for (const otherId of planned.cancel) {
      const other = await this.load(trx, otherId);
      if (other === null) continue;
      const cancel = planCancel(other.run, other.lastSequence, now, null);
      cancelled.push(await this.write(trx, other, cancel));
    }
    return { runs: [{ run: planned.run, events: planned.events }], cancelled };
  }

  /**
   * A dispatch's run under a policy that does not look at other runs: inserted if its id and occurrence are free,
   * left out otherwise. The unique keys decide, so no read goes first.
   */
  async #admitUnlessTaken(trx: Kysely<any>, run: BackgroundRun, now: string): Promise<AdmitWrite> {
    const planned = planAdmission(run, [], now);
    if (this.#dialect === 'postgres') {
      // One statement: the run, and its events only if the run was inserted.
      const columns = { run_id: run.run_id, ...runColumns(planned.run), last_sequence: planned.events.length, version: 1 };
      const names = sql.join(Object.keys(columns).map((column) => sql.ref(column)));
      const result = await sql<{ added: string }>`
        with added as (
          insert into ${sql.table(this.#t.backgroundRuns)} (${names}) values (${sql.join(Object.values(columns))})
          on conflict do nothing
          returning run_id
        ), appended as (
          insert into ${sql.table(this.#t.backgroundRunEvents)} (run_id, sequence, data)
          select a.run_id, e.sequence, e.data
          from added a, unnest(${planned.events.map((e) => e.sequence)}::integer[], ${planned.events.map((e) => JSON.stringify(e))}::text[]) as e(sequence, data)
        )
        select count(*) as added from added`.execute(trx);
      if (Number(result.rows[0]?.added ?? 0) === 0) return { runs: [], cancelled: [] };
      return { runs: [{ run: planned.run, events: planned.events }], cancelled: [] };
    }
    const insert = trx
      .insertInto(this.#t.backgroundRuns)
      .values({ run_id: run.run_id, ...runColumns(planned.run), last_sequence: planned.events.length, version: 1 });
    const result = await insert.onConflict((oc) => oc.doNothing()).executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) return { runs: [], cancelled: [] };
    await this.#appendEvents(trx, planned.events);
    return { runs: [{ run: planned.run, events: planned.events }], cancelled: [] };
  }

  async #appendEvents(trx: Kysely<any>, events: readonly LifecycleEvent[]): Promise<void> {
    if (events.length === 0) return;
    await trx
      .insertInto(this.#t.backgroundRunEvents)
      .values(events.map((event) => ({ run_id: event.run_id, sequence: event.sequence, data: JSON.stringify(event) })))
      .execute();
  }
}
