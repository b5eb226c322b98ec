import type { Redis } from 'ioredis';
import type { SessionStore, StoredMessage } from '../types.ts';

/** Conversation memory as one Redis list per session (`<prefix>:session:<id>`), one JSON entry per message. */
export class RedisSessionStore implements SessionStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  #key(sessionId: string): string {
    return `${this.#prefix}:session:${sessionId}`;
  }

  async loadHistory(sessionId: string): Promise<readonly StoredMessage[]> {
    const entries = await this.#redis.lrange(this.#key(sessionId), 0, -1);
    return entries.map((entry) => JSON.parse(entry) as StoredMessage);
  }

  async appendMessages(sessionId: string, messages: readonly StoredMessage[]): Promise<void> {
    if (messages.length === 0) return;
    // One RPUSH with every message: atomic, so another writer's messages cannot land in between.
    await this.#redis.rpush(this.#key(sessionId), ...messages.map((m) => JSON.stringify({ role: m.role, content: m.content, timestamp: m.timestamp })));
  }

  async clearSession(sessionId: string): Promise<void> {
    await this.#redis.del(this.#key(sessionId));
  }
}
