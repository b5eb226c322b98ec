import { expect } from 'vitest';
import { RUN_EVENTS } from '../../background/lifecycle-events.ts';
import type { BackgroundTask } from '../../background/background-records.ts';
import type { ClaimRequest } from '../../background/run-changes.ts';
import type { BackgroundAttempt, BackgroundRun } from '../../background/run-record.ts';
import type { TaskStore } from '../../background/task-store.ts';
import { SAMPLE_TIME, sampleRun } from '../../background/testing/sample-records.ts';

/** What an adapter's test file gives the suite. */
export interface TaskStoreHarness {
  readonly store: TaskStore;
  /**
   * Another handle on the same data, as a second process would open it (its own connection). Claims and
   * dispatches are raced across handles. An in-process store returns itself.
   */
  peer(): Promise<TaskStore>;
  /** Closes the store and opens it again on the same data; only for durable backends. */
  reopen?(): Promise<TaskStore>;
  /** Closes every handle and removes the test data. */
  dispose(): Promise<void>;
}

export interface TaskStoreConformanceOptions {
  /** Capabilities the backend lacks, each with the reason shown in the test name. */
  readonly skip?: { readonly durability?: string };
  /** Parallel claimers / dispatchers raced in the concurrency tests. */
  readonly parallelism?: number;
}

/**
 * What each topic of the suite works with. `harness` and `store` are the current test's (opened in the suite's
 * `beforeEach`, with `agent-1` and `task` saved), so read them inside a test or hook, never while describing.
 */
export interface TaskStoreSuite {
  readonly harness: TaskStoreHarness;
  readonly store: TaskStore;
  readonly task: BackgroundTask;
  /** Parallel claimers / dispatchers raced in the concurrency tests. */
  readonly parallel: number;
  readonly options: TaskStoreConformanceOptions;
  /** Adds a run and returns it as stored. */
  admit(overrides?: Partial<BackgroundRun>, from?: BackgroundTask): Promise<BackgroundRun>;
  /** Claims the given run and starts its first attempt. */
  start(run: BackgroundRun, seconds?: number, workerId?: string): Promise<BackgroundRun>;
}

/** `SAMPLE_TIME` plus some seconds, as an ISO string. */
export const at = (seconds: number): string => new Date(Date.parse(SAMPLE_TIME) + seconds * 1000).toISOString();
export const LEASE_MS = 30_000;
export const claimAt = (seconds: number, workerId = 'worker-a', leaseToken = `lease-${workerId}-${seconds}`): ClaimRequest => ({
  workerId,
  leaseToken,
  now: at(seconds),
  leaseMs: LEASE_MS,
});

/** The suite's `admit` and `start` over whichever store `current()` returns when they are called. */
export function runHelpers(current: () => TaskStore, task: BackgroundTask): Pick<TaskStoreSuite, 'admit' | 'start'> {
  return {
    async admit(overrides = {}, from = task) {
      const written = await current().admitRun({ ...sampleRun(from), ...overrides }, at(0));
      return (written.runs[0] as { run: BackgroundRun }).run;
    },
    async start(run, seconds = 1, workerId = 'worker-a') {
      const store = current();
      const claimed = await store.claimNextRun(claimAt(seconds, workerId), { runId: run.run_id });
      expect(claimed).not.toBeNull();
      const token = claimed?.run.lease_token as string;
      const attempt: BackgroundAttempt = {
        attempt_id: `attempt-${run.run_id}-1`, run_id: run.run_id, attempt_number: 1, reason: 'initial', status: 'running',
        worker_id: workerId, lease_token: token, started_at: at(seconds), finished_at: null, error: null, retry_delay_seconds: null,
      };
      const started = await store.updateRun(run.run_id, {
        now: at(seconds),
        expect: { leaseToken: token },
        steps: [{ status: 'running', event: RUN_EVENTS.started, patch: { attempt: 1, started_at: at(seconds) } }],
        attempts: [{ kind: 'create', attempt }],
      });
      return started.run;
    },
  };
}
