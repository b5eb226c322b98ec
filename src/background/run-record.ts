import type { OverlapPolicy, WorkspacePolicy } from './policies.ts';
import type { ScheduleType } from './schedule-spec.ts';

export const RUN_STATUSES = [
  'queued', 'claimed', 'running', 'retrying', 'completed', 'failed', 'cancelled', 'timeout', 'skipped',
  'awaiting_approval', 'awaiting_budget',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const TERMINAL_STATUSES = ['completed', 'failed', 'cancelled', 'timeout', 'skipped'] as const satisfies readonly RunStatus[];
export const ACTIVE_STATUSES = ['queued', 'claimed', 'running', 'retrying'] as const satisfies readonly RunStatus[];
/** Statuses in which a run holds its task: an exclusive run of the same task waits while another is in one. */
export const OCCUPYING_STATUSES = ['claimed', 'running', 'awaiting_approval', 'awaiting_budget'] as const satisfies readonly RunStatus[];
/** Statuses with a lease that can expire. */
export const LEASED_STATUSES = ['claimed', 'running', 'retrying'] as const satisfies readonly RunStatus[];

export function isTerminal(status: RunStatus): boolean {
  return (TERMINAL_STATUSES as readonly RunStatus[]).includes(status);
}

/** Not terminal: queued, claimed, running, retrying or awaiting a decision. */
export function isUnfinished(status: RunStatus): boolean {
  return !isTerminal(status);
}

export function isRunStatus(value: string): value is RunStatus {
  return (RUN_STATUSES as readonly string[]).includes(value);
}

export const TRIGGER_TYPES = ['manual', 'interval', 'cron', 'once'] as const satisfies readonly ScheduleType[];
export type TriggerType = ScheduleType;

export const ATTEMPT_REASONS = ['initial', 'retry', 'recovery', 'lease_expired'] as const;
export type AttemptReason = (typeof ATTEMPT_REASONS)[number];

export const ATTEMPT_STATUSES = ['running', 'completed', 'failed', 'timeout', 'cancelled', 'interrupted'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/**
 * Spec 6.1 BackgroundRun. Three fields are ours: `overlap_policy` and `workspace_policy` are the task's policies
 * when the run was created (so stores and writers need not look the task up), and `next_attempt_reason` is the
 * reason the next attempt will record (`initial`, `retry` after a failure, `recovery`/`lease_expired` after a lost
 * lease).
 */
export interface BackgroundRun {
  readonly run_id: string;
  readonly task_id: string;
  readonly agent_id: string;
  readonly status: RunStatus;
  /** Attempts started so far. */
  readonly attempt: number;
  readonly max_attempts: number;
  readonly query_snapshot: string;
  readonly trigger_type: TriggerType;
  readonly triggered_at: string;
  readonly due_at: string | null;
  /** Unique per task: a due time is never dispatched twice. */
  readonly occurrence_id: string;
  readonly trigger_metadata: Readonly<Record<string, unknown>>;
  readonly session_id: string;
  readonly workspace_path: string;
  readonly lease_owner: string | null;
  readonly lease_token: string | null;
  readonly lease_generation: number;
  readonly lease_expires_at: string | null;
  readonly heartbeat_at: string | null;
  /** When the run may be claimed: creation, or a retry's due time. */
  readonly queued_at: string;
  readonly claimed_at: string | null;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  readonly cancel_requested_at: string | null;
  readonly error: string | null;
  readonly result_preview: string | null;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly overlap_policy: OverlapPolicy;
  readonly workspace_policy: WorkspacePolicy;
  readonly next_attempt_reason: AttemptReason;
}

/** Spec 6.1 BackgroundAttempt. */
export interface BackgroundAttempt {
  readonly attempt_id: string;
  readonly run_id: string;
  readonly attempt_number: number;
  readonly reason: AttemptReason;
  readonly status: AttemptStatus;
  readonly worker_id: string;
  readonly lease_token: string;
  readonly started_at: string;
  readonly finished_at: string | null;
  readonly error: string | null;
  readonly retry_delay_seconds: number | null;
}

/** Spec 6.1 BackgroundScheduleState: where a task's schedule stands. */
export interface ScheduleState {
  readonly task_id: string;
  readonly next_due_at: string | null;
  readonly last_due_at: string | null;
  readonly last_dispatched_at: string | null;
  readonly paused: boolean;
  readonly paused_reason: string | null;
  readonly schedule_revision: number;
  /** The due time up to which the misfire policy last passed over missed occurrences, if it ever did. */
  readonly misfire_cursor: string | null;
  readonly updated_at: string;
}

/**
 * One lifecycle record of a run (spec 6.4), numbered 1..n per run without gaps. Extra keys per event (the error,
 * a retry's delay, the reason of a recovery) sit beside the standard ones.
 */
export interface LifecycleEvent {
  readonly event: string;
  readonly timestamp: string;
  readonly sequence: number;
  readonly agent_id: string;
  readonly task_id: string;
  readonly run_id: string;
  readonly session_id: string;
  readonly status: RunStatus;
  readonly attempt: number;
  readonly workspace_path: string;
  readonly worker_id: string | null;
  readonly lease_generation: number;
  readonly heartbeat_at: string | null;
  readonly lease_expires_at: string | null;
  readonly occurrence_id: string;
  readonly due_at: string | null;
  readonly [extra: string]: unknown;
}
