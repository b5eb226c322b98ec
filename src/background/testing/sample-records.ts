import { newId } from '../../core/ids.ts';
import type { BackgroundAgent, BackgroundTask } from '../background-records.ts';
import { DEFAULT_NAMESPACE_TEMPLATE } from '../policies.ts';
import { newRun, type RunTrigger } from '../run-factory.ts';
import type { BackgroundRun, ScheduleState } from '../run-record.ts';

/** Builders of valid records for tests and the conformance suite; overrides replace top-level fields. */

export const SAMPLE_TIME = '2030-01-01T00:00:00.000Z';

export function sampleAgent(overrides: Partial<BackgroundAgent> = {}): BackgroundAgent {
  return {
    agent_id: 'agent-1',
    name: 'Sample agent',
    system_instruction: 'You are a sample.',
    model_config: null,
    agent_config: {},
    mcp_tools: [],
    local_tools_ref: null,
    workspace_config: null,
    metadata: {},
    created_at: SAMPLE_TIME,
    updated_at: SAMPLE_TIME,
    ...overrides,
  };
}

export function sampleTask(overrides: Partial<BackgroundTask> = {}): BackgroundTask {
  return {
    task_id: 'task-1',
    agent_id: 'agent-1',
    query: 'Summarize the news',
    schedule: {
      type: 'interval',
      seconds: 60,
      expression: null,
      run_at: null,
      timezone: 'UTC',
      start_at: null,
      end_at: null,
      jitter_seconds: null,
      misfire_policy: 'skip_missed',
    },
    enabled: true,
    timeout_seconds: null,
    retry_policy: { max_retries: 0, initial_delay_seconds: 30, max_delay_seconds: 300, backoff: 'exponential', retry_on: ['exception', 'timeout'] },
    overlap_policy: 'allow_parallel',
    session_policy: { mode: 'task', session_id: null },
    workspace_policy: { namespace_template: DEFAULT_NAMESPACE_TEMPLATE, write_run_json: true, write_events_jsonl: true },
    metadata: {},
    created_at: SAMPLE_TIME,
    updated_at: SAMPLE_TIME,
    ...overrides,
  };
}

export function sampleState(overrides: Partial<ScheduleState> = {}): ScheduleState {
  return {
    task_id: 'task-1',
    next_due_at: null,
    last_due_at: null,
    last_dispatched_at: null,
    paused: false,
    paused_reason: null,
    schedule_revision: 1,
    misfire_cursor: null,
    updated_at: SAMPLE_TIME,
    ...overrides,
  };
}

/** A new (queued) run of `task`, manual unless the trigger says otherwise. */
export function sampleRun(task: BackgroundTask = sampleTask(), trigger: Partial<RunTrigger> = {}, overrides: Partial<BackgroundRun> = {}): BackgroundRun {
  const runId = trigger.runId ?? newId('run');
  return {
    ...newRun(task, {
      type: 'manual',
      runId,
      triggeredAt: SAMPLE_TIME,
      dueAt: null,
      queuedAt: SAMPLE_TIME,
      revision: 1,
      ...trigger,
    }),
    ...overrides,
  };
}
