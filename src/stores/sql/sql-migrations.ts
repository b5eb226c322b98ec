import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from './sql-url.ts';

/** Table names, each with the configured prefix, so several deployments can share one database. */
export function tableNames(prefix: string) {
  return {
    sessionMessages: `${prefix}session_messages`,
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
    await db.schema
      .createTable(t.sessionMessages)
      .ifNotExists()
      .addColumn('id', serialColumn(dialect), (c) => {
        const key = c.primaryKey();
        return dialect === 'mysql' ? key.autoIncrement() : dialect === 'sqlite' ? key.autoIncrement() : key;
      })
      .addColumn('session_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('role', 'varchar(32)', (c) => c.notNull())
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex(`${t.sessionMessages}_by_session`).ifNotExists().on(t.sessionMessages).columns(['session_id', 'id']).execute()
      .catch(ignoreDuplicateIndex(dialect));
  },
};

/** MySQL has no `CREATE INDEX IF NOT EXISTS`; Kysely emits it anyway, so tolerate "already exists" there. */
function ignoreDuplicateIndex(dialect: SqlDialectName) {
  return (error: unknown) => {
    if (dialect === 'mysql' && /Duplicate key name|syntax/i.test(String((error as Error)?.message))) return;
    throw error;
  };
}

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
