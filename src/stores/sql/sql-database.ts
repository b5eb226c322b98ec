import { dirname, resolve } from 'node:path';
import { makeDirectorySync } from '../../core/make-directory.ts';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { ConfigError } from '../../core/errors.ts';
import { maskUrlSecrets } from '../../config/mask-secrets.ts';
import { reasonOf, withTimeout } from '../store-connection-error.ts';
import { parseSqlUrl, type SqlDialectName } from './sql-url.ts';

export interface SqlDatabaseOptions {
  readonly url: string;
  /** The env variable the URL came from, named in every error. */
  readonly variable: string;
  readonly connectTimeoutSeconds?: number | null;
}

export interface SqlDatabase {
  readonly db: Kysely<any>;
  readonly dialect: SqlDialectName;
  close(): Promise<void>;
}

const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;

/**
 * Opens a Kysely database from a task-store URL and proves the connection with one query, so a bad URL, a refused
 * connection or wrong credentials fail at start-up, within the connect timeout, with the variable and the host
 * named and the password never shown. Only the selected dialect's driver package is loaded.
 */
export async function openSqlDatabase(options: SqlDatabaseOptions): Promise<SqlDatabase> {
  const target = parseSqlUrl(options.url);
  const shown = maskUrlSecrets(options.url);
  if ('error' in target) throw new ConfigError([`${options.variable} ${target.error}, got "${shown}"`]);
  const timeoutMs = (options.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS) * 1000;
  let db: Kysely<any>;
  try {
    db = new Kysely<any>({ dialect: await createDialect(target.dialect, target.location, timeoutMs) });
  } catch (error) {
    throw new ConfigError([`${options.variable}: cannot open ${shown}: ${reasonOf(error)}`]);
  }
  try {
    await withTimeout(sql`select 1`.execute(db), timeoutMs, `the database at ${shown}`);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw new ConfigError([`${options.variable}: cannot connect to ${shown}: ${reasonOf(error)}`]);
  }
  return { db, dialect: target.dialect, close: () => db.destroy() };
}

async function createDialect(dialect: SqlDialectName, location: string, timeoutMs: number) {
  if (dialect === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const path = location === ':memory:' ? location : resolve(location);
    if (path !== ':memory:') makeDirectorySync(dirname(path));
    const database = new Database(path, { timeout: timeoutMs });
    // WAL lets several processes read while one writes; the busy timeout makes writers wait instead of failing.
    if (path !== ':memory:') database.pragma('journal_mode = WAL');
    // In WAL mode NORMAL syncs at checkpoints rather than on every commit: a committed transaction still survives the
    // process being killed (the crash model); only a power cut or OS crash can lose the last commits, never
    // the file's integrity. Measured here, FULL capped a single process far below the throughput target.
    database.pragma('synchronous = NORMAL');
    database.pragma(`busy_timeout = ${Math.max(5000, timeoutMs)}`);
    return new SqliteDialect({ database: withStatementCache(database) });
  }
  if (dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: location, connectionTimeoutMillis: timeoutMs, max: 10 });
    pool.on('connect', (client) => usePreparedStatements(client));
    return new PostgresDialect({ pool });
  }
  const { createPool } = await import('mysql2');
  return new MysqlDialect({ pool: createPool({ uri: location, connectTimeout: timeoutMs, connectionLimit: 10, supportBigNumbers: true }) });
}

/** Enough for every distinct statement the stores issue; `in (...)` lists of other lengths churn through the rest. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew; on SQLite, where a query costs microseconds, preparing was a tenth of a busy
 * server's CPU (measured with `bench/store-throughput.ts --profile`). Statements are reused by their SQL text, least
 * recently used dropped first; one still iterating (`busy`) is never handed out twice.
 */
function withStatementCache(database: import('better-sqlite3').Database) {
  const cache = new Map<string, import('better-sqlite3').Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      const cached = cache.get(sql);
      if (cached !== undefined && !cached.busy) {
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = database.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      return statement;
    },
  };
}

/** Distinct statements prepared per connection at most; the few past it (long `in (...)` lists) are parsed each time. */
const PREPARED_STATEMENT_LIMIT = 200;
const statementNames = new Map<string, string>();

/**
 * PostgreSQL parses and plans an unnamed statement on every execution; the stores issue the same few dozen
 * statements thousands of times a second, so each is prepared once per connection (by name) and executed from then
 * on. Only parameterised statements are named: `begin`, `commit` and DDL go through as they are.
 */
function usePreparedStatements(client: import('pg').PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (text: unknown, values?: unknown, callback?: unknown) => {
    if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0) return query(text, values, callback);
    let name = statementNames.get(text);
    if (name === undefined && statementNames.size < PREPARED_STATEMENT_LIMIT) {
      name = `omniserve_${statementNames.size + 1}`;
      statementNames.set(text, name);
    }
    return name === undefined ? query(text, values, callback) : query({ name, text, values }, callback);
  };
}
