import type { Actor, EventError, TokenUsage } from './telemetry-event.ts';

export const TRACE_STATUSES = [
  'running', 'completed', 'failed', 'cancelled', 'timeout', 'aborted_resource_guard', 'aborted_safety_guard', 'partial', 'suspended',
] as const;
export type TraceStatus = (typeof TRACE_STATUSES)[number];

export const SPAN_STATUSES = ['running', 'ok', 'error', 'cancelled', 'timeout', 'skipped'] as const;
export type SpanStatus = (typeof SPAN_STATUSES)[number];

export const SPAN_KINDS = [
  'agent.run', 'agent.step', 'model.call', 'context.assembly', 'context.compression', 'tool.batch', 'tool.call',
  'mcp.tool.call', 'observation.pipeline', 'memory.read', 'memory.write', 'workspace.read', 'workspace.write',
  'workspace.delete', 'tool.offload', 'guardrail.check', 'subagent.run', 'workflow.route', 'background.task',
  'background.run', 'serve.request', 'runtime.control',
] as const;
export type SpanKind = (typeof SPAN_KINDS)[number];

/** A span, in wire form (spec 5.2). */
export interface SpanRecord {
  readonly trace_id: string;
  readonly name: string;
  readonly kind: SpanKind;
  readonly actor: Actor;
  readonly span_id: string;
  readonly parent_span_id: string | null;
  readonly status: SpanStatus;
  readonly started_at: string;
  readonly ended_at: string | null;
  readonly duration_ms: number | null;
  readonly input: unknown;
  readonly output: unknown;
  readonly error: EventError | null;
  readonly token_usage: TokenUsage | null;
  readonly estimated_cost_usd: number | null;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly event_ids: readonly string[];
}

export interface TraceMetadata {
  readonly agent_name: string | null;
  readonly agent_version: string | null;
  readonly model_provider: string | null;
  readonly model: string | null;
  readonly prompt_version: string | null;
  readonly tool_schema_version: string | null;
  readonly memory_config_version: string | null;
  readonly constraint_config_version: string | null;
  readonly tags: readonly string[];
}

/** A trace, in wire form (spec 5.2), without its events (they live in the event log). */
export interface TraceRecord {
  readonly trace_id: string;
  readonly root_span_id: string | null;
  readonly status: TraceStatus;
  readonly started_at: string;
  readonly ended_at: string | null;
  readonly run_id: string | null;
  readonly session_id: string | null;
  readonly task_id: string | null;
  readonly suite_id: string | null;
  readonly agent_id: string | null;
  readonly workflow_id: string | null;
  readonly metadata: TraceMetadata;
  readonly spans: readonly SpanRecord[];
}
