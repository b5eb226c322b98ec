import { z } from 'zod';
import { ATTEMPT_REASONS, ATTEMPT_STATUSES, RUN_STATUSES, TRIGGER_TYPES } from '../../background/run-record.ts';

/** Path, query and response schemas of the `/background` routes (request bodies live with the records). */

const id = z.string();
export const AgentParams = z.object({ agent_id: id });
export const TaskParams = z.object({ task_id: id });
export const RunParams = z.object({ run_id: id });

/** FastAPI's bool query words. */
const queryFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', 'True', 'False'])
  .optional()
  .transform((word) => word !== undefined && ['true', '1', 'yes', 'on', 'True'].includes(word));

export const ForceQuery = z.object({ force: queryFlag.describe('Delete even with unfinished runs (they are cancelled).') });
export const DeleteTaskQuery = z.object({ delete_runs: queryFlag.describe("Also delete the task's runs, attempts and events.") });
export const TasksQuery = z.object({ agent_id: z.string().optional() });
export const RunsQuery = z.object({
  task_id: z.string().optional(),
  status: z.string().optional().describe(`One of ${RUN_STATUSES.join(', ')}.`),
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('Newest runs first; at most this many (1-1000).'),
});

const record = z.record(z.string(), z.unknown());
const time = z.string().nullable();

export const AgentSpecResponse = z
  .object({
    agent_id: z.string(),
    name: z.string(),
    system_instruction: z.string().nullable(),
    model_config: record.nullable().describe('api_key is shown as ***.'),
    agent_config: record,
    mcp_tools: z.array(record).describe('env and headers values are shown as ***.'),
    local_tools_ref: z.string().nullable(),
    workspace_config: record.nullable(),
    metadata: record,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .describe('BackgroundAgentSpec');

export const TaskSpecResponse = z
  .object({
    task_id: z.string(),
    agent_id: z.string(),
    query: z.string(),
    schedule: record,
    enabled: z.boolean(),
    timeout_seconds: z.number().nullable(),
    retry_policy: record,
    overlap_policy: z.string(),
    session_policy: record,
    workspace_policy: record,
    metadata: record,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .describe('BackgroundTaskSpec');

export const RunResponse = z
  .object({
    run_id: z.string(),
    task_id: z.string(),
    agent_id: z.string(),
    status: z.enum(RUN_STATUSES),
    attempt: z.number().int(),
    max_attempts: z.number().int(),
    query_snapshot: z.string(),
    trigger_type: z.enum(TRIGGER_TYPES),
    triggered_at: z.string(),
    due_at: time,
    occurrence_id: z.string(),
    trigger_metadata: record,
    session_id: z.string(),
    workspace_path: z.string(),
    lease_owner: z.string().nullable(),
    lease_token: z.string().nullable(),
    lease_generation: z.number().int(),
    lease_expires_at: time,
    heartbeat_at: time,
    queued_at: z.string(),
    claimed_at: time,
    started_at: time,
    finished_at: time,
    cancel_requested_at: time,
    error: z.string().nullable(),
    result_preview: z.string().nullable(),
    metadata: record,
    overlap_policy: z.string(),
    workspace_policy: record,
    next_attempt_reason: z.enum(ATTEMPT_REASONS),
  })
  .describe('BackgroundRun');

export const AttemptResponse = z
  .object({
    attempt_id: z.string(),
    run_id: z.string(),
    attempt_number: z.number().int(),
    reason: z.enum(ATTEMPT_REASONS),
    status: z.enum(ATTEMPT_STATUSES),
    worker_id: z.string(),
    lease_token: z.string(),
    started_at: z.string(),
    finished_at: time,
    error: z.string().nullable(),
    retry_delay_seconds: z.number().nullable(),
  })
  .describe('BackgroundAttempt');

const counts = z.record(z.string(), z.number().int());

export const ManagerStatusResponse = z
  .object({
    running: z.boolean(),
    initialized: z.boolean(),
    worker_id: z.string(),
    lease_seconds: z.number(),
    agents: z.number().int(),
    tasks: z.number().int(),
    runs: z.number().int(),
    active_runs: z.number().int(),
    status_counts: counts,
  })
  .describe('BackgroundManagerStatusResponse');

export const TaskStatusResponse = z
  .object({
    task_id: z.string(),
    agent_id: z.string(),
    enabled: z.boolean(),
    schedule: record,
    schedule_state: record.nullable(),
    runs: z.number().int(),
    active_runs: z.number().int(),
    status_counts: counts,
    latest_run: RunResponse.nullable(),
  })
  .describe('BackgroundTaskStatusResponse');

export const AgentsResponse = z.object({ agents: z.array(AgentSpecResponse), count: z.number().int() }).describe('BackgroundAgentsResponse');
export const TasksResponse = z.object({ tasks: z.array(TaskSpecResponse), count: z.number().int() }).describe('BackgroundTasksResponse');
export const RunsResponse = z.object({ runs: z.array(RunResponse), count: z.number().int() }).describe('BackgroundRunsResponse');
export const RunEventsResponse = z
  .object({ run_id: z.string(), events: z.array(record), count: z.number().int() })
  .describe('BackgroundRunEventsResponse');
export const RunWorkspaceResponse = z
  .object({
    run_id: z.string(),
    task_id: z.string(),
    agent_id: z.string(),
    workspace_path: z.string(),
    files: z.array(z.object({ path: z.string(), name: z.string(), modified_at: z.string(), is_dir: z.boolean() })),
  })
  .describe('BackgroundRunWorkspaceResponse');
export const StatusResponse = (status: string) => z.object({ status: z.literal(status) });
