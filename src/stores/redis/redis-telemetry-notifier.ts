import type { Redis } from 'ioredis';
import type { TelemetryNotifier } from '../../telemetry/telemetry-notifier.ts';

export interface RedisTelemetryNotifierOptions {
  readonly onError?: (message: string, error: unknown) => void;
}

/**
 * Telemetry notifications over Redis pub/sub, one channel per followed session (`<prefix>:telemetry:notify:<id>`).
 * Publishing uses the store's connection; subscriptions share one extra connection, opened on the first follow.
 * Pub/sub may drop a message while a connection is down, so every listener is woken when the subscriber
 * connection becomes ready again (ioredis resubscribes on its own), and a follower re-reads the store then.
 */
export class RedisTelemetryNotifier implements TelemetryNotifier {
  readonly #redis: Redis;
  readonly #channelPrefix: string;
  readonly #onError: (message: string, error: unknown) => void;
  readonly #listeners = new Map<string, Set<() => void>>();
  #subscriber: Redis | null = null;

  constructor(redis: Redis, prefix: string, options: RedisTelemetryNotifierOptions = {}) {
    this.#redis = redis;
    this.#channelPrefix = `${prefix}:telemetry:notify:`;
    this.#onError = options.onError ?? (() => undefined);
  }

  publish(sessionId: string, cursor: number): void {
    const channel = this.#channelPrefix + sessionId;
    // This process's followers need not wait for the round trip.
    wake(this.#listeners.get(channel));
    this.#redis.publish(channel, String(cursor)).catch((error: unknown) => this.#onError('telemetry notification failed', error));
  }

  subscribe(sessionId: string, listener: () => void): () => void {
    const channel = this.#channelPrefix + sessionId;
    const entry = () => listener();
    let set = this.#listeners.get(channel);
    if (set === undefined) {
      set = new Set([entry]);
      this.#listeners.set(channel, set);
      this.#connection()
        .subscribe(channel)
        .catch((error: unknown) => this.#onError('telemetry subscription failed', error))
        // Live now (or failed): either way the follower reads the store once more.
        .finally(() => wake(this.#listeners.get(channel)));
    } else {
      set.add(entry);
      queueMicrotask(entry);
    }
    return () => {
      const current = this.#listeners.get(channel);
      if (current === undefined || !current.delete(entry) || current.size > 0) return;
      this.#listeners.delete(channel);
      this.#subscriber?.unsubscribe(channel).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    const subscriber = this.#subscriber;
    this.#subscriber = null;
    if (subscriber !== null) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  #connection(): Redis {
    if (this.#subscriber !== null) return this.#subscriber;
    const subscriber = this.#redis.duplicate();
    subscriber.on('message', (channel: string) => wake(this.#listeners.get(channel)));
    subscriber.on('ready', () => {
      for (const set of this.#listeners.values()) wake(set);
    });
    subscriber.on('error', (error: Error) => this.#onError('telemetry subscriber connection error', error));
    this.#subscriber = subscriber;
    return subscriber;
  }
}

function wake(listeners: ReadonlySet<() => void> | undefined): void {
  if (listeners === undefined) return;
  for (const listener of [...listeners]) {
    try {
      listener();
    } catch {
      // One follower's failure must not keep the others asleep.
    }
  }
}
