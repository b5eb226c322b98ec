import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from './sql-url.ts';

/** Table names, each with the configured prefix, so several deployments can share one database. */
export function tableNames(prefix: string) {
  return {
    sessionMessages: `${prefix}session_messages`,
    telemetryEvents: `${prefix}telemetry_events`,
    telemetryTraces: `${prefix}telemetry_traces`,
    telemetrySessions: `${prefix}telemetry_sessions`,
    backgroundAgents: `${prefix}background_agents`,
    backgroundTasks: `${prefix}background_tasks`,
    backgroundScheduleStates: `${prefix}background_schedule_states`,
    backgroundRuns: `${prefix}background_runs`,
    backgroundAttempts: `${prefix}background_attempts`,
    backgroundRunEvents: `${prefix}background_run_events`,
    backgroundTaskLocks: `${prefix}background_task_locks`,
    migrations: `${prefix}omniserve_migrations`,
    migrationLock: `${prefix}omniserve_migration_lock`,
  } as const;
}

export type SqlTables = ReturnType<typeof tableNames>;

/** An auto-increment primary key in each dialect: its order is the order rows were written. */
export function serialColumn(dialect: SqlDialectName): 'integer' | 'bigserial' | 'bigint' {
  return dialect === 'sqlite' ? 'integer' : dialect === 'postgres' ? 'bigserial' : 'bigint';
}

type MigrationBuilder = (db: Kysely<any>, tables: SqlTables, dialect: SqlDialectName) => Promise<void>;

