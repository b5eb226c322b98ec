import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { AgentRunOptions } from '../../src/agent/servable-agent.ts';
import type { OmniServe } from '../../src/app/omni-serve.ts';
import type { OmniServeOptions } from '../../src/config/serve-config.ts';
import { parseSse, serve } from '../support/serve-fixture.ts';

/** An agent whose runs wait until the test lets them finish (`finish`) or fail (`fail`). */
function gatedAgent() {
  const started: string[] = [];
  const gates = new Map<string, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  const agent = {
    name: 'Gated',
    run: (query: string, options: AgentRunOptions) =>
      new Promise<string>((resolve, reject) => {
        started.push(query);
        gates.set(query, { resolve, reject });
        options.signal?.addEventListener('abort', () => reject(options.signal?.reason));
      }),
  };
  return {
    agent,
    started,
    finish: (query: string) => gates.get(query)?.resolve(`answer to ${query}`),
    fail: (query: string) => gates.get(query)?.reject(new Error(`run ${query} broke`)),
  };
}

async function gauge(server: OmniServe, name: string): Promise<number> {
  const text = (await server.app.inject({ method: 'GET', url: '/prometheus' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.slice(name.length + 1));
}

function runSync(server: OmniServe, query: string) {
  return server.app.inject({ method: 'POST', url: '/run/sync', payload: { query } });
}

function gatedServer(options: OmniServeOptions, env: NodeJS.ProcessEnv = {}) {
  const gated = gatedAgent();
  return { ...gated, server: serve(gated.agent, options, env) };
}

const BUSY_MESSAGE = /^This server is already running 1 runs at once and none finished within (\d+\.\d) seconds\. Retry shortly\.$/;

describe('admission control', () => {
  it('refuses with 503 ServerBusy, the exact body and Retry-After when no slot frees in time', async () => {
    const { server, finish, started } = gatedServer({ maxConcurrentRuns: 1, runAdmissionWaitSeconds: 0.3 });
    const first = runSync(server, 'a');
    await expect.poll(() => started).toEqual(['a']);
    const begun = performance.now();
    const refused = await runSync(server, 'b');
    const waited = (performance.now() - begun) / 1000;
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    const body = refused.json();
    expect(Object.keys(body)).toEqual(['error', 'message', 'max_concurrent_runs', 'retry_after']);
    expect(body).toMatchObject({ error: 'ServerBusy', max_concurrent_runs: 1, retry_after: 1 });
    const reported = Number(BUSY_MESSAGE.exec(body.message)?.[1]);
    expect(reported).toBeGreaterThanOrEqual(0.3);
    expect(reported).toBeLessThanOrEqual(Math.ceil(waited * 10) / 10 + 0.1);
    expect(started).toEqual(['a']);
    finish('a');
    expect((await first).statusCode).toBe(200);
    await server.stop();
  });

  it('rounds Retry-After up to whole seconds, at least 1', async () => {
    const { server, finish, started } = gatedServer({ maxConcurrentRuns: 1, runAdmissionWaitSeconds: 1.2 });
    const first = runSync(server, 'a');
    await expect.poll(() => started).toEqual(['a']);
    const refused = await runSync(server, 'b');
    expect(refused.headers['retry-after']).toBe('2');
    expect(refused.json().retry_after).toBe(2);
    finish('a');
    await first;
    await server.stop();
  });

  it('hands freed slots to waiters in arrival order', async () => {
    const { server, finish, started } = gatedServer({ maxConcurrentRuns: 1, runAdmissionWaitSeconds: 5 });
    const a = runSync(server, 'a');
    await expect.poll(() => started).toEqual(['a']);
    const b = runSync(server, 'b');
    await expect.poll(() => gauge(server, 'omniserve_runs_waiting')).toBe(1);
    const c = runSync(server, 'c');
    await expect.poll(() => gauge(server, 'omniserve_runs_waiting')).toBe(2);
    finish('a');
    await expect.poll(() => started).toEqual(['a', 'b']);
    expect(await gauge(server, 'omniserve_runs_in_flight')).toBe(1);
    finish('b');
    await expect.poll(() => started).toEqual(['a', 'b', 'c']);
    finish('c');
    expect((await Promise.all([a, b, c])).map((r) => r.json().response)).toEqual(['answer to a', 'answer to b', 'answer to c']);
    await server.stop();
  });

  it('lets an SSE run hold its slot until its stream ends', async () => {
    const { server, finish, started } = gatedServer({ maxConcurrentRuns: 1, runAdmissionWaitSeconds: 0.2 });
    const stream = server.app.inject({ method: 'POST', url: '/run', payload: { query: 'streamed' } });
    await expect.poll(() => started).toEqual(['streamed']);
    expect((await runSync(server, 'blocked')).statusCode).toBe(503);
    finish('streamed');
    const frames = parseSse((await stream).body);
    expect(frames.map((f) => f.event)).toEqual(['session', 'complete', 'session']);
    expect(await gauge(server, 'omniserve_runs_in_flight')).toBe(0);
    const next = runSync(server, 'next');
    await expect.poll(() => started).toEqual(['streamed', 'next']);
    finish('next');
    expect((await next).statusCode).toBe(200);
    await server.stop();
  });

  it('answers a busy /run with a JSON 503, not a stream', async () => {
    const { server, finish, started } = gatedServer({ maxConcurrentRuns: 1, runAdmissionWaitSeconds: 0.1 });
    const first = runSync(server, 'a');
    await expect.poll(() => started).toEqual(['a']);
    const refused = await server.app.inject({ method: 'POST', url: '/run', payload: { query: 'b' } });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['content-type']).toContain('application/json');
    expect(refused.json().error).toBe('ServerBusy');
    finish('a');
    await first;
    await server.stop();
  });

  it('releases the slot of a failed run, sync or streamed', async () => {
    const { server, fail, finish, started } = gatedServer({ maxConcurrentRuns: 1, runAdmissionWaitSeconds: 0.1 });
    const broken = runSync(server, 'broken');
    await expect.poll(() => started).toEqual(['broken']);
    fail('broken');
    expect((await broken).statusCode).toBe(500);
    const brokenStream = server.app.inject({ method: 'POST', url: '/run', payload: { query: 'broken-stream' } });
    await expect.poll(() => started).toEqual(['broken', 'broken-stream']);
    fail('broken-stream');
    expect(parseSse((await brokenStream).body).map((f) => f.event)).toEqual(['session', 'error', 'session']);
    expect(await gauge(server, 'omniserve_runs_in_flight')).toBe(0);
    const fine = runSync(server, 'fine');
    await expect.poll(() => started).toHaveLength(3);
    finish('fine');
    expect((await fine).statusCode).toBe(200);
    await server.stop();
  });

  it('does not leak a slot when a client disconnects while waiting', async () => {
    const { server, finish, started } = gatedServer({ maxConcurrentRuns: 1, runAdmissionWaitSeconds: 10 });
    await server.start('127.0.0.1', 0);
    const { port } = server.app.server.address() as { port: number };
    const first = runSync(server, 'a');
    await expect.poll(() => started).toEqual(['a']);
    const waiter = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/run/sync', headers: { 'content-type': 'application/json' } });
    waiter.on('error', () => undefined);
    waiter.end(JSON.stringify({ query: 'gone' }));
    await expect.poll(() => gauge(server, 'omniserve_runs_waiting')).toBe(1);
    waiter.destroy();
    await expect.poll(() => gauge(server, 'omniserve_runs_waiting')).toBe(0);
    finish('a');
    await first;
    expect(await gauge(server, 'omniserve_runs_in_flight')).toBe(0);
    const next = runSync(server, 'next');
    await expect.poll(() => started).toEqual(['a', 'next']);
    finish('next');
    expect((await next).statusCode).toBe(200);
    expect(started).not.toContain('gone');
    await server.stop();
  });

  it('never gives a slot to a request that fails validation', async () => {
    const { server, finish, started } = gatedServer({ maxConcurrentRuns: 1, runAdmissionWaitSeconds: 5 });
    const first = runSync(server, 'a');
    await expect.poll(() => started).toEqual(['a']);
    const begun = performance.now();
    for (const url of ['/run/sync', '/run']) {
      const invalid = await server.app.inject({ method: 'POST', url, payload: { session_id: 'no query' } });
      expect(invalid.statusCode).toBe(422);
    }
    expect(performance.now() - begun).toBeLessThan(1_000);
    expect(await gauge(server, 'omniserve_runs_waiting')).toBe(0);
    expect(await gauge(server, 'omniserve_runs_in_flight')).toBe(1);
    finish('a');
    await first;
    await server.stop();
  });

  it('never makes the other routes wait for a slot', async () => {
    const { server, finish, started } = gatedServer({ maxConcurrentRuns: 1, runAdmissionWaitSeconds: 5 });
    const first = runSync(server, 'a');
    await expect.poll(() => started).toEqual(['a']);
    const begun = performance.now();
    for (const [method, url] of [['GET', '/health'], ['GET', '/ready'], ['GET', '/tools'], ['GET', '/metrics'], ['GET', '/sessions/s/history'], ['DELETE', '/sessions/s']] as const) {
      expect((await server.app.inject({ method, url })).statusCode, url).toBe(200);
    }
    expect(performance.now() - begun).toBeLessThan(1_000);
    finish('a');
    await first;
    await server.stop();
  });

  it('runs without limit when OMNICOREAGENT_SERVE_MAX_CONCURRENT_RUNS=0', async () => {
    const { server, finish, started } = gatedServer({ maxConcurrentRuns: 1, runAdmissionWaitSeconds: 0.1 }, { OMNICOREAGENT_SERVE_MAX_CONCURRENT_RUNS: '0' });
    const queries = ['a', 'b', 'c', 'd', 'e', 'f'];
    const runs = queries.map((q) => runSync(server, q));
    await expect.poll(() => started.length).toBe(queries.length);
    expect(await gauge(server, 'omniserve_runs_limit')).toBe(0);
    expect(await gauge(server, 'omniserve_runs_in_flight')).toBe(6);
    for (const q of queries) finish(q);
    expect((await Promise.all(runs)).map((r) => r.statusCode)).toEqual(queries.map(() => 200));
    await server.stop();
  });
});
