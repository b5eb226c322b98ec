import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from './sql-url.ts';

/** Table names, each with the configured prefix, so several deployments can share one database. */
export function tableNames(prefix: string) {
  return {
    sessionMessages: `${prefix}session_messages`,
    telemetryEvents: `${prefix}telemetry_events`,
    telemetryTraces: `${prefix}telemetry_traces`,
    telemetrySessions: `${prefix}telemetry_sessions`,
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
};

/** Applies every pending migration; concurrent starters are serialised by Kysely's migration lock. */
export async function migrateToLatest(db: Kysely<any>, dialect: SqlDialectName, prefix: string): Promise<void> {
  const tables = tableNames(prefix);
  const migrations: Record<string, Migration> = {};
  for (const [name, up] of Object.entries(MIGRATIONS)) migrations[name] = { up: (database) => up(database, tables, dialect) };
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: tables.migrations,
    migrationLockTableName: tables.migrationLock,
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw new Error(`database migration failed: ${(error as Error).message ?? String(error)}`);
}

export { sql };
