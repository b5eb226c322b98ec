import type { BackgroundRun, LifecycleEvent } from './run-record.ts';

/** Spec 6.4 run event names; the terminal ones end a run. */
export const RUN_EVENTS = {
  queued: 'background_run_queued',
  claimed: 'background_run_claimed',
  started: 'background_run_started',
  heartbeat: 'background_run_heartbeat',
  retrying: 'background_run_retrying',
  recovered: 'background_run_recovered',
  completed: 'background_run_completed',
  failed: 'background_run_failed',
  timeout: 'background_run_timeout',
  cancelled: 'background_run_cancelled',
  skipped: 'background_run_skipped',
} as const;
export type RunEventName = (typeof RUN_EVENTS)[keyof typeof RUN_EVENTS];

/** Task-level events (spec 6.4), reported to the event log only: they belong to no run. */
export const TASK_EVENTS = {
  agentRegistered: 'background_agent_registered',
  taskRegistered: 'background_task_registered',
  taskDeleted: 'background_task_deleted',
  taskPaused: 'background_task_paused',
  taskResumed: 'background_task_resumed',
  taskScheduled: 'background_task_scheduled',
} as const;

const TERMINAL_EVENTS: ReadonlySet<string> = new Set([
  RUN_EVENTS.completed, RUN_EVENTS.failed, RUN_EVENTS.timeout, RUN_EVENTS.cancelled, RUN_EVENTS.skipped,
]);

export function isTerminalEvent(name: string): boolean {
  return TERMINAL_EVENTS.has(name);
}

/** The lifecycle record of `run` (as it is after the change) for event `name`. */
export function lifecycleEvent(
  run: BackgroundRun,
  name: string,
  sequence: number,
  timestamp: string,
  extra: Readonly<Record<string, unknown>> = {},
): LifecycleEvent {
  return {
    ...extra,
    event: name,
    timestamp,
    sequence,
    agent_id: run.agent_id,
    task_id: run.task_id,
    run_id: run.run_id,
    session_id: run.session_id,
    status: run.status,
    attempt: run.attempt,
    workspace_path: run.workspace_path,
    worker_id: run.lease_owner,
    lease_generation: run.lease_generation,
    heartbeat_at: run.heartbeat_at,
    lease_expires_at: run.lease_expires_at,
    occurrence_id: run.occurrence_id,
    due_at: run.due_at,
  };
}

/**
 * Checks that events are numbered 1..n without gaps or repeats (spec 6.4), the rule every source of a run's events
 * must meet before it is believed.
 */
export function isContiguous(events: readonly Pick<LifecycleEvent, 'sequence'>[]): boolean {
  return events.every((event, index) => event.sequence === index + 1);
}
