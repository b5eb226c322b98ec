import { OmniError } from '../../core/errors.ts';

export interface RunAdmissionOptions {
  /** Runs allowed at once; 0 means no limit. */
  readonly maxConcurrentRuns: number;
  /** How long a request may wait for a slot before a 503. */
  readonly waitSeconds: number;
}

export interface AdmissionSnapshot {
  readonly inFlight: number;
  readonly waiting: number;
  readonly limit: number;
  readonly rejected: number;
}

interface Waiter {
  readonly grant: (release: () => void) => void;
  readonly refuse: (error: unknown) => void;
}

/**
 * Caps the runs one process executes at once. Past the cap, requests wait in FIFO order for a short bounded time;
 * a freed slot goes straight to the oldest waiter, so nobody can overtake it. A request still waiting when the time
 * is up gets 503 ServerBusy before any work is done, which makes it safe to retry.
 */
export class RunAdmission {
  readonly #limit: number;
  readonly #waitMs: number;
  readonly #waiters: Waiter[] = [];
  #inFlight = 0;
  #rejected = 0;

  constructor(options: RunAdmissionOptions) {
    this.#limit = options.maxConcurrentRuns;
    this.#waitMs = Math.max(0, options.waitSeconds * 1000);
  }

  snapshot(): AdmissionSnapshot {
    return { inFlight: this.#inFlight, waiting: this.#waiters.length, limit: this.#limit, rejected: this.#rejected };
  }

  /** Resolves with a release function once a slot is held. The release is idempotent. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.#limit === 0 || (this.#inFlight < this.#limit && this.#waiters.length === 0)) {
      this.#inFlight += 1;
      return this.#releaser();
    }
    return new Promise<() => void>((resolve, reject) => {
      const started = performance.now();
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
      };
      const waiter: Waiter = {
        grant: (release) => {
          cleanup();
          resolve(release);
        },
        refuse: (error) => {
          cleanup();
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.#rejected += 1;
        waiter.refuse(this.#busyError((performance.now() - started) / 1000));
      }, this.#waitMs);
      const onAbort = () => waiter.refuse(signal?.reason ?? new Error('aborted while waiting for a run slot'));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      // The slot passes to the next waiter without ever being free, so the in-flight count stays as it is.
      if (next) next.grant(this.#releaser());
      else this.#inFlight -= 1;
    };
  }

  #busyError(waitedSeconds: number): OmniError {
    const retryAfter = Math.max(1, Math.ceil(this.#waitMs / 1000));
    return new OmniError(
      'SERVER_BUSY',
      `This server is already running ${this.#limit} runs at once and none finished within ${waitedSeconds.toFixed(1)} seconds. Retry shortly.`,
      { extra: { max_concurrent_runs: this.#limit, retry_after: retryAfter }, headers: { 'retry-after': String(retryAfter) } },
    );
  }
}
