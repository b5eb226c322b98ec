import { sql, type Kysely } from 'kysely';
import type { SqlDialectName } from './sql-url.ts';

/** A write found its row changed under it (its version moved): the whole transaction is tried again. */
export class StaleRowError extends Error {
  override name = 'StaleRowError';
}

const ATTEMPTS = 12;

/**
 * Runs task-store transactions, each as one unit that is tried again (from the start, so every read is fresh) when
 * the database gives up on it for reasons of concurrency: a deadlock victim, a serialization failure, a busy
 * SQLite file, or a unique key another transaction took first (`retryOnUnique`, for claims).
 *
 * - PostgreSQL: READ COMMITTED (the default); rows are locked with `FOR UPDATE [SKIP LOCKED]`.
 * - MySQL/MariaDB: READ COMMITTED too, so every statement reads the latest committed rows (InnoDB's default
 *   REPEATABLE READ would keep reading the snapshot of the first read after a lock was waited for).
 * - SQLite: `BEGIN IMMEDIATE`, taking the file's write lock up front (a deferred `BEGIN` that reads first may not
 *   upgrade in WAL mode once another writer has committed). Processes sharing the file queue on the busy timeout.
 *   Connections of one process to the same file also queue on an in-process lock first: a connection waiting in
 *   SQLite's busy handler blocks the thread, so it could never let the holder in the same process finish.
 */
export class SqlTransactions {
  readonly #db: Kysely<any>;
  readonly #dialect: SqlDialectName;
  #fileKey: Promise<string> | null = null;

  constructor(db: Kysely<any>, dialect: SqlDialectName) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async run<T>(work: (trx: Kysely<any>) => Promise<T>, options: { readonly retryOnUnique?: boolean } = {}): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#once(work);
      } catch (error) {
        const retry = isTransient(error) || error instanceof StaleRowError || (options.retryOnUnique === true && isUniqueViolation(error));
        if (!retry || attempt >= ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(attempt, 5) * 2 + Math.random() * 8));
      }
    }
  }

  /**
   * Runs work outside a transaction, but on SQLite behind the same in-process file lock as the transactions: a
   * statement of another connection in this process that met a transaction held across an await would block the
   * thread in SQLite's busy handler, and the holder could never finish.
   */
  async serialized<T>(work: (db: Kysely<any>) => Promise<T>): Promise<T> {
    if (this.#dialect !== 'sqlite') return work(this.#db);
    return withFileLock(await this.#sqliteFile(), () => work(this.#db));
  }

  #sqliteFile(): Promise<string> {
    this.#fileKey ??= sql<{ file: string }>`select file from pragma_database_list where name = 'main'`
      .execute(this.#db)
      .then((result) => result.rows[0]?.file ?? '');
    return this.#fileKey;
  }

  #once<T>(work: (trx: Kysely<any>) => Promise<T>): Promise<T> {
    if (this.#dialect === 'postgres') return this.#db.transaction().execute(work);
    if (this.#dialect === 'mysql') return this.#db.transaction().setIsolationLevel('read committed').execute(work);
    return this.#sqlite(work);
  }

  async #sqlite<T>(work: (trx: Kysely<any>) => Promise<T>): Promise<T> {
    return withFileLock(await this.#sqliteFile(), () =>
      this.#db.connection().execute(async (connection) => {
        await sql`begin immediate`.execute(connection);
        try {
          const result = await work(connection);
          await sql`commit`.execute(connection);
          return result;
        } catch (error) {
          await sql`rollback`.execute(connection).catch(() => undefined);
          throw error;
        }
      }),
    );
  }
}

/** The tail of each SQLite file's queue of transactions in this process (an in-memory database is its own). */
const fileLocks = new Map<string, Promise<unknown>>();

async function withFileLock<T>(key: string, work: () => Promise<T>): Promise<T> {
  if (key === '') return work();
  const previous = fileLocks.get(key) ?? Promise.resolve();
  const result = previous.then(work);
  const tail = result.catch(() => undefined);
  fileLocks.set(key, tail);
  void tail.then(() => {
    if (fileLocks.get(key) === tail) fileLocks.delete(key);
  });
  return result;
}

/** Deadlock victim, serialization failure, lock wait timeout, busy or locked SQLite database. */
export function isTransient(error: unknown): boolean {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
  return (
    code === '40P01' ||
    code === '40001' ||
    errno === 1213 ||
    errno === 1205 ||
    (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')))
  );
}

export function isUniqueViolation(error: unknown): boolean {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
  return code === '23505' || errno === 1062 || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
