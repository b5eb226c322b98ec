import { newId } from '../core/ids.ts';
import type { Actor, TelemetryEvent } from './telemetry-event.ts';
import type { SpanKind, SpanRecord, SpanStatus, TraceRecord, TraceStatus } from './trace-model.ts';

/** Event types that stream model output piece by piece: kept in the event log, left out of traces. */
export const STREAMING_EVENT_TYPES: readonly string[] = ['text_delta'];

/** `agent_end`'s `output.status` -> the trace's status. */
const RUN_STATUS_TO_TRACE: Readonly<Record<string, TraceStatus>> = {
  success: 'completed',
  error: 'failed',
  cancelled: 'cancelled',
  timeout: 'timeout',
  awaiting_approval: 'suspended',
  awaiting_budget: 'suspended',
};

/** How the spans still open when a trace ends are closed. */
const TRACE_TO_SPAN_STATUS: Readonly<Record<TraceStatus, SpanStatus>> = {
  running: 'running',
  completed: 'ok',
  failed: 'error',
  cancelled: 'cancelled',
  timeout: 'timeout',
  aborted_resource_guard: 'error',
  aborted_safety_guard: 'error',
  partial: 'ok',
  suspended: 'running',
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type SpanDraft = Mutable<Omit<SpanRecord, 'attributes' | 'event_ids'>> & { attributes: Record<string, unknown>; event_ids: string[] };

const TOOL_CALL_KINDS: Readonly<Record<string, SpanKind>> = { tool_call: 'tool.call', mcp_tool_call: 'mcp.tool.call' };
const TOOL_END_TYPES = new Set(['tool_result', 'tool_error', 'mcp_tool_result', 'mcp_tool_error']);

/**
 * Builds one agent run's trace from its events, as they arrive: the root `agent.run` span (agent_start ->
 * agent_end), a `model.call` span per model step (model_call -> model_response, with token usage and duration)
 * and a `tool.call` / `mcp.tool.call` span per tool call (tool_call -> tool_result | tool_error). Each event is
 * returned with the `span_id` it belongs to, so the stored event and the span point at each other.
 */
export class AgentTraceBuilder {
  readonly traceId: string;
  readonly #spans: SpanDraft[] = [];
  readonly #openTools = new Map<string, SpanDraft>();
  readonly #ids: { run_id: string | null; session_id: string | null; task_id: string | null; agent_id: string | null; workflow_id: string | null };
  #root: SpanDraft | null = null;
  #openModel: SpanDraft | null = null;
  #status: TraceStatus = 'running';
  #forced: TraceStatus | null = null;
  #endedAt: string | null = null;
  #agentName: string | null;
  #model: string | null = null;
  #provider: string | null = null;

  constructor(first: TelemetryEvent) {
    this.traceId = first.trace_id;
    const meta = first.metadata;
    this.#ids = {
      run_id: text(meta['run_id']),
      session_id: text(meta['session_id']),
      task_id: text(meta['task_id']),
      agent_id: text(meta['agent_id']),
      workflow_id: text(meta['workflow_id']),
    };
    this.#agentName = text(meta['agent_name']);
  }

  /** True once the run ended (agent_end) or was ended by the serve layer. */
  get ended(): boolean {
    return this.#endedAt !== null;
  }

  /** Places the event in its span and returns it with `span_id` set (an id the event already has is kept). */
  add(event: TelemetryEvent): TelemetryEvent {
    const root = this.#ensureRoot(event);
    const span = this.#place(event, root);
    if (!STREAMING_EVENT_TYPES.includes(event.event_type)) span.event_ids.push(event.event_id);
    return event.span_id === null ? { ...event, span_id: span.span_id } : event;
  }

  /** Ends a run that did not end itself (its agent never sent agent_end): every open span closes with the status. */
  end(status: TraceStatus, at: string): void {
    if (this.#endedAt !== null) return;
    const root = this.#root;
    if (root !== null) this.#close(root, TRACE_TO_SPAN_STATUS[status], at, null);
    this.#finish(status, at);
  }

  /** Makes `status` the trace's, whatever the run's own events say (the serve layer timed the run out). */
  force(status: TraceStatus): void {
    this.#forced = status;
  }

  toRecord(): TraceRecord {
    const root = this.#root;
    return {
      trace_id: this.traceId,
      root_span_id: root?.span_id ?? null,
      status: this.#forced ?? this.#status,
      started_at: root?.started_at ?? new Date().toISOString(),
      ended_at: this.#endedAt,
      run_id: this.#ids.run_id,
      session_id: this.#ids.session_id,
      task_id: this.#ids.task_id,
      suite_id: null,
      agent_id: this.#ids.agent_id,
      workflow_id: this.#ids.workflow_id,
      metadata: {
        agent_name: this.#agentName,
        agent_version: null,
        model_provider: this.#provider,
        model: this.#model,
        prompt_version: null,
        tool_schema_version: null,
        memory_config_version: null,
        constraint_config_version: null,
        tags: [],
      },
      spans: this.#spans.map((span) => ({ ...span, attributes: { ...span.attributes }, event_ids: [...span.event_ids] })),
    };
  }

  #ensureRoot(event: TelemetryEvent): SpanDraft {
    if (this.#root !== null) return this.#root;
    const name = this.#agentName;
    const actor: Actor = event.event_type === 'agent_start' ? event.actor : { type: 'agent', id: name, name };
    this.#root = this.#open('agent.run', actor, event, null);
    this.#root.input = event.event_type === 'agent_start' ? event.input : null;
    if (name !== null) this.#root.attributes['agent_name'] = name;
    return this.#root;
  }

  #place(event: TelemetryEvent, root: SpanDraft): SpanDraft {
    const type = event.event_type;
    const input = record(event.input);
    const output = record(event.output);
    if (type === 'agent_start') return root;
    if (STREAMING_EVENT_TYPES.includes(type)) return this.#openModel ?? root;
    if (type === 'model_call') {
      const span = this.#open('model.call', event.actor, event, root);
      span.input = event.input;
      const model = text(input['model']) ?? text(event.actor.id);
      const provider = text(input['provider']) ?? text(event.actor.name);
      Object.assign(span.attributes, { model, provider, step: input['step'] ?? null });
      this.#model ??= model;
      this.#provider ??= provider;
      this.#openModel = span;
      return span;
    }
    if (type === 'model_response' || type === 'model_error') {
      const span = this.#openModel ?? this.#open('model.call', event.actor, event, root);
      this.#openModel = null;
      if (type === 'model_response' && output['finish_reason'] !== undefined) span.attributes['finish_reason'] = output['finish_reason'];
      this.#close(span, type === 'model_error' ? 'error' : 'ok', event.timestamp, event);
      return span;
    }
    const toolKind = TOOL_CALL_KINDS[type];
    if (toolKind !== undefined) {
      const span = this.#open(toolKind, event.actor, event, root);
      span.input = event.input;
      const callId = text(input['tool_call_id']);
      Object.assign(span.attributes, { tool_name: input['tool_name'] ?? event.actor.name ?? null, tool_call_id: callId });
      if (toolKind === 'mcp.tool.call') span.attributes['mcp_server'] = event.actor.id ?? null;
      if (callId !== null) this.#openTools.set(callId, span);
      return span;
    }
    if (TOOL_END_TYPES.has(type)) {
      const callId = text(output['tool_call_id']) ?? text(input['tool_call_id']);
      let span = callId === null ? undefined : this.#openTools.get(callId);
      if (span === undefined) {
        // A result without its call (the model named a tool that does not exist): a span of its own.
        span = this.#open(type.startsWith('mcp_') ? 'mcp.tool.call' : 'tool.call', event.actor, event, root);
        Object.assign(span.attributes, { tool_name: input['tool_name'] ?? output['tool_name'] ?? event.actor.name ?? null, tool_call_id: callId });
      }
      if (callId !== null) this.#openTools.delete(callId);
      this.#close(span, type.endsWith('_error') ? 'error' : 'ok', event.timestamp, event);
      return span;
    }
    if (type === 'final_answer') root.output = event.output;
    if (type === 'agent_end') this.#endFromEvent(event, root);
    return root;
  }

  #endFromEvent(event: TelemetryEvent, root: SpanDraft): void {
    const runStatus = text(record(event.output)['status']);
    const status = (runStatus === null ? undefined : RUN_STATUS_TO_TRACE[runStatus]) ?? (event.error === null ? 'completed' : 'failed');
    const output = root.output;
    this.#close(root, TRACE_TO_SPAN_STATUS[status], event.timestamp, event);
    if (output !== null) root.output = output;
    this.#finish(status, event.timestamp);
  }

  #finish(status: TraceStatus, at: string): void {
    const spanStatus = TRACE_TO_SPAN_STATUS[status];
    for (const span of this.#spans) if (span.ended_at === null) this.#close(span, spanStatus, at, null);
    this.#openTools.clear();
    this.#openModel = null;
    this.#status = status;
    this.#endedAt = at;
  }

  #open(kind: SpanKind, actor: Actor, event: TelemetryEvent, parent: SpanDraft | null): SpanDraft {
    const span: SpanDraft = {
      trace_id: this.traceId,
      name: kind,
      kind,
      actor,
      span_id: newId('span'),
      parent_span_id: parent?.span_id ?? null,
      status: 'running',
      started_at: event.timestamp,
      ended_at: null,
      duration_ms: null,
      input: null,
      output: null,
      error: null,
      token_usage: null,
      estimated_cost_usd: null,
      attributes: {},
      event_ids: [],
    };
    this.#spans.push(span);
    return span;
  }

  #close(span: SpanDraft, status: SpanStatus, at: string, event: TelemetryEvent | null): void {
    span.status = status;
    span.ended_at = at;
    span.duration_ms = event?.duration_ms ?? Math.max(0, Date.parse(at) - Date.parse(span.started_at));
    if (event === null) return;
    if (event.output !== null) span.output = event.output;
    if (event.error !== null) span.error = event.error;
    if (event.token_usage !== null) span.token_usage = event.token_usage;
    if (event.estimated_cost_usd !== null) span.estimated_cost_usd = event.estimated_cost_usd;
  }
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
