import { describe, expect, it } from 'vitest';
import { AgentTraceBuilder } from './agent-trace-builder.ts';
import { createTelemetryEvent, type TelemetryEvent, type TelemetryEventInit } from './telemetry-event.ts';

let clock = Date.UTC(2030, 0, 1);
let sequence = 0;

function ev(event_type: string, fields: Partial<TelemetryEventInit> = {}): TelemetryEvent {
  clock += 10;
  return createTelemetryEvent(
    {
      trace_id: 'trace_T',
      event_type,
      actor: { type: 'agent', id: 'Bot', name: 'Bot' },
      sequence_number: sequence++,
      metadata: { session_id: 'S', run_id: 'R', agent_name: 'Bot' },
      ...fields,
    },
    new Date(clock),
  );
}

const usage = (prompt: number, completion: number) => ({ prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion });
const model = { type: 'model', id: 'gpt-x', name: 'openai' } as const;

function build(events: readonly TelemetryEvent[]) {
  const builder = new AgentTraceBuilder(events[0] as TelemetryEvent);
  const placed = events.map((event) => builder.add(event));
  return { builder, placed, trace: builder.toRecord() };
}

describe('AgentTraceBuilder', () => {
  it('builds the root, model and tool spans of a run with a tool call, with tokens and durations', () => {
    const { trace, placed } = build([
      ev('agent_start', { input: { query: 'sum' } }),
      ev('user_message', { actor: { type: 'user' } }),
      ev('model_call', { actor: model, input: { step: 1, model: 'gpt-x', provider: 'openai' } }),
      ev('tool_call', { actor: { type: 'tool', id: 'add', name: 'add' }, input: { tool_call_id: 'c1', tool_name: 'add', arguments: { a: 1 } } }),
      ev('tool_result', { actor: { type: 'tool', id: 'add', name: 'add' }, output: { tool_call_id: 'c1', tool_name: 'add', result: 2 }, duration_ms: 4 }),
      ev('model_response', { actor: model, output: { finish_reason: 'tool-calls', step: 1 }, duration_ms: 30, token_usage: usage(6, 2) }),
      ev('model_call', { actor: model, input: { step: 2, model: 'gpt-x', provider: 'openai' } }),
      ev('text_delta', { actor: model, output: { delta: 'two' } }),
      ev('model_response', { actor: model, output: { finish_reason: 'stop', step: 2 }, duration_ms: 12, token_usage: usage(7, 1) }),
      ev('final_answer', { output: { response: 'two' } }),
      ev('agent_end', { output: { status: 'success' }, duration_ms: 90, token_usage: usage(13, 3) }),
    ]);
    expect(trace).toMatchObject({
      trace_id: 'trace_T', status: 'completed', run_id: 'R', session_id: 'S',
      metadata: { agent_name: 'Bot', model: 'gpt-x', model_provider: 'openai', tags: [] },
    });
    expect(trace.ended_at).not.toBeNull();
    const [root, first, tool, second] = trace.spans;
    expect(trace.spans.map((s) => s.kind)).toEqual(['agent.run', 'model.call', 'tool.call', 'model.call']);
    expect(root).toMatchObject({ status: 'ok', parent_span_id: null, duration_ms: 90, token_usage: usage(13, 3), output: { response: 'two' } });
    expect(trace.root_span_id).toBe(root?.span_id);
    expect(first).toMatchObject({ status: 'ok', duration_ms: 30, token_usage: usage(6, 2), parent_span_id: root?.span_id, attributes: { model: 'gpt-x', provider: 'openai', finish_reason: 'tool-calls' } });
    expect(tool).toMatchObject({ status: 'ok', duration_ms: 4, output: { result: 2 }, attributes: { tool_name: 'add', tool_call_id: 'c1' } });
    expect(second).toMatchObject({ token_usage: usage(7, 1), duration_ms: 12 });
    // The delta belongs to the second model call but is not one of its listed events.
    expect(placed[7]?.span_id).toBe(second?.span_id);
    expect(second?.event_ids).toEqual([placed[6]?.event_id, placed[8]?.event_id]);
    expect(tool?.event_ids).toEqual([placed[3]?.event_id, placed[4]?.event_id]);
    expect(placed.every((event) => event.span_id !== null)).toBe(true);
  });

  it('maps agent_end statuses and marks failing spans', () => {
    const failed = build([
      ev('agent_start'),
      ev('model_call', { actor: model, input: { model: 'm' } }),
      ev('model_error', { actor: model, error: { type: 'APIError', message: 'boom' } }),
      ev('agent_end', { output: { status: 'error' }, error: { type: 'AgentRunError', message: 'boom' } }),
    ]).trace;
    expect(failed.status).toBe('failed');
    expect(failed.spans.map((s) => s.status)).toEqual(['error', 'error']);
    expect(failed.spans[1]?.error).toEqual({ type: 'APIError', message: 'boom' });

    const cancelled = build([ev('agent_start'), ev('model_call', { actor: model }), ev('agent_end', { output: { status: 'cancelled' } })]).trace;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.spans.map((s) => s.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('gives a tool error without its call a span of its own, and mcp calls the mcp kind', () => {
    const { trace } = build([
      ev('agent_start'),
      ev('tool_error', { input: { tool_call_id: 'x', tool_name: 'nope' }, error: { type: 'ToolError', message: 'no such tool' } }),
      ev('mcp_tool_call', { actor: { type: 'mcp_server', id: 'files', name: 'read' }, input: { tool_call_id: 'm1', tool_name: 'read' } }),
      ev('mcp_tool_result', { actor: { type: 'mcp_server', id: 'files', name: 'read' }, output: { tool_call_id: 'm1', result: 'ok' } }),
    ]);
    expect(trace.spans.slice(1).map((s) => [s.kind, s.status, s.attributes['tool_name']])).toEqual([
      ['tool.call', 'error', 'nope'],
      ['mcp.tool.call', 'ok', 'read'],
    ]);
    expect(trace.spans[2]?.attributes['mcp_server']).toBe('files');
  });

  it('is ended by the serve layer when the agent never ends it, and a forced timeout outlasts a late agent_end', () => {
    const start = ev('agent_start');
    const builder = new AgentTraceBuilder(start);
    builder.add(start);
    builder.add(ev('model_call', { actor: model }));
    expect(builder.toRecord().status).toBe('running');
    builder.force('timeout');
    builder.end('timeout', new Date(clock + 5).toISOString());
    expect(builder.ended).toBe(true);
    expect(builder.toRecord().spans.map((s) => s.status)).toEqual(['timeout', 'timeout']);
    builder.add(ev('agent_end', { output: { status: 'cancelled' } }));
    expect(builder.toRecord().status).toBe('timeout');
  });

  it('keeps a span id the event already has, and synthesises a root for a run without agent_start', () => {
    const first = ev('custom_step', { span_id: 'span_given' });
    const builder = new AgentTraceBuilder(first);
    expect(builder.add(first).span_id).toBe('span_given');
    const trace = builder.toRecord();
    expect(trace.spans).toHaveLength(1);
    expect(trace.spans[0]).toMatchObject({ kind: 'agent.run', actor: { type: 'agent', name: 'Bot' }, input: null });
  });
});
