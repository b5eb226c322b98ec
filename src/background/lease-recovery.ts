import { RUN_EVENTS } from './lifecycle-events.ts';
import type { RunChange, RunStep } from './run-changes.ts';
import type { BackgroundRun } from './run-record.ts';

export const LEASE_EXPIRED = 'lease expired';

/**
 * What becomes of a run whose lease expired (spec 6.3): a claimed run goes back to the queue
 * (`background_run_recovered`; its first attempt will say `recovery`); a running one has its attempt failed and is
 * retried if attempts remain (the next attempt says `lease_expired`), else fails with "lease expired". A run that
 * was asked to cancel is cancelled instead. The change only applies if the lease is still the expired one.
 */
export function planRecovery(run: BackgroundRun, now: string): RunChange {
  const expect = { leaseToken: run.lease_token ?? '', leaseExpiredBy: now };
  const requeue = (reason: 'recovery' | 'lease_expired', error: string | null): RunStep => ({
    status: 'queued',
    event: RUN_EVENTS.recovered,
    extra: { reason },
    patch: { queued_at: now, lease_token: null, lease_expires_at: null, next_attempt_reason: reason, error },
  });
  const cancel: RunStep = { status: 'cancelled', event: RUN_EVENTS.cancelled };
  if (run.status === 'claimed') {
    return { now, expect, steps: [run.cancel_requested_at !== null ? cancel : requeue('recovery', run.error)] };
  }
  if (run.status === 'retrying') return { now, expect, steps: [requeue('recovery', run.error)] };
  const attempts = [
    { kind: 'update', attempt_number: run.attempt, patch: { status: 'failed', finished_at: now, error: LEASE_EXPIRED } },
  ] as const;
  if (run.cancel_requested_at !== null) return { now, expect, attempts, steps: [cancel] };
  if (run.attempt < run.max_attempts) {
    return {
      now,
      expect,
      attempts,
      steps: [{ status: 'retrying', event: RUN_EVENTS.retrying, extra: { reason: 'lease_expired' } }, requeue('lease_expired', LEASE_EXPIRED)],
    };
  }
  return { now, expect, attempts, steps: [{ status: 'failed', event: RUN_EVENTS.failed, patch: { error: LEASE_EXPIRED } }] };
}
