import { eachConcurrently } from '../core/each-concurrently.ts';
import { newId } from '../core/ids.ts';
import { RunAbortedError } from './background-errors.ts';
import type { BackgroundScheduler } from './background-scheduler.ts';
import { settledWithin, STOPPED, type Clock } from './clock.ts';
import type { BackgroundLogger, RunEventSink } from './run-event-sink.ts';
import type { RunExecutor } from './run-executor.ts';
import type { TaskStore } from './task-store.ts';
import { isoAt } from './utc-datetime.ts';

/** Claims in flight at once per process. */
const CLAIM_CONCURRENCY = 4;
/** How long shutdown waits for aborted runs to record their end. */
const ABORT_SETTLE_MS = 5_000;
/** Most claims one look at the queue leads to (then it looks again). */
const CLAIM_ROUND = 16;
/**
 * Least sleep between two passes that found nothing more to do. Without it a process sleeps until the very next due
 * time, so schedules due every few milliseconds cost a whole pass (due-schedule read, claim look, wake-time read)
 * each; 20 ms lets them gather into one pass, at most 20 ms later. Runs queued in this process still wake it at once.
 */
const MIN_IDLE_MS = 20;

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
    return (await this.#pass()).busy;
  }

  /** One pass; `more` when it may have left work for an immediate next pass (a full batch, a recovery). */
  async #pass(): Promise<{ readonly busy: boolean; readonly more: boolean }> {
    const { clock, scheduler, recoverEveryMs } = this.#options;
    let recovered = 0;
    if (clock.now() - this.#lastRecovery >= recoverEveryMs) {
      this.#lastRecovery = clock.now();
      recovered = await scheduler.recoverExpired();
    }
    const dispatched = await scheduler.dispatchDue();
    const claimed = await this.#claimAll();
    return { busy: recovered + dispatched + claimed > 0, more: recovered > 0 || dispatched >= scheduler.batchSize };
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
    if (this.#executions.size > 0 && graceMs > 0) await settledWithin(this.#options.clock, this.whenIdle(), graceMs);
    this.#options.executor.abortAll(new RunAbortedError('shutdown', 'The server is shutting down'));
    // Aborted runs record their end quickly, unless a store or workspace bucket stopped answering: shutdown does not
    // wait on that for long. A run left behind keeps its lease, so it is recovered (lease_expired) after a restart or
    // by another process; nothing accepted is lost.
    if (!(await settledWithin(this.#options.clock, this.whenIdle(), ABORT_SETTLE_MS))) {
      this.#options.logger.error({ runs: this.#executions.size, waited_ms: ABORT_SETTLE_MS }, 'background runs still recording their end at shutdown; their leases will expire and another process (or a restart) recovers them');
    }
  }

  async #run(): Promise<void> {
    const { clock, idleMs, logger } = this.#options;
    while (!this.#stop.signal.aborted) {
      let more = false;
      try {
        ({ more } = await this.#pass());
      } catch (error) {
        logger.error({ err: error instanceof Error ? error.message : String(error) }, 'background worker pass failed');
      }
      // Runs this pass dispatched were claimed in it already; what others queue meanwhile waits for the next pass.
      if (more && this.#hasSlot()) {
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
      return next === null ? idleMs : Math.min(idleMs, Math.max(MIN_IDLE_MS, Date.parse(next) - this.#options.clock.now()));
    } catch {
      return idleMs;
    }
  }

  /**
   * Claims until the slots are full or nothing is claimable. Each round first asks the store how many runs wait
   * (one cheap read, no locks), then claims that many, several at once: on a durable store a claim is a
   * transaction of a few round trips, and one at a time would cap a process at a few hundred claims per second
   * with the database mostly idle. Claimers skip each other's locked rows, so they never wait. A round stops at its
   * first miss (another process was faster).
   */
  async #claimAll(): Promise<number> {
    const { store, clock } = this.#options;
    let claimed = 0;
    while (!this.#stop.signal.aborted) {
      const wanted = Math.min(this.#freeSlots(), CLAIM_ROUND);
      if (wanted <= 0) break;
      const waiting = await store.countClaimable(isoAt(clock.now()), wanted);
      if (waiting === 0) break;
      let missed = false;
      await eachConcurrently(Array.from({ length: waiting }), CLAIM_CONCURRENCY, async () => {
        if (missed || this.#stop.signal.aborted || !this.#hasSlot()) return;
        if ((await this.#claim(undefined, true)) === null) missed = true;
        else claimed += 1;
      });
      if (missed || waiting < wanted) break;
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
  async #claim(runId?: string, counted = false): Promise<{ readonly execution: Promise<void> } | null> {
    const { store, clock, sink, workerId, leaseMs, executor } = this.#options;
    // Claimed and started in one store write: the executor then goes straight to the agent.
    const claim = { workerId, leaseToken: newId('lease'), now: isoAt(clock.now()), leaseMs, startAttemptId: newId('attempt') };
    const written = await store.claimNextRun(claim, runId !== undefined ? { runId } : counted ? { likelyClaimable: true } : {});
    if (written === null) return null;
    sink.publish(written);
    const execution = executor.execute(written.run).finally(() => {
      // Only a loop that stopped claiming for want of a slot needs waking; otherwise its next pass comes anyway.
      const wasFull = !this.#hasSlot();
      this.#executions.delete(execution);
      if (wasFull) this.wake();
    });
    this.#executions.add(execution);
    return { execution };
  }
}
