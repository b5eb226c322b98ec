import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { ScriptedOpenAIServer } from '../testing/scripted-openai-server.ts';
import { OmniCoreAgent, type OmniCoreAgentOptions } from './omni-core-agent.ts';
import type { AgentStreamPart } from './stream-run.ts';
import { ToolRegistry } from './tool-registry.ts';

let llm: ScriptedOpenAIServer;
beforeAll(async () => {
  llm = await ScriptedOpenAIServer.start();
});
afterEach(() => llm.reset());
afterAll(async () => llm.close());

function agent(options: Partial<OmniCoreAgentOptions> = {}): OmniCoreAgent {
  return new OmniCoreAgent({
    name: 'Unit',
    modelConfig: { provider: 'openai', model: 'm', baseUrl: llm.baseUrl, apiKey: 'k', maxRetries: 0 },
    ...options,
  });
}

describe('OmniCoreAgent', () => {
  it('refuses a bad configuration at construction, listing every problem', () => {
    let error: unknown;
    try {
      new OmniCoreAgent({
        name: '',
        modelConfig: { provider: 'nope', model: '' },
        agentConfig: { maxSteps: 0, bogus: 1 } as never,
        mcpTools: [{ name: 'x' } as never],
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('non-empty name');
    expect(problems).toContain('Unknown LLM provider "nope"');
    expect(problems).toContain('agentConfig.maxSteps');
    expect(problems).toContain('agentConfig.bogus');
    expect(problems).toContain('mcpTools[0]');
  });

  it('streams text deltas, tool calls and tool results in order, then the result', async () => {
    const tools = new ToolRegistry().register({
      name: 'double', description: 'x2', inputSchema: z.object({ n: z.number() }), execute: ({ n }) => n * 2,
    });
    llm.enqueue({ toolCalls: [{ name: 'double', arguments: { n: 21 } }] }, { text: 'It is 42 indeed' });
    const parts: AgentStreamPart[] = [];
    for await (const part of agent({ localTools: tools }).runStream('double 21', { sessionId: 's' })) parts.push(part);
    const types = parts.map((p) => p.type);
    expect(types.indexOf('tool-call')).toBeLessThan(types.indexOf('tool-result'));
    expect(types.indexOf('tool-result')).toBeLessThan(types.indexOf('text-delta'));
    expect(types.filter((t) => t === 'text-delta').length).toBeGreaterThan(1);
    expect(parts.find((p) => p.type === 'tool-result')).toMatchObject({ toolName: 'double', result: 42 });
    expect(parts.at(-1)).toMatchObject({ type: 'finish', result: { response: 'It is 42 indeed', sessionId: 's' } });
  });

  it('aborts the model call when the stream consumer stops reading', async () => {
    llm.enqueue({ text: 'a b c d e f g h i j k l m n o p', chunkDelayMs: 50 });
    for await (const part of agent().runStream('go', { sessionId: 's' })) {
      if (part.type === 'text-delta') break;
    }
    await expect.poll(() => llm.requests[0]?.aborted).toBe(true);
  });

  it('runs two requests on one session one after the other, so the history is never interleaved', async () => {
    const a = agent();
    llm.enqueue({ text: 'first', delayMs: 100 }, { text: 'second' });
    await Promise.all([a.run('one', { sessionId: 'same' }), a.run('two', { sessionId: 'same' })]);
    const second = llm.requests[1]?.body?.messages?.map((m) => m.role);
    expect(second).toEqual(['user', 'assistant', 'user']);
    const history = await a.getSessionHistory('same');
    expect(history.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
  });

  it('adds nothing to the history when a run fails', async () => {
    const a = agent();
    llm.enqueue({ error: { status: 500 } });
    await expect(a.run('doomed', { sessionId: 'f' })).rejects.toThrow(/500/);
    expect(await a.getSessionHistory('f')).toEqual([]);
  });

  it('stops at the token limit and says so', async () => {
    const tools = new ToolRegistry().register({ name: 'again', description: 'x', inputSchema: z.object({}), execute: () => 'ok' });
    llm.enqueue(
      { toolCalls: [{ name: 'again', arguments: {} }], usage: { promptTokens: 80, completionTokens: 30 } },
      { toolCalls: [{ name: 'again', arguments: {} }] },
    );
    const result = await agent({ localTools: tools, agentConfig: { totalTokensLimit: 100 } }).run('go', { sessionId: 't' });
    expect(result.terminationReason).toBe('token_limit');
    expect(llm.requests).toHaveLength(1);
  });

  it('stops at the request limit and says so', async () => {
    const tools = new ToolRegistry().register({ name: 'again', description: 'x', inputSchema: z.object({}), execute: () => 'ok' });
    llm.enqueue({ toolCalls: [{ name: 'again', arguments: {} }] }, { toolCalls: [{ name: 'again', arguments: {} }] }, { text: 'never' });
    const result = await agent({ localTools: tools, agentConfig: { requestLimit: 2 } }).run('go', { sessionId: 'r' });
    expect(result.terminationReason).toBe('request_limit');
    expect(llm.requests).toHaveLength(2);
  });

  it('counts runs and tokens in getMetrics', async () => {
    const a = agent();
    llm.enqueue({ text: 'x', usage: { promptTokens: 10, completionTokens: 5 } }, { text: 'y', usage: { promptTokens: 20, completionTokens: 1 } });
    await a.run('1', { sessionId: 'm' });
    await a.run('2', { sessionId: 'n' });
    expect(a.getMetrics()).toMatchObject({ total_requests: 2, total_request_tokens: 30, total_response_tokens: 6, total_tokens: 36 });
  });

  it('records the run as cancelled when its signal aborts mid-call', async () => {
    const controller = new AbortController();
    const events: string[] = [];
    llm.enqueue({ hang: true });
    const run = agent().run('hang', { sessionId: 'c', signal: controller.signal, onEvent: (e) => events.push(e.event_type) });
    await llm.waitFor((requests) => requests.length === 1);
    controller.abort();
    await expect(run).rejects.toMatchObject({ name: 'AgentRunError', cancelled: true });
    expect(events.at(-1)).toBe('agent_end');
    await expect.poll(() => llm.requests[0]?.aborted).toBe(true);
  });
});

describe('ToolRegistry', () => {
  it('refuses names providers would reject, duplicates, and schemas that are neither zod nor JSON Schema', () => {
    const registry = new ToolRegistry().register({ name: 'ok_tool', description: '', inputSchema: { type: 'object' }, execute: () => 1 });
    expect(() => registry.register({ name: 'ok_tool', description: '', inputSchema: { type: 'object' }, execute: () => 1 })).toThrow(/already registered/);
    expect(() => registry.register({ name: 'bad name!', description: '', inputSchema: { type: 'object' }, execute: () => 1 })).toThrow(/invalid/);
    expect(() => registry.register({ name: 'x', description: '', inputSchema: 'nope' as never, execute: () => 1 })).toThrow(/inputSchema/);
    expect(() => registry.register({ name: 'y', description: '', inputSchema: { type: 'nonsense' }, execute: () => 1 })).toThrow(/invalid JSON Schema/);
  });

  it('validates JSON Schema arguments and names the bad field', () => {
    const registry = new ToolRegistry().register({
      name: 'typed', description: '', execute: () => 1,
      inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    });
    const check = registry.get('typed')!.checkArguments({ city: 3 });
    expect(check).toEqual({ ok: false, message: 'city: must be string' });
  });
});
