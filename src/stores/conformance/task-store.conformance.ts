import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaseLostError, RecordExistsError, RecordNotFoundError, TransitionRefusedError } from '../../background/background-errors.ts';
import { planRecovery } from '../../background/lease-recovery.ts';
import { isContiguous, RUN_EVENTS } from '../../background/lifecycle-events.ts';
import type { ClaimRequest, RunChange } from '../../background/run-changes.ts';
import type { BackgroundAttempt, BackgroundRun } from '../../background/run-record.ts';
import type { TaskStore } from '../../background/task-store.ts';
import { SAMPLE_TIME, sampleAgent, sampleRun, sampleState, sampleTask } from '../../background/testing/sample-records.ts';

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

const at = (seconds: number) => new Date(Date.parse(SAMPLE_TIME) + seconds * 1000).toISOString();
const LEASE_MS = 30_000;
const claimAt = (seconds: number, workerId = 'worker-a', leaseToken = `lease-${workerId}-${seconds}`): ClaimRequest => ({ workerId, leaseToken, now: at(seconds), leaseMs: LEASE_MS });

/**
 * The task store contract (spec 6.2, 6.3, 6.6; issue 6). Every adapter runs this suite unchanged through its own
 * test file; a backend that cannot do something declares a skip with a reason.
 */
