import type { RunStatus } from './run-record.ts';

/** Base of the errors a task store throws; each adapter throws exactly these, so callers can tell them apart. */
export class TaskStoreError extends Error {
  override name = 'TaskStoreError';
}

export type RecordKind = 'agent' | 'task' | 'run';

/** Creating a record whose id is taken (without `replace`). */
export class RecordExistsError extends TaskStoreError {
  override name = 'RecordExistsError';
  constructor(
    readonly kind: RecordKind,
    readonly id: string,
  ) {
    super(`${kind} already exists: ${id}`);
  }
}

/** Changing a record that does not exist (or no longer does). */
export class RecordNotFoundError extends TaskStoreError {
  override name = 'RecordNotFoundError';
  constructor(
    readonly kind: RecordKind,
    readonly id: string,
  ) {
    super(`${kind} not found: ${id}`);
  }
}

/** A run status change the state machine (spec 6.2) does not allow from the run's current status. */
export class TransitionRefusedError extends TaskStoreError {
  override name = 'TransitionRefusedError';
  constructor(
    readonly runId: string,
    readonly from: RunStatus,
    readonly to: RunStatus,
  ) {
    super(`run ${runId} cannot go from ${from} to ${to}`);
  }
}

/** The caller's lease on a run is gone (expired and recovered, or taken over): it must stop working on it. */
export class LeaseLostError extends TaskStoreError {
  override name = 'LeaseLostError';
  constructor(readonly runId: string) {
    super(`lease on run ${runId} was lost`);
  }
}

/** A change that must not apply once a cancel was requested (a run's result arriving after a cancel request). */
export class CancelRequestedError extends TaskStoreError {
  override name = 'CancelRequestedError';
  constructor(readonly runId: string) {
    super(`run ${runId} was asked to cancel`);
  }
}

/**
 * Thrown by an agent (or a tool) to fail a background run without the retries its policy would allow: the
 * failure is permanent (bad input, a refused request), and trying again cannot help.
 */
export class NonRetryableError extends Error {
  override name = 'NonRetryableError';
}

/** Why a background execution was stopped from outside: the reason of the AbortSignal the agent receives. */
export class RunAbortedError extends Error {
  override name = 'RunAbortedError';
  constructor(
    readonly reason: 'cancelled' | 'timeout' | 'lease_lost' | 'shutdown',
    message: string,
  ) {
    super(message);
  }
}
