import { z } from 'zod';
import { backgroundId } from './background-ids.ts';
import {
  OverlapPolicySchema,
  RetryPolicySchema,
  SessionPolicySchema,
  WorkspacePolicySchema,
} from './policies.ts';
import { ScheduleSpecSchema } from './schedule-spec.ts';
import { utcDateTime } from './utc-datetime.ts';
import { MAX_TIMER_SECONDS, TIMER_LIMIT_MESSAGE } from '../core/timer-limit.ts';

const jsonObject = z.record(z.string(), z.unknown());
const timestamp = (field: string) => utcDateTime(field).nullish().transform((value) => value ?? null);

/** Spec 6.1 BackgroundAgentSpec: an agent background tasks run on, described by its settings. */
export const AgentSpecSchema = z.strictObject({
  agent_id: backgroundId('agent_id'),
  name: z.string().nullish().transform((value) => value ?? null),
  system_instruction: z.string().nullish().transform((value) => value ?? null),
  model_config: jsonObject.nullish().transform((value) => value ?? null),
  agent_config: jsonObject.default({}),
  mcp_tools: z.array(jsonObject).default([]),
  local_tools_ref: z.string().trim().min(1).nullish().transform((value) => value ?? null),
  workspace_config: jsonObject.nullish().transform((value) => value ?? null),
  metadata: jsonObject.default({}),
  created_at: timestamp('created_at'),
  updated_at: timestamp('updated_at'),
});

/** A stored agent: `name` defaults to the id, and both timestamps are set. */
export type BackgroundAgent = Omit<z.output<typeof AgentSpecSchema>, 'name' | 'created_at' | 'updated_at'> & {
  readonly name: string;
  readonly created_at: string;
  readonly updated_at: string;
};

const task = {
  task_id: backgroundId('task_id'),
  agent_id: backgroundId('agent_id'),
  query: z.string().refine((query) => query.trim() !== '', { message: 'query must not be blank' }),
  schedule: ScheduleSpecSchema,
  enabled: z.boolean().default(true),
  timeout_seconds: z.number().gt(0).lte(MAX_TIMER_SECONDS, `timeout_seconds ${TIMER_LIMIT_MESSAGE}`).nullish().transform((value) => value ?? null),
  retry_policy: RetryPolicySchema.prefault({}),
  overlap_policy: OverlapPolicySchema.default('skip_if_running'),
  session_policy: SessionPolicySchema.prefault({}),
  workspace_policy: WorkspacePolicySchema.prefault({}),
  metadata: jsonObject.default({}),
};

/** Spec 6.1 BackgroundTaskSpec, as validated whenever a task is created, replaced or patched. */
export const TaskSpecSchema = z.strictObject({ ...task, created_at: timestamp('created_at'), updated_at: timestamp('updated_at') });

export type BackgroundTask = Omit<z.output<typeof TaskSpecSchema>, 'created_at' | 'updated_at'> & {
  readonly created_at: string;
  readonly updated_at: string;
};

/** `POST /background/tasks` (spec 6.4): the task, `agent_id` optional (the served agent's id), plus `replace`. */
export const CreateTaskRequestSchema = z.strictObject({
  ...task,
  agent_id: backgroundId('agent_id').nullish().transform((value) => value ?? null),
  replace: z.boolean().default(false),
});
export type CreateTaskRequest = z.output<typeof CreateTaskRequestSchema>;

/**
 * `PATCH /background/tasks/{id}`: any task field but the id. Only fields present are applied (null included);
 * the merged task is then validated as a whole, so a null where a value is needed is a 422 naming that field.
 */
export const PatchTaskRequestSchema = z.strictObject({
  agent_id: z.unknown().optional(),
  query: z.unknown().optional(),
  schedule: z.unknown().optional(),
  enabled: z.unknown().optional(),
  timeout_seconds: z.unknown().optional(),
  retry_policy: z.unknown().optional(),
  overlap_policy: z.unknown().optional(),
  session_policy: z.unknown().optional(),
  workspace_policy: z.unknown().optional(),
  metadata: z.unknown().optional(),
});
export type PatchTaskRequest = z.output<typeof PatchTaskRequestSchema>;

/** `POST /background/agents` (spec 6.4); no body (or null) registers the served agent under the default id. */
export const RegisterAgentRequestSchema = z
  .strictObject({
    agent_id: backgroundId('agent_id').nullish().transform((value) => value ?? null),
    replace: z.boolean().default(false),
    spec: AgentSpecSchema.nullish().transform((value) => value ?? null),
  })
  .nullish()
  .transform((value) => value ?? { agent_id: null, replace: false, spec: null });
export type RegisterAgentRequest = z.output<typeof RegisterAgentRequestSchema>;

/** `POST /background/tasks/{id}/run` (spec 6.5); the body may be omitted or null. */
export const ManualRunRequestSchema = z
  .strictObject({
    query: z
      .string()
      .refine((query) => query.trim() !== '', { message: 'query must not be blank (leave it out to use the task query)' })
      .nullish()
      .transform((value) => value ?? null),
    wait: z.boolean().default(false),
  })
  .nullish()
  .transform((value) => value ?? { query: null, wait: false });
export type ManualRunRequest = z.output<typeof ManualRunRequestSchema>;
