import type { StoredEvent } from '../stores/types.ts';

export type FeedListener = (event: StoredEvent) => void;

/**
 * Live notification of stored events, per session. A subscriber gets every event of its session stored after it
 * subscribed, in cursor order; what was stored before is read from the store (`readEvents` after a cursor). A
 * durable store shared by several processes adds a feed that also relays other processes' appends (Redis pub/sub,
 * Postgres LISTEN, a Mongo change stream) behind this same interface.
 */
export interface TelemetryFeed {
  /** Returns the function that unsubscribes. */
  subscribe(sessionId: string, listener: FeedListener): () => void;
  /**
   * Present on a feed shared by several processes: wakes `onChange` whenever any process may have stored events of
   * the session, and at least once after the watch is live. A follower then reads the store after its own
   * high-water cursor instead of taking events from `subscribe`, so nothing is missed or repeated.
   */
  watch?(sessionId: string, onChange: () => void): () => void;
}

/** The in-process feed: the recorder publishes each event once the store has given it a cursor. */
export class LocalTelemetryFeed implements TelemetryFeed {
  readonly #listeners = new Map<string, Set<FeedListener>>();

  subscribe(sessionId: string, listener: FeedListener): () => void {
    let set = this.#listeners.get(sessionId);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(sessionId, set);
    }
    // A wrapper per subscription, so the same function subscribed twice is two subscriptions.
    const entry: FeedListener = (event) => listener(event);
    set.add(entry);
    return () => {
      const current = this.#listeners.get(sessionId);
      current?.delete(entry);
      if (current?.size === 0) this.#listeners.delete(sessionId);
    };
  }

  publish(event: StoredEvent): void {
    const sessionId = typeof event.metadata['session_id'] === 'string' ? event.metadata['session_id'] : '';
    const set = this.#listeners.get(sessionId);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch {
        // One subscriber's failure must not keep the event from the others (or fail the run that produced it).
      }
    }
  }

  /** Sessions with at least one subscriber (for tests: subscriptions must not leak). */
  get subscribedSessions(): number {
    return this.#listeners.size;
  }
}
