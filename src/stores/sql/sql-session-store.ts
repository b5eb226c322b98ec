import { sql, type Kysely } from 'kysely';
import type { SqlDialectName } from './sql-url.ts';
import type { SessionStore, StoredMessage } from '../types.ts';
import type { SqlTables } from './sql-migrations.ts';

/** Conversation memory in one table, one row per message; the auto-increment id keeps the order. */
export class SqlSessionStore implements SessionStore {
  readonly #db: Kysely<any>;
  readonly #table: string;
  readonly #dialect: SqlDialectName;

  constructor(db: Kysely<any>, tables: SqlTables, dialect: SqlDialectName) {
    this.#db = db;
    this.#table = tables.sessionMessages;
    this.#dialect = dialect;
  }

  async loadHistory(sessionId: string): Promise<readonly StoredMessage[]> {
    const rows = await this.#db
      .selectFrom(this.#table)
      .select(['role', 'content', 'created_at'])
      .where('session_id', '=', sessionId)
      .orderBy('id')
      .execute();
    return rows.map((row) => ({ role: row.role, content: JSON.parse(row.content), timestamp: row.created_at }));
  }

  async appendMessages(sessionId: string, messages: readonly StoredMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const rows = messages.map((m) => ({ session_id: sessionId, role: m.role, content: JSON.stringify(m.content), created_at: m.timestamp }));
    if (this.#dialect === 'sqlite') {
      // One statement, and SQLite has one writer at a time: the batch is contiguous in id order.
      await this.#db.insertInto(this.#table).values(rows).execute();
      return;
    }
    // PostgreSQL and MySQL hand out ids to concurrent multi-row inserts interleaved; a per-session lock held for the
    // transaction keeps one run's messages together (other sessions are not blocked).
    await this.#db.transaction().execute(async (trx) => {
      if (this.#dialect === 'postgres') {
        await sql`select pg_advisory_xact_lock(hashtext(${`omniserve-session:${sessionId}`}))`.execute(trx);
        await trx.insertInto(this.#table).values(rows).execute();
        return;
      }
      await sql`select get_lock(concat('omniserve-session:', sha1(${sessionId})), 30)`.execute(trx);
      try {
        await trx.insertInto(this.#table).values(rows).execute();
      } finally {
        await sql`select release_lock(concat('omniserve-session:', sha1(${sessionId})))`.execute(trx);
      }
    });
  }

  async clearSession(sessionId: string): Promise<void> {
    await this.#db.deleteFrom(this.#table).where('session_id', '=', sessionId).execute();
  }
}
