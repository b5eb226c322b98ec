import type { BackgroundTask } from './background-records.ts';
import { runSessionId, runWorkspacePath } from './policies.ts';
import type { BackgroundRun, TriggerType } from './run-record.ts';

export interface RunTrigger {
  readonly type: TriggerType;
  readonly runId: string;
  /** When the trigger fired (dispatch or request time). */
  readonly triggeredAt: string;
  /** The schedule occurrence it stands for; null for manual runs. */
  readonly dueAt: string | null;
  /** When the run may start (later than `triggeredAt` with jitter). */
  readonly queuedAt: string;
  readonly revision: number;
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** A one-off query instead of the task's (manual runs). */
  readonly query?: string | null;
}

/**
 * `<type>:<revision>:<due ISO>` for scheduled runs (spec 6.1). Manual runs have no due time, so theirs ends in
 * the run id instead, which keeps two manual runs in the same millisecond apart.
 */
export function occurrenceId(trigger: Pick<RunTrigger, 'type' | 'revision' | 'dueAt' | 'runId'>): string {
  return `${trigger.type}:${trigger.revision}:${trigger.dueAt ?? trigger.runId}`;
}

/** A new run of the task (status `queued`; the store's admission may record it `skipped`). */
export function newRun(task: BackgroundTask, trigger: RunTrigger): BackgroundRun {
  const ids = { agent_id: task.agent_id, task_id: task.task_id, run_id: trigger.runId };
  return {
    run_id: trigger.runId,
    task_id: task.task_id,
    agent_id: task.agent_id,
    status: 'queued',
    attempt: 0,
    max_attempts: task.retry_policy.max_retries + 1,
    query_snapshot: trigger.query ?? task.query,
    trigger_type: trigger.type,
    triggered_at: trigger.triggeredAt,
    due_at: trigger.dueAt,
    occurrence_id: occurrenceId(trigger),
    trigger_metadata: { ...trigger.metadata },
    session_id: runSessionId(task.session_policy, ids),
    workspace_path: runWorkspacePath(task.workspace_policy, ids),
    lease_owner: null,
    lease_token: null,
    lease_generation: 0,
    lease_expires_at: null,
    heartbeat_at: null,
    queued_at: trigger.queuedAt,
    claimed_at: null,
    started_at: null,
    finished_at: null,
    cancel_requested_at: null,
    error: null,
    result_preview: null,
    metadata: structuredClone(task.metadata),
    overlap_policy: task.overlap_policy,
    workspace_policy: { ...task.workspace_policy },
    next_attempt_reason: 'initial',
  };
}
