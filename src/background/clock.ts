/**
 * The reason given when background code ends its own sleeps and timers. Passing one spares `abort()` building a
 * DOMException with a stack trace, which the worker would otherwise do several times per run.
 */
export const STOPPED: unknown = Object.freeze({ stopped: true });

/** Time as the background system sees it; tests pass a `ManualClock` so nothing waits for real time. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts (it never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      // Background timers never keep a process alive on their own: the server (or the caller) does.
      const timer = setTimeout(done, Math.max(0, ms)).unref();
      signal?.addEventListener('abort', done, { once: true });
    });
  },
};

interface Sleeper {
  readonly at: number;
  readonly wake: () => void;
}

/** A clock that moves only when told to: `advance(ms)` wakes each sleeper at its time, in order. */
export class ManualClock implements Clock {
  #now: number;
  readonly #sleepers = new Set<Sleeper>();

  constructor(start: number | string = Date.parse('2030-01-01T00:00:00Z')) {
    this.#now = typeof start === 'string' ? Date.parse(start) : start;
  }

  now(): number {
    return this.#now;
  }

  /** Sleepers waiting now (useful to wait until a loop has gone to sleep). */
  get sleepers(): number {
    return this.#sleepers.size;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper: Sleeper = {
        at: this.#now + Math.max(0, ms),
        wake: () => {
          this.#sleepers.delete(sleeper);
          signal?.removeEventListener('abort', sleeper.wake);
          resolve();
        },
      };
      this.#sleepers.add(sleeper);
      signal?.addEventListener('abort', sleeper.wake, { once: true });
    });
  }

  /** Moves time forward, waking sleepers in time order and letting each one's continuation run before the next. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      const next = [...this.#sleepers].filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (next === undefined) break;
      this.#now = Math.max(this.#now, next.at);
      next.wake();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /** Sets the time (forward or back) without waking anyone. */
  set(time: number | string): void {
    this.#now = typeof time === 'string' ? Date.parse(time) : time;
  }
}

/** Lets pending promise continuations and I/O callbacks run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Waits for `work` at most `ms` of `clock` time: true if it finished in time (a rejection of `work` is thrown). */
export async function settledWithin(clock: Clock, work: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([work.then(() => true), clock.sleep(ms, timer.signal).then(() => false)]);
  } finally {
    timer.abort(STOPPED);
  }
}
