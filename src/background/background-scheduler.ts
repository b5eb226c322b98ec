import { eachConcurrently } from '../core/each-concurrently.ts';
import type { Clock } from './clock.ts';
import { planRecovery } from './lease-recovery.ts';
import { LeaseLostError, RecordNotFoundError, TransitionRefusedError } from './background-errors.ts';
import type { BackgroundLogger, RunEventSink } from './run-event-sink.ts';
import { planDispatch } from './schedule-dispatch.ts';
import type { TaskStore } from './task-store.ts';
import { isoAt } from './utc-datetime.ts';

/** Dispatch commits in flight at once per process (each holds one store connection while it runs). */
const DISPATCH_CONCURRENCY = 4;
/** How many times `batch` due schedules a pass reads to choose its `batch` from. */
const DUE_SPREAD = 4;

export interface BackgroundSchedulerOptions {
  readonly store: TaskStore;
  readonly clock: Clock;
  readonly sink: RunEventSink;
  readonly logger: BackgroundLogger;
  /** Due schedules handled per pass (spec 6.3: 25). */
  readonly batch: number;
  readonly random?: () => number;
}

/**
 * The scheduler's two store-facing jobs: turn due schedules into runs, and recover runs whose lease expired.
 * Both are compare-and-set against the store, so any number of processes may run them at once: an occurrence is
 * dispatched once, and a run is recovered once.
 */
export class BackgroundScheduler {
  readonly #options: BackgroundSchedulerOptions;

  constructor(options: BackgroundSchedulerOptions) {
    this.#options = options;
  }

  /** Due schedules one `dispatchDue` handles at most. */
  get batchSize(): number {
    return this.#options.batch;
  }

  /** Dispatches due schedules; returns how many schedules it handled. */
  async dispatchDue(): Promise<number> {
    const { store, clock, sink, batch, logger } = this.#options;
    const nowMs = clock.now();
    // Processes sharing a store would all read the same most overdue `batch` and spend their pass racing for them.
    // Each takes a random `batch` of the most overdue `batch * SPREAD` instead, so their picks rarely overlap.
    const due = shuffled(await store.listDueSchedules(isoAt(nowMs), batch * DUE_SPREAD), Math.random).slice(0, batch);
    // Each commit is a compare-and-set on its own task's rows, so commits of different tasks can overlap: one round
    // trip's latency per due schedule in turn would cap a durable store at a few hundred dispatches per second.
    await eachConcurrently(due, DISPATCH_CONCURRENCY, async ({ task, state }) => {
      let commit;
      try {
        commit = planDispatch(task, state, nowMs, { maxRuns: batch, ...(this.#options.random ? { random: this.#options.random } : {}) });
      } catch (error) {
        // A schedule that cannot be computed would be retried on every pass: park it, saying why.
        const reason = `schedule could not be computed: ${error instanceof Error ? error.message : String(error)}`;
        logger.error({ task_id: task.task_id, err: reason }, 'background schedule paused');
        await store.setSchedulePaused(task.task_id, true, reason, isoAt(nowMs));
        return;
      }
      const written = await store.commitDispatch(commit);
      if (written.committed) sink.publish(...written.runs, ...written.cancelled);
    });
    return due.length;
  }

  /** Recovers expired leases (spec 6.3); returns how many runs it recovered. */
  async recoverExpired(): Promise<number> {
    const { store, clock, sink, batch } = this.#options;
    const now = isoAt(clock.now());
    let recovered = 0;
    for (const run of await store.listExpiredLeases(now, batch)) {
      try {
        sink.publish(await store.updateRun(run.run_id, planRecovery(run, now)));
        recovered += 1;
      } catch (error) {
        // Heartbeat, finish or another recoverer got there first.
        if (!(error instanceof LeaseLostError || error instanceof TransitionRefusedError || error instanceof RecordNotFoundError)) throw error;
      }
    }
    return recovered;
  }
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
