import { z } from 'zod';
import { renderNamespace, UnsafeWorkspacePathError } from '../workspace/workspace-path.ts';
import { MAX_SESSION_ID_LENGTH } from '../core/id-limits.ts';

export const BACKOFF_KINDS = ['fixed', 'exponential'] as const;
export const RETRY_REASONS = ['exception', 'timeout'] as const;
export type RetryReason = (typeof RETRY_REASONS)[number];

export const RetryPolicySchema = z
  .strictObject({
    max_retries: z.number().int().gte(0).lte(100, 'max_retries must be at most 100').default(0),
    initial_delay_seconds: z.number().gte(0).default(30),
    max_delay_seconds: z.number().gte(0).default(300),
    backoff: z.enum(BACKOFF_KINDS).default('exponential'),
    retry_on: z.array(z.enum(RETRY_REASONS)).default(['exception', 'timeout']),
  })
  .superRefine((policy, ctx) => {
    if (policy.initial_delay_seconds > 0 && policy.max_delay_seconds < policy.initial_delay_seconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_delay_seconds'],
        message: 'max_delay_seconds must be at least initial_delay_seconds',
      });
    }
  });
export type RetryPolicy = z.output<typeof RetryPolicySchema>;

/** Seconds to wait before the retry that follows failed attempt number `attempt` (1-based). */
export function retryDelaySeconds(policy: RetryPolicy, attempt: number): number {
  if (policy.max_retries <= 0) return 0;
  const raw = policy.backoff === 'fixed' ? policy.initial_delay_seconds : policy.initial_delay_seconds * 2 ** Math.max(0, attempt - 1);
  return Math.min(raw, Math.max(policy.max_delay_seconds, 0));
}

export const SESSION_MODES = ['task', 'run', 'fixed'] as const;

export const SessionPolicySchema = z
  .strictObject({
    mode: z.enum(SESSION_MODES).default('task'),
    session_id: z.string().trim().min(1).max(MAX_SESSION_ID_LENGTH, `session_id must be at most ${MAX_SESSION_ID_LENGTH} characters (the size every store keeps)`).nullish().transform((value) => value ?? null),
  })
  .superRefine((policy, ctx) => {
    if (policy.mode === 'fixed' && policy.session_id === null) {
      ctx.addIssue({ code: 'custom', path: ['session_id'], message: 'session_id is required when mode is fixed' });
    }
    if (policy.mode !== 'fixed' && policy.session_id !== null) {
      ctx.addIssue({ code: 'custom', path: ['session_id'], message: `session_id is only used when mode is fixed, not ${policy.mode}` });
    }
  });
export type SessionPolicy = z.output<typeof SessionPolicySchema>;

/** The session a run talks in (spec 6.1). */
export function runSessionId(policy: SessionPolicy, ids: { agent_id: string; task_id: string; run_id: string }): string {
  if (policy.mode === 'fixed' && policy.session_id !== null) return policy.session_id;
  if (policy.mode === 'run') return `background:${ids.run_id}`;
  return `background:${ids.agent_id}:${ids.task_id}`;
}

export const DEFAULT_NAMESPACE_TEMPLATE = 'background/{agent_id}/{task_id}/{run_id}';
const SAMPLE_IDS = { agent_id: 'agent', task_id: 'task', run_id: 'run' };

export const WorkspacePolicySchema = z.strictObject({
  namespace_template: z
    .string()
    .default(DEFAULT_NAMESPACE_TEMPLATE)
    .superRefine((template, ctx) => {
      try {
        renderNamespace(template, SAMPLE_IDS);
      } catch (error) {
        if (!(error instanceof UnsafeWorkspacePathError)) throw error;
        ctx.addIssue({ code: 'custom', message: `namespace_template is not a safe relative path: ${error.message}` });
      }
    }),
  write_run_json: z.boolean().default(true),
  write_events_jsonl: z.boolean().default(true),
});
export type WorkspacePolicy = z.output<typeof WorkspacePolicySchema>;

/** The run's directory inside the workspace. */
export function runWorkspacePath(policy: WorkspacePolicy, ids: { agent_id: string; task_id: string; run_id: string }): string {
  return renderNamespace(policy.namespace_template, ids);
}

/**
 * What a new run does while another run of its task is unfinished: `skip_if_running` records it as skipped,
 * `queue_next` queues it to start once the other one ends, `cancel_previous` cancels the others and queues it, and
 * `allow_parallel` lets them run side by side.
 */
export const OVERLAP_POLICIES = ['skip_if_running', 'queue_next', 'cancel_previous', 'allow_parallel'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];
export const OverlapPolicySchema = z.enum(OVERLAP_POLICIES);
