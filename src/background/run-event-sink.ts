import type { RunWrite } from './task-store.ts';

/** Something that wants to hear about every run write this process makes (workspace files, telemetry). */
export interface RunObserver {
  /** Called synchronously; slow work must be queued, and errors stay inside the observer. */
  onRunWrite(write: RunWrite): void;
  /** Resolves once the work queued so far is done. */
  flush?(): Promise<void>;
}

export interface BackgroundLogger {
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

export const silentLogger: BackgroundLogger = { warn() {}, error() {} };

/**
 * Fans out each store write that changed a run: to observers, and to whoever waits on that run here (a
 * `{"wait": true}` request). Writes made by other processes are not seen; waiters poll the store for those.
 */
export class RunEventSink {
  readonly #observers: readonly RunObserver[];
  readonly #listeners = new Map<string, Set<(write: RunWrite) => void>>();
  readonly #logger: BackgroundLogger;

  constructor(observers: readonly RunObserver[], logger: BackgroundLogger = silentLogger) {
    this.#observers = observers;
    this.#logger = logger;
  }

  publish(...writes: readonly RunWrite[]): void {
    for (const write of writes) {
      for (const observer of this.#observers) {
        try {
          observer.onRunWrite(write);
        } catch (error) {
          this.#logger.warn({ run_id: write.run.run_id, err: String(error) }, 'background run observer failed');
        }
      }
      for (const listener of [...(this.#listeners.get(write.run.run_id) ?? [])]) listener(write);
    }
  }

  /** Calls `listener` on each write of the run made in this process until the returned function is called. */
  subscribe(runId: string, listener: (write: RunWrite) => void): () => void {
    let set = this.#listeners.get(runId);
    if (set === undefined) this.#listeners.set(runId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(runId);
    };
  }

  async flush(): Promise<void> {
    await Promise.all(this.#observers.map((observer) => observer.flush?.()));
  }
}

/** Runs tasks one after another per key (one run's files must be written in event order). */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  push(key: string, task: () => Promise<void>): void {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task).catch(() => undefined);
    this.#tails.set(key, next);
    void next.then(() => {
      if (this.#tails.get(key) === next) this.#tails.delete(key);
    });
  }

  async flush(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all([...this.#tails.values()]);
  }
}
