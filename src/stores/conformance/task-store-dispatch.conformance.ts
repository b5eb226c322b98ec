import { beforeEach, describe, expect, it } from 'vitest';
import { RecordExistsError } from '../../background/background-errors.ts';
import { RUN_EVENTS } from '../../background/lifecycle-events.ts';
import type { BackgroundRun } from '../../background/run-record.ts';
import type { TaskStore } from '../../background/task-store.ts';
import { sampleRun, sampleState, sampleTask } from '../../background/testing/sample-records.ts';
import { at, type TaskStoreHarness, type TaskStoreSuite } from './task-store-suite.ts';

/** Due schedules and their dispatch, and admitting runs under the overlap policies. */
export function describeDispatchConformance(suite: TaskStoreSuite): void {
  const { task, parallel, admit, start } = suite;

  describe('due schedules and dispatch', () => {
    let harness: TaskStoreHarness;
    let store: TaskStore;
    beforeEach(() => void ({ harness, store } = suite));

    const dueTask = (id: string, due: number | null, extra: { paused?: boolean; enabled?: boolean } = {}) =>
      store.saveTask(sampleTask({ task_id: id, enabled: extra.enabled ?? true }), sampleState({ task_id: id, next_due_at: due === null ? null : at(due), paused: extra.paused ?? false }), { replace: true });
    const commitFor = (id: string, due: number, next: number, runs: BackgroundRun[], revision = 1) => ({
      taskId: id,
      expect: { schedule_revision: revision, next_due_at: at(due) },
      state: sampleState({ task_id: id, next_due_at: at(next), last_due_at: at(due), schedule_revision: revision }),
      runs,
      now: at(due),
    });

    it('lists enabled, unpaused schedules due by now, most overdue first, up to the limit', async () => {
      await dueTask('t-late', 5);
      await dueTask('t-later', 1);
      await dueTask('t-future', 100);
      await dueTask('t-paused', 1, { paused: true });
      await dueTask('t-disabled', 1, { enabled: false });
      await dueTask('t-manual', null);
      expect((await store.listDueSchedules(at(10), 25)).map((d) => d.task.task_id)).toEqual(['t-later', 't-late']);
      expect((await store.listDueSchedules(at(10), 1)).map((d) => d.task.task_id)).toEqual(['t-later']);
      expect((await store.listDueSchedules(at(10), 25)).map((d) => d.task.task_id)).toEqual(['t-later', 't-late']);
      await store.setSchedulePaused('t-paused', false, null, at(10));
      expect((await store.listDueSchedules(at(10), 25)).map((d) => d.task.task_id)).toContain('t-paused');
    });

    it('tells the earliest time a schedule or a queued run comes due', async () => {
      expect(await store.nextWakeTime()).toBeNull();
      await dueTask('t-late', 50);
      await dueTask('t-paused', 5, { paused: true });
      expect(await store.nextWakeTime()).toBe(at(50));
      await admit({ queued_at: at(20) });
      expect(await store.nextWakeTime()).toBe(at(20));
      await store.setSchedulePaused('t-paused', false, null, at(0));
      expect(await store.nextWakeTime()).toBe(at(5));
    });

    it('commits a dispatch only against the state it read', async () => {
      await dueTask('t', 5);
      const t = sampleTask({ task_id: 't' });
      const run = sampleRun(t, { type: 'interval', dueAt: at(5) });
      const stale = await store.commitDispatch({ ...commitFor('t', 4, 65, [run]) });
      expect(stale).toMatchObject({ committed: false, runs: [] });
      expect(await store.getRun(run.run_id)).toBeNull();
      const won = await store.commitDispatch(commitFor('t', 5, 65, [run]));
      expect(won.committed).toBe(true);
      expect(won.runs.map((w) => [w.run.status, w.events.map((e) => e.event)])).toEqual([['queued', [RUN_EVENTS.queued]]]);
      expect((await store.getScheduleState('t'))?.next_due_at).toBe(at(65));
      expect(await store.listDueSchedules(at(10), 25)).toEqual([]);
    });

    it('never inserts an occurrence twice, even when a later commit carries it again', async () => {
      await dueTask('t', 5);
      const t = sampleTask({ task_id: 't' });
      const first = sampleRun(t, { type: 'interval', dueAt: at(5) });
      await store.commitDispatch(commitFor('t', 5, 65, [first]));
      const again = sampleRun(t, { type: 'interval', dueAt: at(5) });
      const second = await store.commitDispatch(commitFor('t', 65, 125, [again]));
      expect(second.committed).toBe(true);
      expect(second.runs).toEqual([]);
      expect(await store.getRun(again.run_id)).toBeNull();
      await expect(store.admitRun(sampleRun(t, { type: 'interval', dueAt: at(5) }), at(6))).rejects.toBeInstanceOf(RecordExistsError);
    });

    it(`dispatches a due occurrence exactly once when ${parallel} dispatchers race for it`, async () => {
      await dueTask('t', 5);
      const t = sampleTask({ task_id: 't' });
      const peers = await Promise.all(Array.from({ length: parallel }, () => harness.peer()));
      const results = await Promise.all(
        peers.map(async (peer) => {
          const [due] = await peer.listDueSchedules(at(5), 25);
          if (due === undefined) return false;
          const commit = commitFor('t', 5, 65, [sampleRun(t, { type: 'interval', dueAt: at(5) })]);
          return (await peer.commitDispatch(commit)).committed;
        }),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.listRuns({ taskId: 't' })).toHaveLength(1);
    });
  });

  describe('admission (overlap policies)', () => {
    let store: TaskStore;
    beforeEach(() => void (store = suite.store));

    it('queues a new run with event 1, and refuses a taken run id', async () => {
      const run = sampleRun(task);
      const written = await store.admitRun(run, at(0));
      expect(written.runs[0]?.run.status).toBe('queued');
      expect(written.runs[0]?.events).toMatchObject([{ event: RUN_EVENTS.queued, sequence: 1, run_id: run.run_id, status: 'queued' }]);
      await expect(store.admitRun(run, at(0))).rejects.toBeInstanceOf(RecordExistsError);
    });

    it('skip_if_running records a run as skipped while another is unfinished, and queues it once none is', async () => {
      const first = await admit({ overlap_policy: 'skip_if_running' });
      const second = await store.admitRun(sampleRun(task, {}, { overlap_policy: 'skip_if_running' }), at(1));
      expect(second.runs[0]?.run).toMatchObject({ status: 'skipped', finished_at: at(1) });
      expect(second.runs[0]?.events.map((e) => e.event)).toEqual([RUN_EVENTS.skipped]);
      await store.requestCancel(first.run_id, at(2), null);
      const third = await store.admitRun(sampleRun(task, {}, { overlap_policy: 'skip_if_running' }), at(3));
      expect(third.runs[0]?.run.status).toBe('queued');
    });

    it('cancel_previous cancels queued runs at once and asks running ones to stop', async () => {
      const queued = await admit({ queued_at: at(0) });
      const running = await start(await admit({ queued_at: at(0) }));
      const written = await store.admitRun(sampleRun(task, {}, { overlap_policy: 'cancel_previous' }), at(5));
      expect(written.runs[0]?.run.status).toBe('queued');
      expect(Object.fromEntries(written.cancelled.map((w) => [w.run.run_id, w.run.status]))).toEqual({ [queued.run_id]: 'cancelled', [running.run_id]: 'running' });
      expect((await store.getRun(running.run_id))?.cancel_requested_at).toBe(at(5));
    });

    it('allow_parallel and queue_next queue every run', async () => {
      await admit({ overlap_policy: 'queue_next' });
      expect((await store.admitRun(sampleRun(task, {}, { overlap_policy: 'queue_next' }), at(0))).runs[0]?.run.status).toBe('queued');
      expect((await store.admitRun(sampleRun(task), at(0))).runs[0]?.run.status).toBe('queued');
    });
  });
}
