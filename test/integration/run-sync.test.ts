import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ToolRegistry } from '../../src/agent/tool-registry.ts';
import { ScriptedOpenAIServer } from '../../src/testing/scripted-openai-server.ts';
import { scriptedAgent, serve } from '../support/serve-fixture.ts';

let llm: ScriptedOpenAIServer;
beforeAll(async () => {
  llm = await ScriptedOpenAIServer.start();
});
afterEach(() => llm.reset());
afterAll(async () => llm.close());

describe('POST /run/sync', () => {
  it('answers with the reference keys, the model text and token counts', async () => {
    const server = serve(scriptedAgent(llm));
    llm.enqueue({ text: 'Hello from the model', usage: { promptTokens: 11, completionTokens: 4 } });
    const res = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'hi', session_id: 'sess-1' } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      response: 'Hello from the model',
      session_id: 'sess-1',
      agent_name: 'TestAgent',
      status: 'success',
      metric: { request_tokens: 11, response_tokens: 4, total_tokens: 15 },
    });
    expect(body.run_id).toMatch(/^run_[0-9a-f]{32}$/);
    expect(body.trace_id).toMatch(/^trace_/);
    expect(llm.requests[0]?.body?.messages?.[0]).toMatchObject({ role: 'system', content: 'You are a test agent.' });
    await server.stop();
  });

  it('creates a session when none is given and keeps the conversation across requests', async () => {
    const server = serve(scriptedAgent(llm));
    llm.enqueue({ text: 'first answer' }, { text: 'second answer' });
    const first = (await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'one' } })).json();
    expect(first.session_id).toEqual(expect.any(String));
    expect(first.session_id.length).toBeGreaterThan(0);
    await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'two', session_id: first.session_id } });
    const sent = llm.requests[1]?.body?.messages?.map((m) => [m.role, typeof m.content === 'string' ? m.content : JSON.stringify(m.content)]);
    expect(sent).toEqual([
      ['system', 'You are a test agent.'],
      ['user', 'one'],
      ['assistant', 'first answer'],
      ['user', 'two'],
    ]);
    const history = (await server.app.inject({ method: 'GET', url: `/sessions/${first.session_id}/history` })).json();
    expect(history.count).toBe(4);
    expect(history.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);

    const cleared = await server.app.inject({ method: 'DELETE', url: `/sessions/${first.session_id}` });
    expect(cleared.json()).toEqual({ status: 'cleared', session_id: first.session_id });
    const after = (await server.app.inject({ method: 'GET', url: `/sessions/${first.session_id}/history` })).json();
    expect(after).toEqual({ session_id: first.session_id, messages: [], count: 0 });
    await server.stop();
  });

  it('runs a local tool round trip: the model asks, the tool runs, the model answers with its result', async () => {
    const calls: unknown[] = [];
    const tools = new ToolRegistry().register({
      name: 'lookup_order',
      description: 'Find an order',
      inputSchema: z.object({ order_id: z.string() }),
      execute: async ({ order_id }) => {
        calls.push(order_id);
        return { order_id, status: 'shipped' };
      },
    });
    const server = serve(scriptedAgent(llm, { localTools: tools }));
    llm.enqueue({ toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'A-17' } }] }, { text: 'Order A-17 has shipped.' });
    const res = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'where is A-17?' } });
    expect(res.json().response).toBe('Order A-17 has shipped.');
    expect(calls).toEqual(['A-17']);
    const toolMessage = llm.requests[1]?.body?.messages?.find((m) => m.role === 'tool');
    expect(JSON.stringify(toolMessage?.content)).toContain('shipped');
    expect(llm.requests[0]?.body?.tools).toEqual([
      expect.objectContaining({ type: 'function', function: expect.objectContaining({ name: 'lookup_order' }) }),
    ]);
    await server.stop();
  });

  it('gives the model an error result, not a failed run, when a tool throws or gets bad arguments', async () => {
    const tools = new ToolRegistry()
      .register({ name: 'explode', description: 'fails', inputSchema: z.object({}), execute: () => { throw new Error('disk on fire'); } })
      .register({ name: 'typed', description: 'needs a number', inputSchema: z.object({ n: z.number() }), execute: ({ n }) => n });
    const server = serve(scriptedAgent(llm, { localTools: tools }));
    llm.enqueue(
      { toolCalls: [{ name: 'explode', arguments: {} }, { name: 'typed', arguments: { n: 'seven' } }] },
      { text: 'Both tools failed, sorry.' },
    );
    const res = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'go' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().response).toBe('Both tools failed, sorry.');
    const toolText = JSON.stringify(llm.requests[1]?.body?.messages?.filter((m) => m.role === 'tool'));
    expect(toolText).toContain('Tool \\"explode\\" failed: disk on fire');
    expect(toolText).toContain('Tool \\"typed\\" got invalid arguments');
    await server.stop();
  });

  it('answers a tool that never returns with a timeout result the model sees', async () => {
    const tools = new ToolRegistry().register({
      name: 'stuck',
      description: 'never returns',
      inputSchema: z.object({}),
      execute: () => new Promise(() => undefined),
    });
    const server = serve(scriptedAgent(llm, { localTools: tools, agentConfig: { toolCallTimeoutSeconds: 0.2 } }));
    llm.enqueue({ toolCalls: [{ name: 'stuck', arguments: {} }] }, { text: 'The tool timed out.' });
    const res = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'go' } });
    expect(res.json().response).toBe('The tool timed out.');
    expect(JSON.stringify(llm.requests[1]?.body?.messages)).toContain('timed out after 0.2 seconds');
    await server.stop();
  });

  it('stops calling the model after maxSteps', async () => {
    const tools = new ToolRegistry().register({ name: 'again', description: 'x', inputSchema: z.object({}), execute: () => 'ok' });
    const server = serve(scriptedAgent(llm, { localTools: tools, agentConfig: { maxSteps: 2 } }));
    llm.enqueue(
      { toolCalls: [{ name: 'again', arguments: {} }] },
      { toolCalls: [{ name: 'again', arguments: {} }] },
      { toolCalls: [{ name: 'again', arguments: {} }] },
    );
    const res = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'loop' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().termination_reason).toBe('max_steps');
    expect(llm.requests).toHaveLength(2);
    await server.stop();
  });

  it('turns a provider failure into a 500 whose detail says what went wrong, without the key', async () => {
    const server = serve(scriptedAgent(llm));
    llm.enqueue({ error: { status: 401, message: 'Incorrect API key provided: sk-live-abcdefghijklmnop1234' } });
    const res = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'hi' } });
    expect(res.statusCode).toBe(500);
    const detail = res.json().detail as string;
    expect(detail).toContain('401');
    expect(detail).toContain('LLM_API_KEY');
    expect(detail).not.toContain('abcdefghijklmnop1234');
    await server.stop();
  });

  it('gives 504 and aborts the model call when the run outlasts the request timeout', async () => {
    const server = serve(scriptedAgent(llm), { requestTimeout: 1 });
    llm.enqueue({ hang: true });
    const res = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'slow' } });
    expect(res.statusCode).toBe(504);
    expect(res.json()).toEqual({ detail: 'Request timed out after 1 seconds' });
    await expect.poll(() => llm.requests[0]?.aborted).toBe(true);
    await server.stop();
  });
});

