import { beforeEach, describe, expect, it } from 'vitest';
import { CancelRequestedError, LeaseLostError, RecordNotFoundError, TransitionRefusedError } from '../../background/background-errors.ts';
import { isContiguous, RUN_EVENTS } from '../../background/lifecycle-events.ts';
import type { RunChange } from '../../background/run-changes.ts';
import type { BackgroundAttempt, BackgroundRun } from '../../background/run-record.ts';
import type { TaskStore } from '../../background/task-store.ts';
import { at, claimAt, LEASE_MS, type TaskStoreSuite } from './task-store-suite.ts';

/** Run changes: the state machine, the lease and cancel expectations, multi-step changes, and cancel requests. */
export function describeRunChangeConformance(suite: TaskStoreSuite): void {
  const { admit, start } = suite;

  describe('run transitions', () => {
    let store: TaskStore;
    beforeEach(() => void (store = suite.store));

    /** A claimed or running run of its own, and the next change its worker would write (start, or complete). */
    const heldRun = async (status: 'claimed' | 'running'): Promise<{ run: BackgroundRun; change: RunChange }> => {
      if (status === 'running') {
        const run = await start(await admit());
        const change: RunChange = {
          now: at(3),
          expect: { leaseToken: run.lease_token as string, noCancelRequested: true },
          steps: [{ status: 'completed', event: RUN_EVENTS.completed, patch: { result_preview: 'ok', error: null } }],
          attempts: [{ kind: 'update', attempt_number: 1, patch: { status: 'completed', finished_at: at(3) } }],
        };
        return { run, change };
      }
      const run = (await store.claimNextRun(claimAt(1), { runId: (await admit()).run_id }))?.run as BackgroundRun;
      const token = run.lease_token as string;
      const attempt: BackgroundAttempt = {
        attempt_id: `attempt-${run.run_id}-1`, run_id: run.run_id, attempt_number: 1, reason: 'initial', status: 'running',
        worker_id: 'worker-a', lease_token: token, started_at: at(3), finished_at: null, error: null, retry_delay_seconds: null,
      };
      const change: RunChange = {
        now: at(3),
        expect: { leaseToken: token, noCancelRequested: true },
        steps: [{ status: 'running', event: RUN_EVENTS.started, patch: { attempt: 1, started_at: at(3) } }],
        attempts: [{ kind: 'create', attempt }],
      };
      return { run, change };
    };

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

    it.for(['claimed', 'running'] as const)('refuses a %s run a change expecting no cancel request once one was made, writing nothing', async (status) => {
      const { run, change } = await heldRun(status);
      const asked = await store.requestCancel(run.run_id, at(2), null);
      expect(asked).toMatchObject({ cancelledNow: false, run: { status, cancel_requested_at: at(2) } });
      const [storedRun, events, attempts] = await Promise.all([store.getRun(run.run_id), store.listRunEvents(run.run_id), store.listAttempts(run.run_id)]);
      await expect(store.updateRun(run.run_id, change)).rejects.toBeInstanceOf(CancelRequestedError);
      expect(await store.getRun(run.run_id)).toEqual(storedRun);
      expect(storedRun?.status).toBe(status);
      expect(await store.listRunEvents(run.run_id)).toEqual(events);
      expect(await store.listAttempts(run.run_id)).toEqual(attempts);
    });

    it.for(['claimed', 'running'] as const)('applies to a %s run a change expecting no cancel request while none was made', async (status) => {
      const { run, change } = await heldRun(status);
      const next = change.steps[0]?.status;
      const written = await store.updateRun(run.run_id, change);
      expect(written.run).toMatchObject({ status: next, cancel_requested_at: null });
      expect(written.events.map((e) => [e.event, e.status])).toEqual([[change.steps[0]?.event, next]]);
      expect((await store.getRun(run.run_id))?.status).toBe(next);
      expect(await store.listAttempts(run.run_id)).toMatchObject([{ attempt_number: 1, status: status === 'claimed' ? 'running' : 'completed' }]);
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
}
