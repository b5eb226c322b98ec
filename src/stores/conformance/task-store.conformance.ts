import { afterEach, beforeEach, describe } from 'vitest';
import type { TaskStore } from '../../background/task-store.ts';
import { sampleAgent, sampleState, sampleTask } from '../../background/testing/sample-records.ts';
import { describeClaimConformance } from './task-store-claims.conformance.ts';
import { describeDispatchConformance } from './task-store-dispatch.conformance.ts';
import { describeRecordConformance } from './task-store-records.conformance.ts';
import { describeRunChangeConformance } from './task-store-run-changes.conformance.ts';
import { runHelpers, type TaskStoreConformanceOptions, type TaskStoreHarness, type TaskStoreSuite } from './task-store-suite.ts';

export type { TaskStoreConformanceOptions, TaskStoreHarness } from './task-store-suite.ts';

/**
 * The task store contract (spec 6.2, 6.3, 6.6; issue 6). Every adapter runs this suite unchanged through its own
 * test file; a backend that cannot do something declares a skip with a reason. The topics live in
 * `task-store-*.conformance.ts` next to this file; each test starts from a fresh store holding `agent-1` and
 * `task-1`.
 */
export function describeTaskStoreConformance(name: string, open: () => Promise<TaskStoreHarness>, options: TaskStoreConformanceOptions = {}): void {
  describe(`TaskStore conformance: ${name}`, () => {
    let harness: TaskStoreHarness | undefined;
    const current = (): TaskStoreHarness => {
      if (harness === undefined) throw new Error('the task store opens in beforeEach: read it inside a test or hook');
      return harness;
    };
    const task = sampleTask();
    const suite: TaskStoreSuite = {
      get harness() {
        return current();
      },
      get store(): TaskStore {
        return current().store;
      },
      task,
      parallel: options.parallelism ?? 16,
      options,
      ...runHelpers(() => current().store, task),
    };

    beforeEach(async () => {
      harness = await open();
      await harness.store.saveAgent(sampleAgent(), { replace: false });
      await harness.store.saveTask(task, sampleState(), { replace: false });
    });
    afterEach(async () => {
      await harness?.dispose();
      harness = undefined;
    });

    describeRecordConformance(suite);
    describeDispatchConformance(suite);
    describeClaimConformance(suite);
    describeRunChangeConformance(suite);
  });
}
