export interface FixedWindowLimiterOptions {
  /** Requests allowed per key per window. */
  readonly limit: number;
  readonly windowMs: number;
  /** Most keys kept at once; past it the key whose window is oldest is forgotten. */
  readonly maxKeys: number;
  /** Epoch milliseconds; tests pass a fake clock. */
  readonly now?: () => number;
}

export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  /** Requests left in this window after this one. */
  readonly remaining: number;
  /** Epoch milliseconds at which the key's window ends. */
  readonly resetAtMs: number;
}

interface Window {
  readonly key: string;
  readonly startMs: number;
  count: number;
}

/**
 * A fixed-window counter per key (spec 7.2): a key's window starts at its first request and lasts `windowMs`; it
 * is not sliding. Windows also sit in a queue in start order, so the expired ones are always at its head: each call
 * drops them in time proportional to how many there are (no periodic sweep, no scan of live keys), and memory stays
 * bounded by the keys active within the last window, and by `maxKeys` at most.
 */
export class FixedWindowLimiter {
  readonly #options: FixedWindowLimiterOptions;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();
  // A queue as an array and a head index: shift() would copy the array on every call.
  #queue: Window[] = [];
  #head = 0;

  constructor(options: FixedWindowLimiterOptions) {
    if (!(options.limit >= 1) || !(options.windowMs > 0) || !(options.maxKeys >= 1)) {
      throw new RangeError('FixedWindowLimiter needs limit >= 1, windowMs > 0 and maxKeys >= 1');
    }
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.#windows.size;
  }

  /** Counts one request for `key` and says whether it is allowed. */
  hit(key: string): RateDecision {
    const now = this.#now();
    const { limit, windowMs, maxKeys } = this.#options;
    for (let oldest = this.#queue[this.#head]; oldest !== undefined && oldest.startMs + windowMs <= now; oldest = this.#queue[this.#head]) {
      this.#dropOldest();
    }
    let window = this.#windows.get(key);
    if (window === undefined) {
      // Only reached when more than maxKeys clients were seen within one window: forget the oldest.
      if (this.#windows.size >= maxKeys) this.#dropOldest();
      window = { key, startMs: now, count: 0 };
      this.#windows.set(key, window);
      this.#queue.push(window);
    }
    const resetAtMs = window.startMs + windowMs;
    if (window.count >= limit) return { allowed: false, limit, remaining: 0, resetAtMs };
    window.count += 1;
    return { allowed: true, limit, remaining: limit - window.count, resetAtMs };
  }

  #dropOldest(): void {
    const oldest = this.#queue[this.#head];
    if (oldest === undefined) return;
    this.#head += 1;
    this.#windows.delete(oldest.key);
    if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
