import type { SessionStore, StoredMessage } from '../types.ts';

export interface MemorySessionStoreOptions {
  /** Sessions kept; the least recently used is dropped past it, so a long-lived server stays bounded. */
  readonly maxSessions?: number;
  /** Messages kept per session; the oldest are dropped past it. */
  readonly maxMessagesPerSession?: number;
}

export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, StoredMessage[]>();
  readonly #maxSessions: number;
  readonly #maxMessages: number;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#maxSessions = options.maxSessions ?? 10_000;
    this.#maxMessages = options.maxMessagesPerSession ?? 1_000;
  }

  async loadHistory(sessionId: string): Promise<readonly StoredMessage[]> {
    return [...(this.#sessions.get(sessionId) ?? [])];
  }

  async appendMessages(sessionId: string, messages: readonly StoredMessage[]): Promise<void> {
    const list = this.#sessions.get(sessionId) ?? [];
    // Re-inserting moves the session to the end of the map's order, which makes the map an LRU list.
    this.#sessions.delete(sessionId);
    list.push(...messages);
    if (list.length > this.#maxMessages) list.splice(0, list.length - this.#maxMessages);
    this.#sessions.set(sessionId, list);
    while (this.#sessions.size > this.#maxSessions) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
  }

  async clearSession(sessionId: string): Promise<void> {
    this.#sessions.delete(sessionId);
  }
}