describe('request validation (422, FastAPI detail shape)', () => {
  const cases: [string, unknown, string | undefined, object][] = [
    ['missing query', { session_id: 'x' }, 'application/json', { type: 'missing', loc: ['body', 'query'], msg: 'Field required' }],
    ['query not a string', { query: 5 }, 'application/json', { type: 'string_type', loc: ['body', 'query'], input: 5 }],
    ['session_id not a string', { query: 'q', session_id: 3 }, 'application/json', { type: 'string_type', loc: ['body', 'session_id'] }],
    ['body not an object', [1, 2], 'application/json', { loc: ['body'] }],
    ['malformed JSON', '{"query": ', 'application/json', { type: 'json_invalid', loc: ['body'] }],
    ['no body', undefined, undefined, { loc: ['body'] }],
    ['text body', 'query=hi', 'text/plain', { loc: ['body'] }],
  ];
  for (const [name, payload, type, first] of cases) {
    it(`rejects ${name} on /run/sync and /run before any model call`, async () => {
      const server = serve(scriptedAgent(llm));
      for (const url of ['/run/sync', '/run']) {
        const res = await server.app.inject({
          method: 'POST',
          url,
          ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
          headers: type === undefined ? {} : { 'content-type': type },
        });
        expect(res.statusCode).toBe(422);
        expect(res.headers['content-type']).toContain('application/json');
        expect(res.json().detail[0]).toMatchObject(first);
      }
      expect(llm.requests).toHaveLength(0);
      await server.stop();
    });
  }

  it('accepts the empty query like the reference does', async () => {
    const server = serve(scriptedAgent(llm));
    const res = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: '' } });
    expect(res.statusCode).toBe(200);
    await server.stop();
  });

  it('answers unknown paths with 404 {"detail":"Not Found"}', async () => {
    const server = serve(scriptedAgent(llm));
    const res = await server.app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'Not Found' });
    await server.stop();
  });
});