export function describeTaskStoreConformance(name: string, open: () => Promise<TaskStoreHarness>, options: TaskStoreConformanceOptions = {}): void {
  const parallel = options.parallelism ?? 16;

  describe(`TaskStore conformance: ${name}`, () => {
    let harness: TaskStoreHarness;
    let store: TaskStore;
    const task = sampleTask();

    beforeEach(async () => {
      harness = await open();
      store = harness.store;
      await store.saveAgent(sampleAgent(), { replace: false });
      await store.saveTask(task, sampleState(), { replace: false });
    });
    afterEach(async () => harness.dispose());

    /** Adds a run and returns it as stored. */
    const admit = async (overrides: Partial<BackgroundRun> = {}, from = task) => {
      const written = await store.admitRun({ ...sampleRun(from), ...overrides }, at(0));
      return (written.runs[0] as { run: BackgroundRun }).run;
    };
    /** Claims the given run and starts its first attempt. */
    const start = async (run: BackgroundRun, seconds = 1, workerId = 'worker-a') => {
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
    };

    describe('agents', () => {
      it('saves, reads, lists by id and deletes agents', async () => {
        await store.saveAgent(sampleAgent({ agent_id: 'a-0', name: 'Zero' }), { replace: false });
        expect(await store.getAgent('a-0')).toMatchObject({ agent_id: 'a-0', name: 'Zero' });
        expect((await store.listAgents()).map((a) => a.agent_id)).toEqual(['a-0', 'agent-1']);
        expect(await store.deleteAgent('a-0')).toBe(true);
        expect(await store.deleteAgent('a-0')).toBe(false);
        expect(await store.getAgent('a-0')).toBeNull();
      });

      it('refuses a taken id unless replace, and says when it replaced', async () => {
        await expect(store.saveAgent(sampleAgent({ name: 'Other' }), { replace: false })).rejects.toBeInstanceOf(RecordExistsError);
        expect(await store.saveAgent(sampleAgent({ name: 'Other' }), { replace: true })).toBe(true);
        expect((await store.getAgent('agent-1'))?.name).toBe('Other');
      });

      it('hands out copies: changing a returned record changes nothing stored', async () => {
        const agent = (await store.getAgent('agent-1')) as { metadata: Record<string, unknown> };
        agent.metadata['x'] = 1;
        expect((await store.getAgent('agent-1'))?.metadata).toEqual({});
      });
    });

    describe('tasks and schedules', () => {
      it('saves a task with its schedule state, filters by agent, and refuses a taken id unless replace', async () => {
        await store.saveTask(sampleTask({ task_id: 'task-0', agent_id: 'other' }), sampleState({ task_id: 'task-0' }), { replace: false });
        expect((await store.listTasks()).map((t) => t.task_id)).toEqual(['task-0', 'task-1']);
        expect((await store.listTasks({ agentId: 'other' })).map((t) => t.task_id)).toEqual(['task-0']);
        await expect(store.saveTask(task, sampleState(), { replace: false })).rejects.toBeInstanceOf(RecordExistsError);
        expect(await store.saveTask({ ...task, query: 'changed' }, sampleState({ schedule_revision: 2 }), { replace: true })).toBe(true);
        expect((await store.getTask('task-1'))?.query).toBe('changed');
        expect((await store.getScheduleState('task-1'))?.schedule_revision).toBe(2);
      });

      it('pauses and resumes a schedule, and answers null for an unknown task', async () => {
        expect(await store.setSchedulePaused('task-1', true, 'maintenance', at(1))).toMatchObject({ paused: true, paused_reason: 'maintenance' });
        expect(await store.setSchedulePaused('task-1', false, 'ignored', at(2))).toMatchObject({ paused: false, paused_reason: null });
        expect(await store.setSchedulePaused('nope', true, null, at(1))).toBeNull();
      });

      it('deletes a task, keeping its runs unless deleteRuns', async () => {
        const kept = await admit();
        expect(await store.deleteTask('task-1', { deleteRuns: false })).toBe(true);
        expect(await store.getTask('task-1')).toBeNull();
        expect(await store.getScheduleState('task-1')).toBeNull();
        expect(await store.getRun(kept.run_id)).not.toBeNull();
        await store.saveTask(task, sampleState(), { replace: false });
        expect(await store.deleteTask('task-1', { deleteRuns: true })).toBe(true);
        expect(await store.getRun(kept.run_id)).toBeNull();
        expect(await store.listRunEvents(kept.run_id)).toEqual([]);
        expect(await store.deleteTask('task-1', { deleteRuns: true })).toBe(false);
      });
    });

    describe('due schedules and dispatch', () => {
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

    describe('claims and leases', () => {
      it('claims the oldest claimable run under a new lease, ignoring runs queued for later', async () => {
        const later = await admit({ queued_at: at(30) });
        const older = await admit({ queued_at: at(-5) });
        await admit({ queued_at: at(0) });
        const claimed = await store.claimNextRun(claimAt(1));
        expect(claimed?.run).toMatchObject({
          run_id: older.run_id, status: 'claimed', lease_owner: 'worker-a', lease_token: 'lease-worker-a-1',
          lease_generation: 1, lease_expires_at: at(31), claimed_at: at(1), heartbeat_at: at(1),
        });
        expect(claimed?.events.map((e) => [e.event, e.sequence])).toEqual([[RUN_EVENTS.claimed, 2]]);
        expect((await store.claimNextRun(claimAt(2)))?.run.run_id).not.toBe(later.run_id);
        expect(await store.claimNextRun(claimAt(3))).toBeNull();
        expect((await store.claimNextRun(claimAt(30)))?.run.run_id).toBe(later.run_id);
      });

      it('claims a named run only while it is claimable', async () => {
        const run = await admit();
        expect(await store.claimNextRun(claimAt(1), { runId: 'run_missing' })).toBeNull();
        expect((await store.claimNextRun(claimAt(1), { runId: run.run_id }))?.run.status).toBe('claimed');
        expect(await store.claimNextRun(claimAt(2), { runId: run.run_id })).toBeNull();
      });

      it(`never gives one run to two of ${parallel} parallel claimers`, async () => {
        const runs = await Promise.all(Array.from({ length: parallel * 2 }, () => admit()));
        const peers = await Promise.all(Array.from({ length: parallel }, () => harness.peer()));
        const claims = await Promise.all(
          peers.map(async (peer, index) => {
            const mine: string[] = [];
            for (let round = 0; round < runs.length; round += 1) {
              const claimed = await peer.claimNextRun(claimAt(1, `worker-${index}`, `lease-${index}-${round}`));
              if (claimed === null) break;
              mine.push(claimed.run.run_id);
            }
            return mine;
          }),
        );
        const all = claims.flat();
        expect(all).toHaveLength(runs.length);
        expect(new Set(all).size).toBe(runs.length);
      });

      it('lets a task without parallel runs hold one run claimed or running at a time', async () => {
        const first = await admit({ overlap_policy: 'queue_next', queued_at: at(0) });
        const second = await admit({ overlap_policy: 'queue_next', queued_at: at(1) });
        const other = sampleTask({ task_id: 'task-2' });
        await store.saveTask(other, sampleState({ task_id: 'task-2' }), { replace: false });
        const parallelRun = await admit({ queued_at: at(2) }, other);
        expect((await store.claimNextRun(claimAt(5)))?.run.run_id).toBe(first.run_id);
        expect((await store.claimNextRun(claimAt(5)))?.run.run_id).toBe(parallelRun.run_id);
        expect(await store.claimNextRun(claimAt(5))).toBeNull();
        await store.requestCancel(first.run_id, at(6), 'worker-a');
        expect((await store.claimNextRun(claimAt(7)))?.run.run_id).toBe(second.run_id);
      });

      it(`keeps that rule when ${parallel} claimers race for one task's queued runs`, async () => {
        await Promise.all(Array.from({ length: parallel }, () => admit({ overlap_policy: 'queue_next' })));
        const peers = await Promise.all(Array.from({ length: parallel }, () => harness.peer()));
        const claims = await Promise.all(peers.map((peer, index) => peer.claimNextRun(claimAt(1, `w-${index}`))));
        expect(claims.filter((claim) => claim !== null)).toHaveLength(1);
      });

      it('extends a lease only for its holder, recording a heartbeat', async () => {
        const run = await start(await admit());
        const token = run.lease_token as string;
        const beat = await store.extendLease(run.run_id, token, at(10), LEASE_MS);
        expect(beat?.run).toMatchObject({ heartbeat_at: at(10), lease_expires_at: at(40) });
        expect(beat?.events.map((e) => e.event)).toEqual([RUN_EVENTS.heartbeat]);
        expect(await store.extendLease(run.run_id, 'someone-else', at(11), LEASE_MS)).toBeNull();
        expect(await store.extendLease('run_missing', token, at(11), LEASE_MS)).toBeNull();
      });

      it('lists expired leases and recovers each once, however many recoverers race', async () => {
        const claimedRun = (await store.claimNextRun(claimAt(0), { runId: (await admit()).run_id }))?.run as BackgroundRun;
        const running = await start(await admit({ max_attempts: 2 }), 0);
        const exhausted = await start(await admit(), 0);
        const fresh = await start(await admit(), 20);
        const expired = await store.listExpiredLeases(at(31), 25);
        expect(expired.map((r) => r.run_id).sort()).toEqual([claimedRun.run_id, running.run_id, exhausted.run_id].sort());
        expect(expired.map((r) => r.run_id)).not.toContain(fresh.run_id);
        const peers = await Promise.all(Array.from({ length: parallel }, () => harness.peer()));
        for (const run of expired) {
          const outcomes = await Promise.allSettled(peers.map((peer) => peer.updateRun(run.run_id, planRecovery(run, at(31)))));
          expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        }
        expect(await store.getRun(claimedRun.run_id)).toMatchObject({ status: 'queued', lease_token: null, next_attempt_reason: 'recovery' });
        expect(await store.getRun(running.run_id)).toMatchObject({ status: 'queued', next_attempt_reason: 'lease_expired', error: 'lease expired' });
        expect((await store.listAttempts(running.run_id))[0]).toMatchObject({ status: 'failed', error: 'lease expired' });
        expect(await store.getRun(exhausted.run_id)).toMatchObject({ status: 'failed', error: 'lease expired' });
        expect((await store.listRunEvents(running.run_id)).map((e) => e.event).slice(-2)).toEqual([RUN_EVENTS.retrying, RUN_EVENTS.recovered]);
        expect(await store.listExpiredLeases(at(31), 25)).toEqual([]);
      });

      it('refuses a recovery once the holder has renewed the lease', async () => {
        const run = await start(await admit(), 0);
        const [expired] = await store.listExpiredLeases(at(31), 25);
        await store.extendLease(run.run_id, run.lease_token as string, at(31), LEASE_MS);
        await expect(store.updateRun(run.run_id, planRecovery(expired as BackgroundRun, at(31)))).rejects.toBeInstanceOf(LeaseLostError);
        expect((await store.getRun(run.run_id))?.status).toBe('running');
      });
    });

    describe('run transitions', () => {
      it('refuses transitions the state machine does not allow, writing nothing', async () => {
        const run = await admit();
        const illegal: RunChange = { now: at(1), steps: [{ status: 'running', event: RUN_EVENTS.started }] };
        await expect(store.updateRun(run.run_id, illegal)).rejects.toBeInstanceOf(TransitionRefusedError);
        await store.requestCancel(run.run_id, at(2), null);
        await expect(store.updateRun(run.run_id, { now: at(3), steps: [{ status: 'queued', event: RUN_EVENTS.queued }] })).rejects.toBeInstanceOf(TransitionRefusedError);
        expect((await store.listRunEvents(run.run_id)).map((e) => e.event)).toEqual([RUN_EVENTS.queued, RUN_EVENTS.cancelled]);
        await expect(store.updateRun('run_missing', illegal)).rejects.toBeInstanceOf(RecordNotFoundError);
      });

      it('refuses a change carrying another lease token', async () => {
        const run = await start(await admit());
        const change: RunChange = { now: at(2), expect: { leaseToken: 'stale' }, steps: [{ status: 'completed', event: RUN_EVENTS.completed }] };
        await expect(store.updateRun(run.run_id, change)).rejects.toBeInstanceOf(LeaseLostError);
        expect((await store.getRun(run.run_id))?.status).toBe('running');
      });

      it('applies several steps at once and numbers a whole life 1..n without gaps', async () => {
        const run = await start(await admit({ max_attempts: 2 }));
        await store.extendLease(run.run_id, run.lease_token as string, at(5), LEASE_MS);
        const retried = await store.updateRun(run.run_id, {
          now: at(6),
          expect: { leaseToken: run.lease_token as string },
          steps: [
            { status: 'retrying', event: RUN_EVENTS.retrying, patch: { error: 'boom' } },
            { status: 'queued', event: RUN_EVENTS.queued, patch: { queued_at: at(6), lease_token: null, next_attempt_reason: 'retry' } },
          ],
          attempts: [{ kind: 'update', attempt_number: 1, patch: { status: 'failed', error: 'boom', finished_at: at(6) } }],
        });
        expect(retried.events.map((e) => [e.event, e.status])).toEqual([[RUN_EVENTS.retrying, 'retrying'], [RUN_EVENTS.queued, 'queued']]);
        const claimed = await store.claimNextRun(claimAt(7), { runId: run.run_id });
        const done = await store.updateRun(run.run_id, {
          now: at(8),
          expect: { leaseToken: claimed?.run.lease_token as string },
          steps: [
            { status: 'running', event: RUN_EVENTS.started, patch: { attempt: 2 } },
            { status: 'completed', event: RUN_EVENTS.completed, patch: { error: null, result_preview: 'ok' } },
          ],
        });
        expect(done.run).toMatchObject({ status: 'completed', finished_at: at(8), lease_token: null, lease_expires_at: null, error: null, lease_generation: 2 });
        const events = await store.listRunEvents(run.run_id);
        expect(isContiguous(events)).toBe(true);
        expect(events.map((e) => e.event)).toEqual([
          RUN_EVENTS.queued, RUN_EVENTS.claimed, RUN_EVENTS.started, RUN_EVENTS.heartbeat, RUN_EVENTS.retrying, RUN_EVENTS.queued,
          RUN_EVENTS.claimed, RUN_EVENTS.started, RUN_EVENTS.completed,
        ]);
        expect(await store.listAttempts(run.run_id)).toMatchObject([{ attempt_number: 1, status: 'failed', error: 'boom' }]);
      });

      it('cancels what is not executing at once, and only asks what is', async () => {
        const queued = await admit();
        expect(await store.requestCancel(queued.run_id, at(1), null)).toMatchObject({ cancelledNow: true, run: { status: 'cancelled', cancel_requested_at: at(1), finished_at: at(1) } });
        const running = await start(await admit());
        const asked = await store.requestCancel(running.run_id, at(2), 'worker-a');
        expect(asked).toMatchObject({ cancelledNow: false, events: [], run: { status: 'running', cancel_requested_at: at(2) } });
        const mine = (await store.claimNextRun(claimAt(3, 'worker-a'), { runId: (await admit()).run_id }))?.run as BackgroundRun;
        expect((await store.requestCancel(mine.run_id, at(4), 'worker-b'))?.run.status).toBe('claimed');
        expect((await store.requestCancel(mine.run_id, at(4), 'worker-a'))?.run.status).toBe('cancelled');
        expect(await store.requestCancel(queued.run_id, at(5), null)).toMatchObject({ cancelledNow: false, events: [], run: { cancel_requested_at: at(1) } });
        expect(await store.requestCancel('run_missing', at(5), null)).toBeNull();
      });
    });

    describe('queries', () => {
      it('lists runs newest first with filters and a limit, and counts them by status', async () => {
        const other = sampleTask({ task_id: 'task-2' });
        await store.saveTask(other, sampleState({ task_id: 'task-2' }), { replace: false });
        const a = await admit({ queued_at: at(1) });
        const b = await admit({ queued_at: at(2) });
        const c = await admit({ queued_at: at(3) }, other);
        await store.requestCancel(b.run_id, at(4), null);
        expect((await store.listRuns()).map((r) => r.run_id)).toEqual([c.run_id, b.run_id, a.run_id]);
        expect((await store.listRuns({ taskId: 'task-1' })).map((r) => r.run_id)).toEqual([b.run_id, a.run_id]);
        expect((await store.listRuns({ statuses: ['queued'] })).map((r) => r.run_id)).toEqual([c.run_id, a.run_id]);
        expect((await store.listRuns({ limit: 1 })).map((r) => r.run_id)).toEqual([c.run_id]);
        expect(await store.countRuns()).toEqual({ total: 3, byStatus: { queued: 2, cancelled: 1 } });
        expect(await store.countRuns({ taskId: 'task-2' })).toEqual({ total: 1, byStatus: { queued: 1 } });
      });
    });

    describe('durability', () => {
      const reason = options.skip?.durability;
      it.skipIf(reason !== undefined)(`keeps queued runs across a restart${reason === undefined ? '' : ` (skipped: ${reason})`}`, async () => {
        const run = await admit();
        const reopened = await (harness.reopen as () => Promise<TaskStore>)();
        expect((await reopened.getRun(run.run_id))?.status).toBe('queued');
        expect((await reopened.claimNextRun(claimAt(1)))?.run.run_id).toBe(run.run_id);
      });
    });
  });
}
