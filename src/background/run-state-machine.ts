import type { RunStatus } from './run-record.ts';

/**
 * Spec 6.2, the only place run transitions are defined. Every store adapter changes a run's status through
 * `applyRunChange`, which asks `canTransition`; a native adapter (a Lua script, a SQL `WHERE status IN`) takes its
 * allowed set from `predecessorsOf`.
 */
const TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ['claimed', 'cancelled', 'skipped'],
  claimed: ['queued', 'running', 'cancelled', 'failed'],
  running: ['retrying', 'awaiting_approval', 'awaiting_budget', 'completed', 'failed', 'timeout', 'cancelled'],
  retrying: ['queued', 'cancelled'],
  awaiting_approval: ['queued', 'cancelled'],
  awaiting_budget: ['queued', 'cancelled'],
  completed: [],
  failed: [],
  cancelled: [],
  timeout: [],
  skipped: [],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses a run may be in to move to `to`. */
export function predecessorsOf(to: RunStatus): RunStatus[] {
  return (Object.keys(TRANSITIONS) as RunStatus[]).filter((from) => TRANSITIONS[from].includes(to));
}

/** The statuses a run may move to from `from` (empty for terminal ones). */
export function successorsOf(from: RunStatus): readonly RunStatus[] {
  return TRANSITIONS[from];
}
