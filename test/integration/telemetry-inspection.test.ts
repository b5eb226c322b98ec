/**
 * The telemetry the server records for every run (spec 5) and the inspection endpoints (spec 3.6, 3.7): the
 * agent's trace and the serve layer's own, their events, filters, limits and 404s.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AgentRunOptions } from '../../src/agent/servable-agent.ts';
import { ToolRegistry } from '../../src/agent/tool-registry.ts';
import type { OmniServe } from '../../src/app/omni-serve.ts';
import { createTelemetryEvent } from '../../src/telemetry/telemetry-event.ts';
import { ScriptedOpenAIServer } from '../../src/testing/scripted-openai-server.ts';
import { scriptedAgent, serve, useScriptedModel } from '../support/serve-fixture.ts';

const model = useScriptedModel();
const tracked = (server: OmniServe): OmniServe => model.tracked(server);

const EVENT_KEYS = [
  'trace_id', 'event_type', 'actor', 'event_id', 'span_id', 'parent_event_id', 'sequence_number', 'timestamp', 'input',
  'output', 'error', 'duration_ms', 'token_usage', 'estimated_cost_usd', 'metadata', 'stream_cursor',
];
const SPAN_KEYS = [
  'trace_id', 'name', 'kind', 'actor', 'span_id', 'parent_span_id', 'status', 'started_at', 'ended_at', 'duration_ms', 'input',
  'output', 'error', 'token_usage', 'estimated_cost_usd', 'attributes', 'event_ids',
];
const TRACE_KEYS = [
  'trace_id', 'root_span_id', 'status', 'started_at', 'ended_at', 'run_id', 'session_id', 'task_id', 'suite_id', 'agent_id',
  'workflow_id', 'metadata', 'spans', 'events',
];
const METADATA_KEYS = [
  'agent_name', 'agent_version', 'model_provider', 'model', 'prompt_version', 'tool_schema_version', 'memory_config_version',
  'constraint_config_version', 'tags',
];

function toolServer(): OmniServe {
  const tools = new ToolRegistry().register({
    name: 'add', description: 'adds', inputSchema: z.object({ a: z.number(), b: z.number() }), execute: ({ a, b }) => a + b,
  });
  return tracked(serve(scriptedAgent(model.llm, { localTools: tools })));
}

async function runSync(server: OmniServe, query: string, sessionId: string) {
  const res = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query, session_id: sessionId } });
  return { status: res.statusCode, body: res.json() };
}

async function get(server: OmniServe, url: string) {
  const res = await server.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
}

describe('the traces of one /run/sync with a tool call', () => {
  it('records the agent trace with its event sequence, spans and token counts', async () => {
    const server = toolServer();
    model.llm.enqueue(
      { toolCalls: [{ name: 'add', arguments: { a: 2, b: 40 } }], usage: { promptTokens: 11, completionTokens: 5 } },
      { text: '42', usage: { promptTokens: 20, completionTokens: 2 } },
    );
    const run = await runSync(server, 'what is 2+40?', 'S1');
    expect(run.status).toBe(200);
    const { body } = await get(server, `/telemetry/runs/${run.body.run_id}/trace`);
    expect(body.trace.trace_id).toBe(run.body.trace_id);
    // AI SDK 6 runs a step's tools before it reports the step finished, so model_response follows the tool result.
    expect(body.trace.events.map((e: { event_type: string }) => e.event_type)).toEqual([
      'agent_start', 'user_message', 'model_call', 'tool_call', 'tool_result', 'model_response', 'model_call', 'model_response',
      'final_answer', 'agent_end',
    ]);
    const responses = body.trace.events.filter((e: { event_type: string }) => e.event_type === 'model_response');
    expect(responses.map((e: { token_usage: unknown }) => e.token_usage)).toEqual([
      { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 },
      { prompt_tokens: 20, completion_tokens: 2, total_tokens: 22 },
    ]);
    expect(responses.every((e: { duration_ms: number }) => e.duration_ms >= 0)).toBe(true);
    expect(body.summary).toEqual({
      trace_id: run.body.trace_id, run_id: run.body.run_id, session_id: 'S1', status: 'completed', event_count: 10, span_count: 4,
    });
    const spans = body.trace.spans as { span_id: string; kind: string; status: string; token_usage: unknown; event_ids: string[] }[];
    expect(spans.map((s) => [s.kind, s.status])).toEqual([['agent.run', 'ok'], ['model.call', 'ok'], ['tool.call', 'ok'], ['model.call', 'ok']]);
    expect(spans[0]?.token_usage).toEqual({ prompt_tokens: 31, completion_tokens: 7, total_tokens: 38 });
    expect(spans[1]?.token_usage).toEqual({ prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 });
    expect(body.trace.metadata).toMatchObject({ agent_name: 'TestAgent', model: 'scripted-model', tags: [] });
    const spanIds = new Set(spans.map((s) => s.span_id));
    expect(body.trace.events.every((e: { span_id: string }) => spanIds.has(e.span_id))).toBe(true);
  });

  it('records the serve trace: exactly serve_request_start and serve_request_end, with the response run_id', async () => {
    const server = toolServer();
    model.llm.enqueue({ text: 'hello' });
    const run = await runSync(server, 'hi there', 'S2');
    const { body: list } = await get(server, `/telemetry/traces?run_id=${run.body.run_id}`);
    expect(list.count).toBe(2);
    const serveTrace = list.traces.find((t: { metadata: { tags: string[] } }) => t.metadata.tags.includes('serve'));
    expect(serveTrace).toMatchObject({ run_id: run.body.run_id, session_id: 'S2', status: 'completed', metadata: { tags: ['serve'] } });
    const { body } = await get(server, `/telemetry/traces/${serveTrace.trace_id}`);
    expect(body.trace.events.map((e: { event_type: string }) => e.event_type)).toEqual(['serve_request_start', 'serve_request_end']);
    expect(body.trace.run_id).toBe(run.body.run_id);
    const [start, end] = body.trace.events;
    expect(start).toMatchObject({ actor: { type: 'serve', name: 'OmniServe' }, input: { method: 'POST', path: '/run/sync', streaming: false } });
    expect(end.output).toEqual({ status: 'completed', agent_trace_id: run.body.trace_id });
    expect(body.trace.spans).toHaveLength(1);
    expect(body.trace.spans[0]).toMatchObject({
      name: 'serve.request', kind: 'serve.request', status: 'ok', actor: { type: 'serve', name: 'OmniServe' },
      input: { method: 'POST', path: '/run/sync', query_length: 8, streaming: false },
      event_ids: [start.event_id, end.event_id],
    });
  });

  it('answers the inspection endpoints with the reference keys', async () => {
    const server = toolServer();
    model.llm.enqueue({ text: 'hello' });
    const run = await runSync(server, 'hi', 'S3');
    const detail = (await get(server, `/telemetry/traces/${run.body.trace_id}`)).body;
    expect(Object.keys(detail)).toEqual(['filters', 'summary', 'trace']);
    expect(detail.filters).toEqual({ normalize: false, trace_id: run.body.trace_id });
    expect(Object.keys(detail.summary)).toEqual(['trace_id', 'run_id', 'session_id', 'status', 'event_count', 'span_count']);
    expect(Object.keys(detail.trace)).toEqual(TRACE_KEYS);
    expect(Object.keys(detail.trace.metadata)).toEqual(METADATA_KEYS);
    expect(Object.keys(detail.trace.spans[0])).toEqual(SPAN_KEYS);
    for (const event of detail.trace.events) expect(Object.keys(event)).toEqual(EVENT_KEYS);

    const byRun = (await get(server, `/telemetry/runs/${run.body.run_id}/trace`)).body;
    expect(byRun.filters).toEqual({ normalize: false, run_id: run.body.run_id });
    expect(byRun.trace.trace_id).toBe(run.body.trace_id);
    const bySession = (await get(server, '/telemetry/sessions/S3/trace?normalize=true')).body;
    expect(bySession.filters).toEqual({ normalize: true, session_id: 'S3' });
    expect(bySession.trace.trace_id).toBe(run.body.trace_id);
    // normalize: the ids of metadata on the event itself, as SSE frames carry them.
    expect(bySession.trace.events[0]).toMatchObject({ session_id: 'S3', run_id: run.body.run_id, type: 'agent_start' });

    const sessionTrace = (await get(server, `/events/S3/trace`)).body;
    expect(Object.keys(sessionTrace)).toEqual(['session_id', 'summary', 'steps']);
    expect(sessionTrace.summary).toEqual({ trace_id: run.body.trace_id, run_id: run.body.run_id, status: 'completed', event_count: 6, span_count: 2 });
    expect(sessionTrace.steps.map((e: { event_type: string }) => e.event_type)).toEqual([
      'agent_start', 'user_message', 'model_call', 'model_response', 'final_answer', 'agent_end',
    ]);

    const events = (await get(server, `/events/S3/list`)).body;
    expect(Object.keys(events)).toEqual(['session_id', 'events', 'count']);
    expect(events.events.map((e: { event_type: string }) => e.event_type)).toEqual([
      'serve_request_start', 'agent_start', 'user_message', 'model_call', 'text_delta', 'model_response', 'final_answer', 'agent_end',
      'serve_request_end',
    ]);
    expect(events.events.map((e: { stream_cursor: number }) => e.stream_cursor)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(events.count).toBe(9);
  });

  it('prefers the newest run in a session, and the agent trace over the serve trace of the same run', async () => {
    const server = toolServer();
    model.llm.enqueue({ text: 'one' }, { text: 'two' });
    await runSync(server, 'first', 'S4');
    const second = await runSync(server, 'second', 'S4');
    expect((await get(server, '/telemetry/sessions/S4/trace')).body.trace.trace_id).toBe(second.body.trace_id);
    expect((await get(server, '/events/S4/trace')).body.summary.run_id).toBe(second.body.run_id);
  });
});

describe('/telemetry/events', () => {
  it('echoes the filters exactly, applies them, and defaults the limit to 200', async () => {
    const server = toolServer();
    model.llm.enqueue({ text: 'a b c' }, { text: 'd' });
    const first = await runSync(server, 'q1', 'S');
    await runSync(server, 'q2', 'S');
    const { status, body } = await get(server, `/telemetry/events?session_id=S&run_id=${first.body.run_id}`);
    expect(status).toBe(200);
    expect(body.filters).toEqual({ limit: 200, run_id: first.body.run_id, session_id: 'S' });
    expect(Object.keys(body)).toEqual(['filters', 'events', 'count']);
    expect(body.count).toBe(body.events.length);
    expect(body.events.every((e: { metadata: { run_id: string } }) => e.metadata.run_id === first.body.run_id)).toBe(true);

    const typed = (await get(server, `/telemetry/events?event_type=agent_start&event_type=agent_end&limit=3`)).body;
    expect(typed.filters).toEqual({ event_type: ['agent_start', 'agent_end'], limit: 3 });
    expect(typed.events.map((e: { event_type: string }) => e.event_type)).toEqual(['agent_start', 'agent_end', 'agent_start']);

    const byTrace = (await get(server, `/telemetry/events?trace_id=${first.body.trace_id}&event_type=final_answer`)).body;
    expect(byTrace.events).toHaveLength(1);
    expect(byTrace.events[0].output).toEqual({ response: 'a b c' });

    const after = (await get(server, '/telemetry/events?session_id=S&cursor=10')).body;
    expect(after.filters).toEqual({ cursor: 10, limit: 200, session_id: 'S' });
    expect(after.events.map((e: { stream_cursor: number }) => e.stream_cursor)[0]).toBe(11);
  });

  it('rejects a limit outside 1..1000 with 422', async () => {
    const server = toolServer();
    for (const limit of ['0', '1001', 'many']) {
      const res = await server.app.inject({ url: `/telemetry/events?limit=${limit}` });
      expect(res.statusCode, limit).toBe(422);
      expect(res.json().detail[0].loc).toEqual(['query', 'limit']);
    }
    expect((await server.app.inject({ url: '/telemetry/events?limit=1000' })).statusCode).toBe(200);
    expect((await server.app.inject({ url: '/telemetry/traces?limit=1001' })).statusCode).toBe(422);
  });

  it('never lists another run\'s events under a run, even ones its agent reported', async () => {
    const chatty = {
      name: 'Chatty',
      async run(query: string, options: AgentRunOptions) {
        for (const run of [options.runId, 'run_someone_else']) {
          options.onEvent?.(
            createTelemetryEvent({
              trace_id: `trace_${run}`, event_type: 'agent_start', actor: { type: 'agent' }, sequence_number: 0,
              metadata: { session_id: options.sessionId, run_id: run },
            }),
          );
        }
        return `done ${query}`;
      },
    };
    const server = tracked(serve(chatty));
    const run = await runSync(server, 'x', 'S');
    const list = (await get(server, `/events/S/list?run_id=${run.body.run_id}`)).body;
    expect(list.events.map((e: { metadata: { run_id: string } }) => e.metadata.run_id)).toEqual([
      run.body.run_id, run.body.run_id, run.body.run_id,
    ]);
    const all = (await get(server, `/telemetry/events?run_id=${run.body.run_id}`)).body;
    expect(all.count).toBe(3);
    expect((await get(server, '/events/S/list')).body.count).toBe(4);
  });
});

describe('/telemetry/traces', () => {
  it('validates status with the reference message, echoes normalize and the limit, and lists newest first', async () => {
    const server = toolServer();
    const bad = await get(server, '/telemetry/traces?status=done');
    expect(bad).toEqual({
      status: 422,
      body: {
        detail:
          "Invalid trace status 'done'. Expected one of: running, completed, failed, cancelled, timeout, aborted_resource_guard, aborted_safety_guard, partial, suspended",
      },
    });
    model.llm.enqueue({ text: 'one' }, { text: 'two' });
    const first = await runSync(server, 'a', 'A');
    const second = await runSync(server, 'b', 'B');
    const all = (await get(server, '/telemetry/traces')).body;
    expect(all.filters).toEqual({ limit: 100, normalize: false });
    expect(all.count).toBe(4);
    expect(all.traces[0].run_id).toBe(second.body.run_id);
    expect(all.traces.at(-1).run_id).toBe(first.body.run_id);
    const filtered = (await get(server, '/telemetry/traces?session_id=A&status=completed&model=scripted-model&limit=5')).body;
    expect(filtered.filters).toEqual({ limit: 5, model: 'scripted-model', normalize: false, session_id: 'A', status: 'completed' });
    expect(filtered.traces.map((t: { trace_id: string }) => t.trace_id)).toEqual([first.body.trace_id]);
    expect((await get(server, '/telemetry/traces?limit=1')).body.count).toBe(1);
    expect((await get(server, '/telemetry/traces?normalize=maybe')).status).toBe(422);
  });

  it('answers 404 with the reference bodies', async () => {
    const server = toolServer();
    expect(await get(server, '/telemetry/traces/nope')).toEqual({ status: 404, body: { detail: 'Trace not found: nope' } });
    expect(await get(server, '/telemetry/runs/run_nope/trace')).toEqual({ status: 404, body: { detail: 'Trace not found for run: run_nope' } });
    expect(await get(server, '/telemetry/sessions/nobody/trace')).toEqual({
      status: 404,
      body: { detail: 'Trace not found for session: nobody' },
    });
    expect(await get(server, '/events/nobody/trace')).toEqual({
      status: 200,
      body: { session_id: 'nobody', summary: { trace_id: null, run_id: null, status: null, event_count: 0, span_count: 0 }, steps: [] },
    });
  });

  it('does not show a run of another session as this session\'s trace', async () => {
    const server = toolServer();
    model.llm.enqueue({ text: 'x' });
    const run = await runSync(server, 'q', 'mine');
    const other = (await get(server, `/events/theirs/trace?run_id=${run.body.run_id}`)).body;
    expect(other.summary.trace_id).toBeNull();
    expect((await get(server, `/events/mine/trace?run_id=${run.body.run_id}`)).body.summary.trace_id).toBe(run.body.trace_id);
  });
});

describe('trace status of a run that did not succeed', () => {
  it('a failing model: the agent trace fails and the serve trace ends with serve_request_error', async () => {
    const server = toolServer();
    model.llm.enqueue({ error: { status: 400, message: 'bad request' } });
    const run = await runSync(server, 'q', 'F');
    expect(run.status).toBe(500);
    const traces = (await get(server, '/telemetry/traces?session_id=F')).body.traces;
    expect(traces.map((t: { status: string }) => t.status)).toEqual(['failed', 'failed']);
    const serveTrace = traces.find((t: { metadata: { tags: string[] } }) => t.metadata.tags.includes('serve'));
    const events = (await get(server, `/telemetry/traces/${serveTrace.trace_id}`)).body.trace.events;
    expect(events.map((e: { event_type: string }) => e.event_type)).toEqual(['serve_request_start', 'serve_request_error']);
    expect(events[1].error).toMatchObject({ type: 'AgentRunError', message: expect.stringContaining('bad request') });
  });

  it('a run past the request timeout: both traces end as timeout', async () => {
    const server = tracked(serve(scriptedAgent(model.llm), { requestTimeout: 1 }));
    model.llm.enqueue({ hang: true });
    const run = await runSync(server, 'q', 'T');
    expect(run.status).toBe(504);
    const traces = (await get(server, '/telemetry/traces?session_id=T')).body.traces;
    expect(traces.map((t: { status: string }) => t.status).sort()).toEqual(['timeout', 'timeout']);
    const serveTrace = traces.find((t: { metadata: { tags: string[] } }) => t.metadata.tags.includes('serve'));
    expect(serveTrace.spans[0]).toMatchObject({ status: 'timeout', error: { type: 'TimeoutError', message: 'Request timed out after 1 seconds' } });
  });

  it('a light agent without telemetry: the serve trace is the run\'s trace', async () => {
    const server = tracked(serve({ name: 'Light', run: async () => 'ok' }));
    const run = await runSync(server, 'q', 'L');
    const { body } = await get(server, `/telemetry/runs/${run.body.run_id}/trace`);
    expect(body.trace.metadata.tags).toEqual(['serve']);
    expect(body.trace.events.map((e: { event_type: string }) => e.event_type)).toEqual(['serve_request_start', 'serve_request_end']);
    expect(body.trace.events[1].output).toEqual({ status: 'completed', agent_trace_id: null });
  });

  it('a streaming client that disconnects: the serve trace is cancelled with "SSE stream closed"', async () => {
    const server = tracked(serve(scriptedAgent(model.llm), { requestTimeout: 0 }));
    const origin = await server.start('127.0.0.1', 0);
    model.llm.enqueue({ hang: true });
    const controller = new AbortController();
    const res = await fetch(`${origin}/run`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'q', session_id: 'C' }), signal: controller.signal,
    });
    const reader = res.body?.getReader();
    await reader?.read();
    await model.llm.waitFor((requests) => requests.length > 0);
    controller.abort();
    let serveTrace: { status: string; spans: { error: unknown }[] } | undefined;
    await expect.poll(async () => {
      const traces = (await get(server, '/telemetry/traces?session_id=C')).body.traces;
      serveTrace = traces.find((t: { metadata: { tags: string[] } }) => t.metadata.tags.includes('serve'));
      return serveTrace?.status;
    }).toBe('cancelled');
    expect(serveTrace?.spans[0]?.error).toEqual({ type: 'CancelledError', message: 'SSE stream closed' });
    const agentTrace = (await get(server, '/telemetry/sessions/C/trace')).body.trace;
    expect(agentTrace.status).toBe('cancelled');
  });
});
