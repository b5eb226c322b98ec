import type { Collection, Db } from 'mongodb';
import type { SessionStore, StoredMessage } from '../types.ts';

interface MessageDocument {
  session_id: string;
  seq: number;
  role: string;
  content: unknown;
  timestamp: string;
}

/**
 * Conversation memory, one document per message. Sequence numbers come from an atomic per-session counter,
 * because ObjectId order is not write order across processes.
 */
export class MongoSessionStore implements SessionStore {
  readonly #messages: Collection<MessageDocument>;
  readonly #counters: Collection<{ _id: string; value: number }>;

  constructor(db: Db, collectionPrefix: string) {
    this.#messages = db.collection(`${collectionPrefix}_session_messages`);
    this.#counters = db.collection(`${collectionPrefix}_counters`);
  }

  async ensureIndexes(): Promise<void> {
    await this.#messages.createIndex({ session_id: 1, seq: 1 }, { unique: true });
  }

  async loadHistory(sessionId: string): Promise<readonly StoredMessage[]> {
    const docs = await this.#messages.find({ session_id: sessionId }).sort({ seq: 1 }).toArray();
    return docs.map((d) => ({ role: d.role, content: d.content, timestamp: d.timestamp }));
  }

  async appendMessages(sessionId: string, messages: readonly StoredMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const counter = await this.#counters.findOneAndUpdate(
      { _id: `session:${sessionId}` },
      { $inc: { value: messages.length } },
      { upsert: true, returnDocument: 'after' },
    );
    const last = counter?.value ?? messages.length;
    const first = last - messages.length + 1;
    await this.#messages.insertMany(
      messages.map((m, i) => ({ session_id: sessionId, seq: first + i, role: m.role, content: m.content, timestamp: m.timestamp })),
    );
  }

  async clearSession(sessionId: string): Promise<void> {
    await this.#messages.deleteMany({ session_id: sessionId });
  }
}
