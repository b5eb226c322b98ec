import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { OmniServe } from '../../src/app/omni-serve.ts';
import { ToolRegistry } from '../../src/agent/tool-registry.ts';
import { ScriptedOpenAIServer } from '../../src/testing/scripted-openai-server.ts';
import { scriptedAgent, serve } from '../support/serve-fixture.ts';

let llm: ScriptedOpenAIServer;
beforeAll(async () => {
  llm = await ScriptedOpenAIServer.start();
});
afterEach(() => llm.reset());
afterAll(async () => llm.close());

async function scrape(server: OmniServe): Promise<string> {
  const res = await server.app.inject({ method: 'GET', url: '/prometheus' });
  expect(res.statusCode).toBe(200);
  return res.body;
}

/** The value of one sample line (`name{labels} value`), or undefined when the line is absent. */
function sample(text: string, name: string): string | undefined {
  return text.split('\n').find((line) => line.startsWith(`${name} `))?.slice(name.length + 1);
}

const plainAgent = { name: 'Plain', run: async () => 'plain response' };

describe('GET /prometheus', () => {
  it('serves the text format at the root, without a token, and counts nothing on a fresh app', async () => {
    const server = serve(plainAgent, { authEnabled: true, authToken: 'tok', apiPrefix: '/api' });
    const res = await server.app.inject({ method: 'GET', url: '/prometheus' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toContain('# TYPE omniserve_requests_total counter\nomniserve_requests_total 0\n');
    expect(sample(res.body, 'omniserve_active_requests')).toBe('0');
    expect(res.body).not.toContain('omniserve_request_duration_seconds');
    expect((await server.app.inject({ method: 'GET', url: '/api/prometheus' })).statusCode).toBe(401);
    await server.stop();
  });

  it('counts one /run/sync as one request, by route template, and never counts its own scrapes', async () => {
    const server = serve(plainAgent);
    await scrape(server);
    const run = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'q' } });
    expect(run.statusCode).toBe(200);
    await scrape(server);
    const text = await scrape(server);
    expect(sample(text, 'omniserve_requests_total')).toBe('1');
    expect(sample(text, 'omniserve_requests_success')).toBe('1');
    expect(sample(text, 'omniserve_requests_error')).toBe('0');
    expect(sample(text, 'omniserve_requests_run_sync_total')).toBe('1');
    expect(text).toContain('# TYPE omniserve_request_duration_seconds summary');
    expect(sample(text, 'omniserve_request_duration_seconds_count')).toBe('1');
    expect(sample(text, 'omniserve_request_duration_seconds_sum')).toMatch(/^\d+\.\d{6}$/);
    expect(sample(text, 'omniserve_request_duration_seconds_avg')).toMatch(/^\d+\.\d{6}$/);
    expect(text).not.toContain('omniserve_requests_prometheus_total');
    await server.stop();
  });

  it('names routes by template only: no session or run id ever appears', async () => {
    const server = serve(plainAgent);
    await server.app.inject({ method: 'GET', url: '/sessions/abc123/history' });
    await server.app.inject({ method: 'GET', url: '/sessions/def456/history' });
    await server.app.inject({ method: 'DELETE', url: '/sessions/abc123' });
    const run = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'q', session_id: 'sess-private-9' } });
    await server.app.inject({ method: 'GET', url: '/no/such/path/xyz789' });
    const text = await scrape(server);
    expect(sample(text, 'omniserve_requests_sessions_session_id_history_total')).toBe('2');
    expect(sample(text, 'omniserve_requests_sessions_session_id_total')).toBe('1');
    expect(sample(text, 'omniserve_requests_unmatched_total')).toBe('1');
    expect(sample(text, 'omniserve_requests_error')).toBe('1');
    for (const id of ['abc123', 'def456', 'sess-private-9', 'sess_private_9', 'xyz789', run.json().run_id]) {
      expect(text).not.toContain(id);
    }
    await server.stop();
  });

  it('keeps the counters of two servers in one process apart', async () => {
    const one = serve(plainAgent);
    const two = serve(plainAgent);
    await one.app.inject({ method: 'GET', url: '/health' });
    await one.app.inject({ method: 'GET', url: '/health' });
    expect(sample(await scrape(one), 'omniserve_requests_total')).toBe('2');
    expect(sample(await scrape(two), 'omniserve_requests_total')).toBe('0');
    await Promise.all([one.stop(), two.stop()]);
  });

  it('shows a request as active while it is answered', async () => {
    let finish: (value: string) => void = () => undefined;
    const server = serve({ name: 'Slow', run: () => new Promise<string>((resolve) => (finish = resolve)) });
    const pending = server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'q' } });
    await expect.poll(async () => sample(await scrape(server), 'omniserve_runs_in_flight')).toBe('1');
    expect(sample(await scrape(server), 'omniserve_active_requests')).toBe('1');
    finish('done');
    await pending;
    expect(sample(await scrape(server), 'omniserve_active_requests')).toBe('0');
    await server.stop();
  });

  it('reports the run limit, and the runs refused for want of a slot', async () => {
    let finish: (value: string) => void = () => undefined;
    const server = serve(
      { name: 'Slow', run: () => new Promise<string>((resolve) => (finish = resolve)) },
      { maxConcurrentRuns: 1, runAdmissionWaitSeconds: 0.1 },
    );
    expect(sample(await scrape(server), 'omniserve_runs_limit')).toBe('1');
    const first = server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'q' } });
    await expect.poll(async () => sample(await scrape(server), 'omniserve_runs_in_flight')).toBe('1');
    expect((await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'q' } })).statusCode).toBe(503);
    const text = await scrape(server);
    expect(sample(text, 'omniserve_runs_rejected_total')).toBe('1');
    expect(sample(text, 'omniserve_runs_waiting')).toBe('0');
    finish('done');
    await first;
    await server.stop();
  });

  it('reports time to first token, tokens in and out, and run duration by outcome', async () => {
    const server = serve(scriptedAgent(llm), { requestTimeout: 1 });
    llm.enqueue({ text: 'Hello there', usage: { promptTokens: 11, completionTokens: 4 } });
    expect((await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'hi' } })).statusCode).toBe(200);
    llm.enqueue({ text: 'Streamed', usage: { promptTokens: 5, completionTokens: 2 } });
    await server.app.inject({ method: 'POST', url: '/run', payload: { query: 'stream' } });
    llm.enqueue({ hang: true });
    expect((await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'slow' } })).statusCode).toBe(504);
    const text = await scrape(server);
    expect(sample(text, 'omniserve_input_tokens_total')).toBe('16');
    expect(sample(text, 'omniserve_output_tokens_total')).toBe('6');
    expect(sample(text, 'omniserve_run_time_to_first_token_seconds_count')).toBe('2');
    expect(sample(text, 'omniserve_run_duration_seconds_count{outcome="success"}')).toBe('2');
    expect(sample(text, 'omniserve_run_duration_seconds_count{outcome="timeout"}')).toBe('1');
    await server.stop();
  });

  it('counts tool calls and tool errors', async () => {
    const tools = new ToolRegistry()
      .register({ name: 'lookup', description: 'works', inputSchema: z.object({}), execute: () => 'found' })
      .register({ name: 'explode', description: 'fails', inputSchema: z.object({}), execute: () => { throw new Error('boom'); } });
    const server = serve(scriptedAgent(llm, { localTools: tools }));
    llm.enqueue(
      { toolCalls: [{ name: 'lookup', arguments: {} }, { name: 'explode', arguments: {} }, { name: 'invented', arguments: {} }] },
      { text: 'done' },
    );
    expect((await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'go' } })).statusCode).toBe(200);
    const text = await scrape(server);
    // Every call the model made counts, the one to a tool that does not exist too; that one and the throw are errors.
    expect(sample(text, 'omniserve_tool_calls_total{source="local"}')).toBe('3');
    expect(sample(text, 'omniserve_tool_errors_total{source="local"}')).toBe('2');
    await server.stop();
  });
});
