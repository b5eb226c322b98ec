import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ToolRegistry } from '../../src/agent/tool-registry.ts';
import { ScriptedOpenAIServer } from '../../src/testing/scripted-openai-server.ts';
import { parseSse, scriptedAgent, serve } from '../support/serve-fixture.ts';

let llm: ScriptedOpenAIServer;
beforeAll(async () => {
  llm = await ScriptedOpenAIServer.start();
});
afterEach(() => llm.reset());
afterAll(async () => llm.close());

describe('POST /run (SSE)', () => {
  it('streams session started, live events with text deltas, complete, then session ended', async () => {
    const server = serve(scriptedAgent(llm));
    llm.enqueue({ text: 'one two three four', chunkSize: 4 });
    const res = await server.app.inject({ method: 'POST', url: '/run', payload: { query: 'count', session_id: 'S' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-accel-buffering']).toBe('no');
    const frames = parseSse(res.body);
    expect(frames[0]).toMatchObject({ event: 'session', data: { session_id: 'S', status: 'started' } });
    expect(frames.at(-1)).toMatchObject({ event: 'session', data: { session_id: 'S', status: 'ended' } });
    const complete = frames.find((f) => f.event === 'complete');
    expect(complete?.data).toMatchObject({ session_id: 'S', response: 'one two three four', agent_name: 'TestAgent' });
    const runId = complete?.data.run_id;
    const deltas = frames.filter((f) => f.event === 'text_delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((f) => f.data.output.delta).join('')).toBe('one two three four');
    const names = frames.map((f) => f.event);
    expect(names.indexOf('agent_start')).toBeLessThan(names.indexOf('model_call'));
    expect(names.indexOf('model_response')).toBeLessThan(names.indexOf('complete'));
    for (const frame of frames.slice(1, -2)) {
      expect(frame.id).toBeDefined();
      expect(frame.data).toMatchObject({ session_id: 'S', run_id: runId, type: frame.event });
    }
    const response = frames.find((f) => f.event === 'model_response');
    expect(response?.data.token_usage.total_tokens).toBeGreaterThan(0);
    await server.stop();
  });

  it('streams tool calls and results between model steps', async () => {
    const tools = new ToolRegistry().register({
      name: 'add', description: 'adds', inputSchema: z.object({ a: z.number(), b: z.number() }), execute: ({ a, b }) => a + b,
    });
    const server = serve(scriptedAgent(llm, { localTools: tools }));
    llm.enqueue({ toolCalls: [{ name: 'add', arguments: { a: 2, b: 40 } }] }, { text: '42' });
    const frames = parseSse((await server.app.inject({ method: 'POST', url: '/run', payload: { query: 'sum' } })).body);
    const call = frames.find((f) => f.event === 'tool_call');
    const result = frames.find((f) => f.event === 'tool_result');
    expect(call?.data.input).toMatchObject({ tool_name: 'add', arguments: { a: 2, b: 40 } });
    expect(result?.data.output).toMatchObject({ tool_name: 'add', result: 42 });
    expect(frames.find((f) => f.event === 'complete')?.data.response).toBe('42');
    await server.stop();
  });

  it('sends an error frame, then session ended, when the model fails', async () => {
    const server = serve(scriptedAgent(llm));
    llm.enqueue({ error: { status: 500, message: 'upstream exploded' } });
    const frames = parseSse((await server.app.inject({ method: 'POST', url: '/run', payload: { query: 'x', session_id: 'E' } })).body);
    const error = frames.find((f) => f.event === 'error');
    expect(error?.data.error).toContain('500');
    expect(error?.data).toMatchObject({ session_id: 'E', run_id: expect.stringMatching(/^run_/) });
    expect(frames.some((f) => f.event === 'complete')).toBe(false);
    expect(frames.at(-1)).toMatchObject({ event: 'session', data: { status: 'ended' } });
    await server.stop();
  });

  it('sends a "Request timed out" error frame when the run outlasts the request timeout', async () => {
    const server = serve(scriptedAgent(llm), { requestTimeout: 1 });
    llm.enqueue({ hang: true });
    const frames = parseSse((await server.app.inject({ method: 'POST', url: '/run', payload: { query: 'x' } })).body);
    expect(frames.find((f) => f.event === 'error')?.data.error).toBe('Request timed out');
    expect(frames.at(-1)?.data.status).toBe('ended');
    await server.stop();
  });

  it('sends heartbeat comments while a run is quiet', async () => {
    const server = serve(scriptedAgent(llm), { sseHeartbeatSeconds: 0.05 });
    llm.enqueue({ text: 'late', delayMs: 300 });
    const res = await server.app.inject({ method: 'POST', url: '/run', payload: { query: 'x' } });
    expect(res.body).toMatch(/^: keep-alive$/m);
    expect(parseSse(res.body).find((f) => f.event === 'complete')?.data.response).toBe('late');
    await server.stop();
  });
});
