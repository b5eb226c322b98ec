import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mcpTestServerStdioConfig, startMcpHttpTestServer } from '../../src/testing/mcp-test-server.ts';
import { ScriptedOpenAIServer } from '../../src/testing/scripted-openai-server.ts';
import { scriptedAgent, serve } from '../support/serve-fixture.ts';

let llm: ScriptedOpenAIServer;
let http: Awaited<ReturnType<typeof startMcpHttpTestServer>>;
beforeAll(async () => {
  llm = await ScriptedOpenAIServer.start();
  http = await startMcpHttpTestServer();
});
afterEach(() => llm.reset());
afterAll(async () => {
  await llm.close();
  await http.close();
});

describe('MCP tools', () => {
  it('connects stdio and HTTP servers at start-up, lists their tools as mcp, and reports each in /ready', async () => {
    const agent = scriptedAgent(llm, {
      mcpTools: [mcpTestServerStdioConfig('local'), { name: 'remote', transport: 'streamable_http', url: http.url }],
    });
    const server = serve(agent);
    const ready = (await server.app.inject({ method: 'GET', url: '/ready' })).json();
    expect(ready).toMatchObject({
      ready: true,
      mcp_connected: true,
      mcp_servers: { local: { status: 'connected' }, remote: { status: 'connected' } },
    });
    const tools = (await server.app.inject({ method: 'GET', url: '/tools' })).json();
    const names = tools.tools.map((t: { name: string; type: string }) => `${t.type}:${t.name}`);
    expect(names).toContain('mcp:add');
    expect(names).toContain('mcp:remote__add');
    expect(tools.tools.find((t: { name: string }) => t.name === 'add').inputSchema.properties).toHaveProperty('a');
    await server.stop();
  });

  it('runs an MCP tool round trip through the model', async () => {
    const agent = scriptedAgent(llm, { mcpTools: [{ name: 'remote', transport: 'streamable_http', url: http.url }] });
    const server = serve(agent);
    llm.enqueue({ toolCalls: [{ name: 'add', arguments: { a: 20, b: 22 } }] }, { text: 'It is 42.' });
    const res = await server.app.inject({ method: 'POST', url: '/run', payload: { query: 'add 20 and 22' } });
    const body = res.body;
    expect(body).toContain('event: mcp_tool_call');
    expect(body).toContain('event: mcp_tool_result');
    const toolMessage = llm.requests[1]?.body?.messages?.find((m) => m.role === 'tool');
    expect(JSON.stringify(toolMessage?.content)).toContain('42');
    expect(http.calls.some((c) => c.name === 'add' && c.arguments['a'] === 20)).toBe(true);
    await server.stop();
  });

  it('stays up and reports not ready when one MCP server cannot connect', async () => {
    const agent = scriptedAgent(llm, {
      mcpTools: [
        { name: 'good', transport: 'streamable_http', url: http.url },
        { name: 'gone', command: '/definitely/not/a/command' },
      ],
    });
    const server = serve(agent);
    const ready = (await server.app.inject({ method: 'GET', url: '/ready' })).json();
    expect(ready.ready).toBe(false);
    expect(ready.mcp_connected).toBe(false);
    expect(ready.mcp_servers.good.status).toBe('connected');
    expect(ready.mcp_servers.gone).toMatchObject({ status: 'failed', error: expect.stringContaining('not/a/command') });
    llm.enqueue({ text: 'still answering' });
    const res = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'hi' } });
    expect(res.json().response).toBe('still answering');
    await server.stop();
  });
});