/** Numbered, append-only: a released migration is never edited, a change is a new number. */
const MIGRATIONS: Readonly<Record<string, MigrationBuilder>> = {
  '0001_session_messages': async (db, t, dialect) => {
    // Session ids compare byte for byte (MySQL's default collation would make "S" and "s" one conversation).
    const id = dialect === 'mysql' ? sql`varchar(255) character set utf8mb4 collate utf8mb4_bin` : sql`varchar(255)`;
    await db.schema
      .createTable(t.sessionMessages)
      .addColumn('id', serialColumn(dialect), (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('session_id', id, (c) => c.notNull())
      .addColumn('role', 'varchar(32)', (c) => c.notNull())
      .addColumn('content', dialect === 'mysql' ? sql`longtext` : sql`text`, (c) => c.notNull())
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex(`${t.sessionMessages}_by_session`).on(t.sessionMessages).columns(['session_id', 'id']).execute();
  },
  '0002_telemetry': async (db, t, dialect) => {
    // Ids compare byte for byte (MySQL's default collation would make "S" and "s" one session); JSON may be large.
    const id = dialect === 'mysql' ? sql`varchar(255) character set utf8mb4 collate utf8mb4_bin` : sql`varchar(255)`;
    const json = dialect === 'mysql' ? sql`longtext` : sql`text`;
    const serial = (c: any) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
    await db.schema
      .createTable(t.telemetryEvents)
      .ifNotExists()
      .addColumn('id', serialColumn(dialect), serial)
      .addColumn('session_id', id, (c) => c.notNull())
      .addColumn('stream_cursor', 'bigint', (c) => c.notNull())
      .addColumn('trace_id', id, (c) => c.notNull())
      .addColumn('run_id', id)
      .addColumn('task_id', id)
      .addColumn('event_type', id, (c) => c.notNull())
      .addColumn('data', json, (c) => c.notNull())
      .execute();
    // The last cursor given out per session. Rows are kept when a session's events are evicted, so a returning
    // session never gets a cursor again that a client may still hold.
    await db.schema
      .createTable(t.telemetrySessions)
      .ifNotExists()
      .addColumn('session_id', id, (c) => c.primaryKey())
      .addColumn('last_cursor', 'bigint', (c) => c.notNull())
      .execute();
    // One row per trace, created by its first event or its first save (`seq` is its age); `data` is null until saved.
    await db.schema
      .createTable(t.telemetryTraces)
      .ifNotExists()
      .addColumn('seq', serialColumn(dialect), serial)
      .addColumn('trace_id', id, (c) => c.notNull())
      .addColumn('data', json)
      .addColumn('started_at', 'varchar(64)')
      .addColumn('status', 'varchar(64)')
      .addColumn('run_id', id)
      .addColumn('session_id', id)
      .addColumn('task_id', id)
      .addColumn('agent_id', id)
      .addColumn('workflow_id', id)
      .addColumn('model', id)
      .execute();
    const index = async (name: string, table: string, columns: string[], unique = false) => {
      let builder = db.schema.createIndex(`${table}_${name}`).on(table).columns(columns);
      if (unique) builder = builder.unique();
      // MySQL has no CREATE INDEX IF NOT EXISTS; the migration lock already makes this run once.
      await (dialect === 'mysql' ? builder : builder.ifNotExists()).execute();
    };
    await index('cursor', t.telemetryEvents, ['session_id', 'stream_cursor'], true);
    await index('trace', t.telemetryEvents, ['trace_id', 'id']);
    await index('run', t.telemetryEvents, ['run_id', 'id']);
    await index('task', t.telemetryEvents, ['task_id', 'id']);
    await index('id', t.telemetryTraces, ['trace_id'], true);
    await index('newest', t.telemetryTraces, ['started_at', 'seq']);
    if (dialect === 'sqlite') {
      // SQLite appends in one INSERT (a transaction held across awaits would block a second connection of the
      // same process); this trigger keeps the session counter and the trace row in that same statement.
      await sql`create trigger if not exists ${sql.id(`${t.telemetryEvents}_append`)} after insert on ${sql.table(t.telemetryEvents)}
        begin
          insert into ${sql.table(t.telemetrySessions)} (session_id, last_cursor) values (new.session_id, new.stream_cursor)
            on conflict (session_id) do update set last_cursor = max(last_cursor, excluded.last_cursor);
          insert into ${sql.table(t.telemetryTraces)} (trace_id) values (new.trace_id) on conflict (trace_id) do nothing;
        end`.execute(db);
    }
  },
  '0003_background': async (db, t, dialect) => {
    // Spec 6.6: each row is its key columns, `version` and the record as JSON, plus the columns queries filter and
    // sort on. Ids and ISO times compare byte for byte in every dialect (they sort as text).
    const text = (size: number) =>
      dialect === 'mysql' ? sql.raw(`varchar(${size}) character set utf8mb4 collate utf8mb4_bin`) : dialect === 'postgres' ? sql.raw(`varchar(${size}) collate "C"`) : sql.raw(`varchar(${size})`);
    const id = text(255);
    const time = text(40);
    const json = dialect === 'mysql' ? sql`longtext` : sql`text`;
    const keyed = (table: string, key: string) =>
      db.schema
        .createTable(table)
        .addColumn(key, id, (c) => c.primaryKey())
        .addColumn('version', 'integer', (c) => c.notNull());
    await keyed(t.backgroundAgents, 'agent_id').addColumn('data', json, (c) => c.notNull()).execute();
    await keyed(t.backgroundTasks, 'task_id')
      .addColumn('agent_id', id, (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('data', json, (c) => c.notNull())
      .execute();
    await keyed(t.backgroundScheduleStates, 'task_id')
      .addColumn('paused', 'integer', (c) => c.notNull())
      .addColumn('next_due_at', time)
      .addColumn('data', json, (c) => c.notNull())
      .execute();
    // `exclusive`: the run waits while another run of its task holds it (any policy but allow_parallel).
    // `occupant`: the task id while an exclusive run holds its task (claimed, running, awaiting), else null; unique,
    // so two exclusive runs of one task can never hold it at once, whichever processes claim them.
    await keyed(t.backgroundRuns, 'run_id')
      .addColumn('task_id', id, (c) => c.notNull())
      .addColumn('agent_id', id, (c) => c.notNull())
      .addColumn('status', 'varchar(32)', (c) => c.notNull())
      .addColumn('occurrence_id', id, (c) => c.notNull())
      .addColumn('queued_at', time, (c) => c.notNull())
      .addColumn('lease_expires_at', time)
      .addColumn('exclusive', 'integer', (c) => c.notNull())
      .addColumn('occupant', id)
      .addColumn('last_sequence', 'integer', (c) => c.notNull())
      .addColumn('data', json, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable(t.backgroundAttempts)
      .addColumn('run_id', id, (c) => c.notNull())
      .addColumn('attempt_number', 'integer', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('data', json, (c) => c.notNull())
      .addPrimaryKeyConstraint(`${t.backgroundAttempts}_run`, ['run_id', 'attempt_number'])
      .execute();
    // Lifecycle events numbered 1..n per run; the key refuses a sequence number given twice.
    await db.schema
      .createTable(t.backgroundRunEvents)
      .addColumn('run_id', id, (c) => c.notNull())
      .addColumn('sequence', 'integer', (c) => c.notNull())
      .addColumn('data', json, (c) => c.notNull())
      .addPrimaryKeyConstraint(`${t.backgroundRunEvents}_key`, ['run_id', 'sequence'])
      .execute();
    // One row per task with runs: admissions of a task's runs lock it, so overlap rules see every other run.
    await db.schema.createTable(t.backgroundTaskLocks).addColumn('task_id', id, (c) => c.primaryKey()).execute();
    const p = t.backgroundAgents.slice(0, -'background_agents'.length);
    const index = async (name: string, table: string, columns: string[], unique = false) => {
      const builder = db.schema.createIndex(`${p}${name}`).on(table).columns(columns);
      await (unique ? builder.unique() : builder).execute();
    };
    await index('background_tasks_agent', t.backgroundTasks, ['agent_id', 'task_id']);
    await index('background_schedules_due', t.backgroundScheduleStates, ['paused', 'next_due_at']);
    await index('background_runs_claim', t.backgroundRuns, ['status', 'queued_at']);
    await index('background_runs_task_status', t.backgroundRuns, ['task_id', 'status']);
    await index('background_runs_occurrence', t.backgroundRuns, ['task_id', 'occurrence_id'], true);
    await index('background_runs_lease', t.backgroundRuns, ['status', 'lease_expires_at']);
    await index('background_runs_occupant', t.backgroundRuns, ['occupant'], true);
    await index('background_runs_newest', t.backgroundRuns, ['queued_at', 'run_id']);
  },
};

/**
 * Applies every pending migration; concurrent starters are serialised by Kysely's migration lock on PostgreSQL and
 * MySQL. Kysely takes no lock on SQLite (it assumes one process), so there the whole run holds the file's write
 * lock (`BEGIN IMMEDIATE`): processes starting together on one file take turns, and the later ones find nothing
 * left to do.
 */
export async function migrateToLatest(db: Kysely<any>, dialect: SqlDialectName, prefix: string): Promise<void> {
  const tables = tableNames(prefix);
  const migrations: Record<string, Migration> = {};
  for (const [name, up] of Object.entries(MIGRATIONS)) migrations[name] = { up: (database) => up(database, tables, dialect) };
  const migrate = async (database: Kysely<any>) => {
    const migrator = new Migrator({
      db: database,
      provider: { getMigrations: async () => migrations },
      migrationTableName: tables.migrations,
      migrationLockTableName: tables.migrationLock,
    });
    const { error } = await migrator.migrateToLatest();
    if (error) throw new Error(`database migration failed: ${(error as Error).message ?? String(error)}`);
  };
  if (dialect !== 'sqlite') return migrate(db);
  await db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      await migrate(connection);
      await sql`commit`.execute(connection);
    } catch (error) {
      await sql`rollback`.execute(connection).catch(() => undefined);
      throw error;
    }
  });
}

export { sql };
