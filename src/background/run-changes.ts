import { CancelRequestedError, LeaseLostError, TransitionRefusedError } from './background-errors.ts';
import { lifecycleEvent, RUN_EVENTS } from './lifecycle-events.ts';
import type { OverlapPolicy } from './policies.ts';
import { isTerminal, type BackgroundAttempt, type BackgroundRun, type LifecycleEvent, type RunStatus } from './run-record.ts';
import { canTransition } from './run-state-machine.ts';

/**
 * The pure planning functions behind every store write that touches a run. An adapter reads the run (locked, or
 * with its version), calls one of these, and writes the result back atomically (or fails the compare-and-set and
 * retries); so the rules live here once, and adapters only supply atomicity.
 */

type Fixed = 'run_id' | 'task_id' | 'agent_id' | 'status';
export type RunPatch = { -readonly [K in Exclude<keyof BackgroundRun, Fixed>]?: BackgroundRun[K] };

/** One status change with the fields that change with it, and the lifecycle event it records. */
export interface RunStep {
  readonly status: RunStatus;
  readonly patch?: RunPatch;
  readonly event: string;
  /** Extra keys of the lifecycle record. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export type AttemptWrite =
  | { readonly kind: 'create'; readonly attempt: BackgroundAttempt }
  | {
      readonly kind: 'update';
      readonly attempt_number: number;
      readonly patch: Partial<Pick<BackgroundAttempt, 'status' | 'finished_at' | 'error' | 'retry_delay_seconds'>>;
    };

/** Conditions the stored run must meet for the change to apply. */
export interface RunExpectation {
  /** The caller's lease: the change applies only while the run still carries this token. */
  readonly leaseToken?: string;
  /** Recovery: the run's lease must have expired at or before this time. */
  readonly leaseExpiredBy?: string;
  /** The change applies only if no cancel was requested (`CancelRequestedError` otherwise). */
  readonly noCancelRequested?: boolean;
}

export interface RunChange {
  readonly now: string;
  readonly expect?: RunExpectation;
  /** Applied in order, each checked against the state machine: `running -> retrying -> queued` is one change. */
  readonly steps: readonly RunStep[];
  readonly attempts?: readonly AttemptWrite[];
}

export interface PlannedRunWrite {
  readonly run: BackgroundRun;
  /** New lifecycle events, numbered on from the run's last sequence. */
  readonly events: readonly LifecycleEvent[];
}

/** Applies a change to the stored run; throws `LeaseLostError` or `TransitionRefusedError` when it may not. */
export function applyRunChange(stored: BackgroundRun, lastSequence: number, change: RunChange): PlannedRunWrite {
  checkExpectation(stored, change.expect);
  let run = stored;
  const events: LifecycleEvent[] = [];
  for (const step of change.steps) {
    if (!canTransition(run.status, step.status)) throw new TransitionRefusedError(run.run_id, run.status, step.status);
    run = { ...run, ...step.patch, status: step.status };
    if (isTerminal(run.status)) run = { ...run, lease_token: null, lease_expires_at: null, finished_at: run.finished_at ?? change.now };
    events.push(lifecycleEvent(run, step.event, lastSequence + events.length + 1, change.now, step.extra));
  }
  return { run, events };
}

function checkExpectation(run: BackgroundRun, expect: RunExpectation | undefined): void {
  if (expect === undefined) return;
  if (expect.leaseToken !== undefined && run.lease_token !== expect.leaseToken) throw new LeaseLostError(run.run_id);
  if (expect.leaseExpiredBy !== undefined && (run.lease_expires_at === null || run.lease_expires_at > expect.leaseExpiredBy)) {
    throw new LeaseLostError(run.run_id);
  }
  if (expect.noCancelRequested === true && run.cancel_requested_at !== null) throw new CancelRequestedError(run.run_id);
}

/** Applies attempt writes to a run's attempts (ordered by number); adapters store the result. */
export function applyAttemptWrites(attempts: readonly BackgroundAttempt[], writes: readonly AttemptWrite[] = []): BackgroundAttempt[] {
  let out = [...attempts];
  for (const write of writes) {
    if (write.kind === 'create') out = [...out.filter((a) => a.attempt_number !== write.attempt.attempt_number), write.attempt];
    else out = out.map((a) => (a.attempt_number === write.attempt_number ? { ...a, ...write.patch } : a));
  }
  return out.sort((a, b) => a.attempt_number - b.attempt_number);
}

export interface ClaimRequest {
  readonly workerId: string;
  readonly leaseToken: string;
  readonly now: string;
  readonly leaseMs: number;
  /**
   * Start the run in the same write (`claimed -> running`, a new attempt with this id), unless a cancel was
   * requested: the worker then saves a transaction per run, and a run is never seen claimed but not started.
   */
  readonly startAttemptId?: string;
}

/** A claim's write: the run and its events, and the attempt it starts (none when it only claims). */
export interface PlannedClaim extends PlannedRunWrite {
  readonly attempts: readonly AttemptWrite[];
}

/** `queued -> claimed` under a new lease, then `-> running` when the request asks to start it. */
export function planClaim(run: BackgroundRun, lastSequence: number, claim: ClaimRequest): PlannedClaim {
  const claimed = applyRunChange(run, lastSequence, {
    now: claim.now,
    steps: [
      {
        status: 'claimed',
        event: RUN_EVENTS.claimed,
        patch: {
          lease_owner: claim.workerId,
          lease_token: claim.leaseToken,
          lease_generation: run.lease_generation + 1,
          lease_expires_at: addMs(claim.now, claim.leaseMs),
          heartbeat_at: claim.now,
          claimed_at: claim.now,
        },
      },
    ],
  });
  if (claim.startAttemptId === undefined || claimed.run.cancel_requested_at !== null) return { ...claimed, attempts: [] };
  const start = startChange(claimed.run, claim.now, claim.workerId, claim.startAttemptId);
  const started = applyRunChange(claimed.run, lastSequence + claimed.events.length, start);
  return { run: started.run, events: [...claimed.events, ...started.events], attempts: start.attempts ?? [] };
}

/** `claimed -> running` as attempt `attempt + 1` of the lease holder. */
export function startChange(run: BackgroundRun, now: string, workerId: string, attemptId: string): RunChange {
  const number = run.attempt + 1;
  return {
    now,
    steps: [{ status: 'running', event: RUN_EVENTS.started, patch: { attempt: number, started_at: now } }],
    attempts: [
      {
        kind: 'create',
        attempt: {
          attempt_id: attemptId,
          run_id: run.run_id,
          attempt_number: number,
          reason: run.next_attempt_reason,
          status: 'running',
          worker_id: workerId,
          lease_token: run.lease_token as string,
          started_at: now,
          finished_at: null,
          error: null,
          retry_delay_seconds: null,
        },
      },
    ],
  };
}

/** A heartbeat: the lease runs `leaseMs` from now. Only the lease holder may, while the run is claimed or running. */
export function planHeartbeat(run: BackgroundRun, lastSequence: number, leaseToken: string, now: string, leaseMs: number): PlannedRunWrite {
  if (run.lease_token !== leaseToken || (run.status !== 'claimed' && run.status !== 'running')) throw new LeaseLostError(run.run_id);
  const next: BackgroundRun = { ...run, heartbeat_at: now, lease_expires_at: addMs(now, leaseMs) };
  return { run: next, events: [lifecycleEvent(next, RUN_EVENTS.heartbeat, lastSequence + 1, now)] };
}

export interface PlannedCancel extends PlannedRunWrite {
  /** True when the run ended now; false when it was asked to stop (running elsewhere) or had already ended. */
  readonly cancelledNow: boolean;
}

/**
 * A cancel request (spec 6.4): a run that is not executing (queued, retrying, awaiting, or claimed by `workerId`
 * itself) is cancelled at once; a running one (or one claimed by another worker) gets `cancel_requested_at` and
 * stops at its next checkpoint. Finished runs are left alone.
 */
export function planCancel(run: BackgroundRun, lastSequence: number, now: string, workerId: string | null): PlannedCancel {
  if (isTerminal(run.status)) return { run, events: [], cancelledNow: false };
  const requested = run.cancel_requested_at ?? now;
  const executing = run.status === 'running' || (run.status === 'claimed' && run.lease_owner !== workerId);
  if (executing) return { run: { ...run, cancel_requested_at: requested }, events: [], cancelledNow: false };
  const planned = applyRunChange(run, lastSequence, {
    now,
    steps: [{ status: 'cancelled', event: RUN_EVENTS.cancelled, patch: { cancel_requested_at: requested } }],
  });
  return { ...planned, cancelledNow: true };
}

export interface PlannedAdmission {
  readonly run: BackgroundRun;
  readonly events: readonly LifecycleEvent[];
  /** Runs of the same task `cancel_previous` cancels (or asks to stop), planned with `planCancel`. */
  readonly cancel: readonly string[];
}

/**
 * Admits a new run next to the task's unfinished runs (spec 6.3 overlap guard): with `skip_if_running` and
 * another run unfinished, it is recorded `skipped`; with `cancel_previous` the others are cancelled; otherwise it
 * is queued.
 */
export function planAdmission(run: BackgroundRun, unfinished: readonly BackgroundRun[], now: string): PlannedAdmission {
  const others = unfinished.filter((other) => other.run_id !== run.run_id);
  const policy: OverlapPolicy = run.overlap_policy;
  if (policy === 'skip_if_running' && others.length > 0) {
    const skipped: BackgroundRun = { ...run, status: 'skipped', finished_at: now, lease_token: null, lease_expires_at: null };
    const reason = { reason: 'overlap', blocking_run_ids: others.map((other) => other.run_id) };
    return { run: skipped, events: [lifecycleEvent(skipped, RUN_EVENTS.skipped, 1, now, reason)], cancel: [] };
  }
  const queued: BackgroundRun = { ...run, status: 'queued' };
  return {
    run: queued,
    events: [lifecycleEvent(queued, RUN_EVENTS.queued, 1, now)],
    cancel: policy === 'cancel_previous' ? others.map((other) => other.run_id) : [],
  };
}

/**
 * Whether a queued run may be claimed now. Runs of tasks that do not allow parallel runs wait while another run
 * of the same task holds it (claimed, running or awaiting a decision).
 */
export function isClaimable(run: BackgroundRun, now: string, taskOccupied: boolean): boolean {
  return run.status === 'queued' && run.queued_at <= now && (run.overlap_policy === 'allow_parallel' || !taskOccupied);
}

export function addMs(iso: string, ms: number): string {
  return new Date(Date.parse(iso) + ms).toISOString();
}
