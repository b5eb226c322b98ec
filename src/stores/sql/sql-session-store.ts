import type { Kysely } from 'kysely';
import type { SessionStore, StoredMessage } from '../types.ts';
import type { SqlTables } from './sql-migrations.ts';

/** Conversation memory in one table, one row per message; the auto-increment id keeps the order. */
export class SqlSessionStore implements SessionStore {
  readonly #db: Kysely<any>;
  readonly #table: string;

  constructor(db: Kysely<any>, tables: SqlTables) {
    this.#db = db;
    this.#table = tables.sessionMessages;
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
    // One statement: the run's messages land together or not at all, and stay contiguous in id order.
    await this.#db
      .insertInto(this.#table)
      .values(messages.map((m) => ({ session_id: sessionId, role: m.role, content: JSON.stringify(m.content), created_at: m.timestamp })))
      .execute();
  }

  async clearSession(sessionId: string): Promise<void> {
    await this.#db.deleteFrom(this.#table).where('session_id', '=', sessionId).execute();
  }
}
