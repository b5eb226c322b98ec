import type { TelemetryStore } from '../stores/types.ts';
import type { TelemetryNotifier } from './telemetry-notifier.ts';

export interface PollingTelemetryNotifierOptions {
  /** How often the latest cursor of each followed session is read (default 250 ms). */
  readonly intervalMs?: number;
  readonly onError?: (message: string, error: unknown) => void;
}

interface Watched {
  readonly listeners: Set<() => void>;
  /** The latest cursor seen; null until the first poll. */
  cursor: number | null;
}

/**
 * A notifier for stores without a push channel (SQL, MongoDB): while anyone in this process follows a session,
 * its latest cursor is read every `intervalMs` and listeners are woken when it moves. Publishes from this process
 * wake local listeners at once. Costs one cursor read per followed session per interval, and nothing when no
 * session is followed (the timer only runs while there are subscribers).
 */
export class PollingTelemetryNotifier implements TelemetryNotifier {
  readonly #store: Pick<TelemetryStore, 'latestCursor'>;
  readonly #intervalMs: number;
  readonly #onError: (message: string, error: unknown) => void;
  readonly #watched = new Map<string, Watched>();
  #timer: NodeJS.Timeout | null = null;
  #polling = false;

  constructor(store: Pick<TelemetryStore, 'latestCursor'>, options: PollingTelemetryNotifierOptions = {}) {
    this.#store = store;
    this.#intervalMs = options.intervalMs ?? 250;
    this.#onError = options.onError ?? (() => undefined);
  }

  publish(sessionId: string, cursor: number): void {
    const watched = this.#watched.get(sessionId);
    if (watched === undefined) return;
    if (watched.cursor === null || cursor > watched.cursor) watched.cursor = cursor;
    wake(watched.listeners);
  }

  subscribe(sessionId: string, listener: () => void): () => void {
    let watched = this.#watched.get(sessionId);
    if (watched === undefined) {
      watched = { listeners: new Set(), cursor: null };
      this.#watched.set(sessionId, watched);
    }
    const entry = () => listener();
    watched.listeners.add(entry);
    // Polling needs no set-up: the subscription is live now, and the first wake says so.
    queueMicrotask(entry);
    this.#timer ??= setInterval(() => void this.#poll(), this.#intervalMs);
    return () => {
      const current = this.#watched.get(sessionId);
      current?.listeners.delete(entry);
      if (current?.listeners.size === 0) this.#watched.delete(sessionId);
      if (this.#watched.size === 0) this.#stop();
    };
  }

  async close(): Promise<void> {
    this.#watched.clear();
    this.#stop();
  }

  async #poll(): Promise<void> {
    // A slow store must not pile up reads: skip a tick while the last poll is still running.
    if (this.#polling) return;
    this.#polling = true;
    try {
      await Promise.all(
        [...this.#watched].map(async ([sessionId, watched]) => {
          const cursor = await this.#store.latestCursor(sessionId);
          // The first poll wakes too: something may have landed between the subscription and this poll.
          if (watched.cursor !== null && cursor <= watched.cursor) return;
          watched.cursor = cursor;
          wake(watched.listeners);
        }),
      );
    } catch (error) {
      this.#onError('telemetry cursor poll failed', error);
    } finally {
      this.#polling = false;
    }
  }

  #stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}

function wake(listeners: ReadonlySet<() => void>): void {
  for (const listener of [...listeners]) {
    try {
      listener();
    } catch {
      // One follower's failure must not keep the others asleep.
    }
  }
}
