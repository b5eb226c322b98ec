import { describe, expect, it } from 'vitest';
import type { AgentRunOptions } from '../../src/agent/servable-agent.ts';
import { parseSse, serve } from '../support/serve-fixture.ts';

/** An agent with only what the contract requires: a name and run(). Every endpoint must still answer. */
class PlainAgent {
  name = 'Plain';
  seen: AgentRunOptions[] = [];
  async run(query: string, options: AgentRunOptions): Promise<string> {
    this.seen.push(options);
    return 'plain response';
  }
}

describe('a light agent (only name and run)', () => {
  it('answers /run/sync with exactly the reference body for a string result', async () => {
    const agent = new PlainAgent();
    const server = serve(agent);
    const res = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'hi', session_id: 'abc' } });
    const body = res.json();
    expect(Object.keys(body)).toEqual(['response', 'session_id', 'agent_name', 'metric', 'trace_id', 'run_id']);
    expect(body).toMatchObject({ response: 'plain response', session_id: 'abc', agent_name: 'Plain', metric: null, trace_id: null });
    expect(body.run_id).toMatch(/^run_[0-9a-f]{32}$/);
    expect(agent.seen[0]).toMatchObject({ sessionId: 'abc', runId: body.run_id });
    await server.stop();
  });

  it('streams session, complete and session ended over /run', async () => {
    const server = serve(new PlainAgent());
    const frames = parseSse((await server.app.inject({ method: 'POST', url: '/run', payload: { query: 'hi' } })).body);
    expect(frames.map((f) => f.event)).toEqual(['session', 'complete', 'session']);
    expect(frames[1]?.data.response).toBe('plain response');
    await server.stop();
  });

  it('answers every read endpoint with empty values instead of failing', async () => {
    const server = serve(new PlainAgent());
    const get = async (url: string) => (await server.app.inject({ method: 'GET', url })).json();
    expect(await get('/tools')).toEqual({ tools: [], total: 0 });
    expect(await get('/metrics')).toEqual({
      total_requests: 0, total_request_tokens: 0, total_response_tokens: 0, total_tokens: 0, total_time: 0, average_time: 0,
    });
    expect(await get('/sessions/x/history')).toEqual({ session_id: 'x', messages: [], count: 0 });
    expect((await server.app.inject({ method: 'DELETE', url: '/sessions/x' })).json()).toEqual({ status: 'cleared', session_id: 'x' });
    expect(await get('/ready')).toEqual({ ready: true, agent_name: 'Plain', initialized: true, mcp_connected: true });
    await server.stop();
  });

  it('normalises a mapping result, reading snake_case or camelCase keys', async () => {
    const server = serve({
      name: 'Mapper',
      run: async () => ({ response: 'r', agentName: 'Other', metric: { total_tokens: 3 }, trace_id: 't-1', runId: 'run_custom' }),
    });
    const body = (await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'q', session_id: 's' } })).json();
    expect(body).toEqual({ response: 'r', session_id: 's', agent_name: 'Other', metric: { total_tokens: 3 }, trace_id: 't-1', run_id: 'run_custom' });
    await server.stop();
  });

  it('returns 500 with the agent error message, credentials scrubbed', async () => {
    const server = serve({
      name: 'Broken',
      run: async () => {
        throw new Error('db connect failed for postgres://app:hunter2secret@db:5432/x');
      },
    });
    const res = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'q' } });
    expect(res.statusCode).toBe(500);
    expect(res.json().detail).toContain('db connect failed');
    expect(res.json().detail).not.toContain('hunter2secret');
    await server.stop();
  });

  it('times out an agent that ignores its abort signal', async () => {
    const server = serve({ name: 'Deaf', run: () => new Promise(() => undefined) }, { requestTimeout: 1 });
    const res = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'q' } });
    expect(res.statusCode).toBe(504);
    await server.stop();
  });
});

describe('health and readiness', () => {
  it('reports health with uptime and version', async () => {
    const server = serve(new PlainAgent());
    const body = (await server.app.inject({ method: 'GET', url: '/health' })).json();
    expect(body).toMatchObject({ status: 'healthy', agent_name: 'Plain', version: expect.any(String) });
    expect(body.uptime).toBeGreaterThanOrEqual(0);
    await server.stop();
  });

  it('is not ready until start-up finished (agent connect awaited), and says so with 200', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const agent = { name: 'Slow', run: async () => 'x', connectMcpServers: () => gate };
    const server = serve(agent);
    const ready = server.app.ready();
    // Routes answer before start-up completes only through the listening server; here we check state after it.
    release();
    await ready;
    const res = await server.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json().ready).toBe(true);
    await server.stop();
  });

  it('reports not ready when the agent says it is not initialised or an MCP server is down', async () => {
    const server = serve({
      name: 'Half',
      run: async () => 'x',
      initialized: false,
      mcpServerStatus: () => ({ files: { status: 'failed', error: 'spawn ENOENT' } }),
    } as never);
    const body = (await server.app.inject({ method: 'GET', url: '/ready' })).json();
    expect(body).toEqual({
      ready: false, agent_name: 'Half', initialized: false, mcp_connected: false,
      mcp_servers: { files: { status: 'failed', error: 'spawn ENOENT' } },
    });
    await server.stop();
  });
});
