import { beforeEach, describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../background/background-errors.ts';
import { planRecovery } from '../../background/lease-recovery.ts';
import { RUN_EVENTS } from '../../background/lifecycle-events.ts';
import type { BackgroundRun } from '../../background/run-record.ts';
import type { TaskStore } from '../../background/task-store.ts';
import { sampleState, sampleTask } from '../../background/testing/sample-records.ts';
import { at, claimAt, LEASE_MS, type TaskStoreHarness, type TaskStoreSuite } from './task-store-suite.ts';

/** Claims under a lease, races between claimers, heartbeats, and recovery of expired leases. */
export function describeClaimConformance(suite: TaskStoreSuite): void {
  const { parallel, admit, start } = suite;

  describe('claims and leases', () => {
    let harness: TaskStoreHarness;
    let store: TaskStore;
    beforeEach(() => void ({ harness, store } = suite));

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

    it('claims and starts in one write when asked: running, its attempt created, both events recorded', async () => {
      const run = await admit({ queued_at: at(0) });
      const claimed = await store.claimNextRun({ ...claimAt(1), startAttemptId: 'attempt_one' });
      expect(claimed?.run).toMatchObject({ run_id: run.run_id, status: 'running', attempt: 1, started_at: at(1), claimed_at: at(1), lease_token: 'lease-worker-a-1' });
      expect(claimed?.events.map((e) => [e.event, e.sequence, e.status])).toEqual([
        [RUN_EVENTS.claimed, 2, 'claimed'],
        [RUN_EVENTS.started, 3, 'running'],
      ]);
      expect(await store.getRun(run.run_id)).toEqual(claimed?.run);
      expect((await store.listRunEvents(run.run_id)).map((e) => e.event)).toEqual([RUN_EVENTS.queued, RUN_EVENTS.claimed, RUN_EVENTS.started]);
      expect(await store.listAttempts(run.run_id)).toEqual([
        expect.objectContaining({ attempt_id: 'attempt_one', attempt_number: 1, status: 'running', worker_id: 'worker-a', lease_token: 'lease-worker-a-1', started_at: at(1) }),
      ]);
      // A named claim starts the same way.
      const named = await admit({ queued_at: at(0) });
      const second = await store.claimNextRun({ ...claimAt(2), startAttemptId: 'attempt_two' }, { runId: named.run_id });
      expect(second?.run.status).toBe('running');
      expect((await store.listAttempts(named.run_id)).map((a) => a.attempt_id)).toEqual(['attempt_two']);
    });

    it('claims a named run only while it is claimable', async () => {
      const run = await admit();
      expect(await store.claimNextRun(claimAt(1), { runId: 'run_missing' })).toBeNull();
      expect((await store.claimNextRun(claimAt(1), { runId: run.run_id }))?.run.status).toBe('claimed');
      expect(await store.claimNextRun(claimAt(2), { runId: run.run_id })).toBeNull();
    });

    it('claims the same with likelyClaimable, and still answers null when nothing is claimable', async () => {
      expect(await store.claimNextRun(claimAt(1), { likelyClaimable: true })).toBeNull();
      const later = await admit({ queued_at: at(30) });
      expect(await store.claimNextRun(claimAt(1), { likelyClaimable: true })).toBeNull();
      const first = await admit({ overlap_policy: 'queue_next', queued_at: at(0) });
      const second = await admit({ overlap_policy: 'queue_next', queued_at: at(1) });
      const claimed = await store.claimNextRun(claimAt(2), { likelyClaimable: true });
      expect(claimed?.run).toMatchObject({
        run_id: first.run_id, status: 'claimed', lease_owner: 'worker-a', lease_token: 'lease-worker-a-2',
        lease_generation: 1, lease_expires_at: at(32), claimed_at: at(2),
      });
      expect(claimed?.events.map((e) => [e.event, e.sequence])).toEqual([[RUN_EVENTS.claimed, 2]]);
      // `second` waits while `first` holds the task, and `later` is not due yet.
      expect(await store.claimNextRun(claimAt(3), { likelyClaimable: true })).toBeNull();
      expect((await store.getRun(second.run_id))?.status).toBe('queued');
      expect((await store.claimNextRun(claimAt(30), { likelyClaimable: true }))?.run.run_id).toBe(later.run_id);
    });

    it('counts the queued runs claimable now, up to the limit, and none once they are claimed', async () => {
      expect(await store.countClaimable(at(1), 10)).toBe(0);
      await admit({ queued_at: at(30) });
      await Promise.all([admit({ queued_at: at(-5) }), admit({ queued_at: at(0) }), admit({ queued_at: at(1) })]);
      expect(await store.countClaimable(at(1), 10)).toBe(3);
      expect(await store.countClaimable(at(1), 2)).toBe(2);
      expect(await store.countClaimable(at(0), 10)).toBe(2);
      expect(await store.countClaimable(at(1), 0)).toBe(0);
      for (let i = 0; i < 3; i += 1) expect(await store.claimNextRun(claimAt(1), { likelyClaimable: true })).not.toBeNull();
      expect(await store.countClaimable(at(1), 10)).toBe(0);
      expect(await store.countClaimable(at(30), 10)).toBe(1);
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
}
