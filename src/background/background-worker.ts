import { newId } from '../core/ids.ts';
import { RunAbortedError } from './background-errors.ts';
import type { BackgroundScheduler } from './background-scheduler.ts';
import { STOPPED, type Clock } from './clock.ts';
import type { BackgroundLogger, RunEventSink } from './run-event-sink.ts';
import type { RunExecutor } from './run-executor.ts';
import type { TaskStore } from './task-store.ts';
import { isoAt } from './utc-datetime.ts';

/** Claims in flight at once per process. */
const CLAIM_CONCURRENCY = 4;

export interface BackgroundWorkerOptions {
  readonly store: TaskStore;
  readonly clock: Clock;
  readonly sink: RunEventSink;
  readonly scheduler: BackgroundScheduler;
  readonly executor: RunExecutor;
  readonly logger: BackgroundLogger;
  readonly workerId: string;
  readonly leaseMs: number;
  /** Runs executing at once in this process. */
  readonly maxConcurrentRuns: number;
  /** Sleep when a pass found nothing to do (spec 6.3: 50 ms). */
  readonly idleMs: number;
  /** Least time between two lease-recovery scans. */
  readonly recoverEveryMs: number;
}

/**
 * The scheduler/worker loop (spec 6.3): recover expired leases, dispatch due schedules, then claim queued runs
 * while this process has free run slots, each executed without blocking the loop; sleep `idleMs` when a pass
 * did nothing (or all slots are busy), waking early when a run is queued here or a slot frees up.
 */
export class BackgroundWorker {
  readonly #options: BackgroundWorkerOptions;
  readonly #executions = new Set<Promise<void>>();
  #loop: Promise<void> | null = null;
  #stop = new AbortController();
  #wake = new AbortController();
  #lastRecovery = Number.NEGATIVE_INFINITY;

  constructor(options: BackgroundWorkerOptions) {
    this.#options = options;
  }

  get running(): boolean {
    return this.#loop !== null;
  }

  get inFlight(): number {
    return this.#executions.size;
  }

  start(): void {
    if (this.#loop !== null) return;
    this.#stop = new AbortController();
    this.#loop = this.#run();
  }

  /** Cuts a pending idle sleep short (a run was queued, a slot freed). */
  wake(): void {
    this.#wake.abort(STOPPED);
  }

  /** One pass of the loop; true when it did something. Tests drive the worker with this and a manual clock. */
  async runOnce(): Promise<boolean> {
    const { clock, scheduler, recoverEveryMs } = this.#options;
    let busy = 0;
    if (clock.now() - this.#lastRecovery >= recoverEveryMs) {
      this.#lastRecovery = clock.now();
      busy += await scheduler.recoverExpired();
    }
    busy += await scheduler.dispatchDue();
    busy += await this.#claimAll();
    return busy > 0;
  }

  /** Claims a specific queued run and executes it here (a `wait` request with no worker running). */
  async executeNow(runId: string): Promise<boolean> {
    return (await this.#claim(runId)) !== null;
  }

  /** Resolves once every execution started so far has finished. */
  async whenIdle(): Promise<void> {
    while (this.#executions.size > 0) await Promise.all([...this.#executions]);
  }

  /**
   * Stops claiming, gives executing runs `graceMs` to finish, then aborts the rest: each goes back to the queue
   * (attempt `interrupted`) for this or another process to pick up.
   */
  async stop(graceMs: number): Promise<void> {
    this.#stop.abort(STOPPED);
    this.wake();
    await this.#loop;
    this.#loop = null;
    if (this.#executions.size > 0 && graceMs > 0) {
      const timer = new AbortController();
      await Promise.race([this.whenIdle(), this.#options.clock.sleep(graceMs, timer.signal)]);
      timer.abort(STOPPED);
    }
    this.#options.executor.abortAll(new RunAbortedError('shutdown', 'The server is shutting down'));
    await this.whenIdle();
  }

  async #run(): Promise<void> {
    const { clock, idleMs, logger } = this.#options;
    while (!this.#stop.signal.aborted) {
      let busy = false;
      try {
        busy = await this.runOnce();
      } catch (error) {
        logger.error({ err: error instanceof Error ? error.message : String(error) }, 'background worker pass failed');
      }
      if (busy && this.#hasSlot()) {
        // Let timers and I/O in between busy passes: an in-memory store never leaves the microtask queue.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      // Sleep until the next due time (never longer than idleMs); a wake that came during the pass ends it at once.
      await clock.sleep(await this.#idleFor(idleMs), AbortSignal.any([this.#wake.signal, this.#stop.signal]));
      if (this.#wake.signal.aborted) this.#wake = new AbortController();
    }
  }

  async #idleFor(idleMs: number): Promise<number> {
    if (!this.#hasSlot()) return idleMs;
    try {
      const next = await this.#options.store.nextWakeTime();
      return next === null ? idleMs : Math.min(idleMs, Math.max(0, Date.parse(next) - this.#options.clock.now()));
    } catch {
      return idleMs;
    }
  }

  /**
   * Claims until the slots are full or nothing is claimable. Several claims are in flight at once: on a durable
   * store a claim is a transaction of a few round trips, and one at a time would cap a process at a few hundred
   * claims per second with the database mostly idle. Claimers skip each other's locked rows, so they never wait.
   * The width doubles while every claim of a round succeeds: when runs trickle in one at a time, a wide round would
   * mostly look and find nothing (each look is a cheap read, but still a round trip).
   */
  async #claimAll(): Promise<number> {
    let claimed = 0;
    let width = 1;
    while (!this.#stop.signal.aborted) {
      const round = Math.min(this.#freeSlots(), width);
      if (round <= 0) break;
      const results = await Promise.allSettled(Array.from({ length: round }, () => this.#claim()));
      const got = results.filter((result) => result.status === 'fulfilled' && result.value !== null).length;
      claimed += got;
      const failed = results.find((result) => result.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      if (got < round) break;
      width = Math.min(width * 2, CLAIM_CONCURRENCY);
    }
    return claimed;
  }

  #freeSlots(): number {
    const max = this.#options.maxConcurrentRuns;
    return max <= 0 ? Number.POSITIVE_INFINITY : max - this.#executions.size;
  }

  #hasSlot(): boolean {
    return this.#freeSlots() > 0;
  }

  /** Claims a run and starts executing it; resolves once it started (never waits for the execution). */
  async #claim(runId?: string): Promise<{ readonly execution: Promise<void> } | null> {
    const { store, clock, sink, workerId, leaseMs, executor } = this.#options;
    // Claimed and started in one store write: the executor then goes straight to the agent.
    const claim = { workerId, leaseToken: newId('lease'), now: isoAt(clock.now()), leaseMs, startAttemptId: newId('attempt') };
    const written = await store.claimNextRun(claim, runId === undefined ? {} : { runId });
    if (written === null) return null;
    sink.publish(written);
    const execution = executor.execute(written.run).finally(() => {
      this.#executions.delete(execution);
      this.wake();
    });
    this.#executions.add(execution);
    return { execution };
  }
}
