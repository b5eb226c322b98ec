import { describe, expect, it } from 'vitest';
import type { AgentRunOptions } from '../../src/agent/servable-agent.ts';
import { parseSse, serve } from '../support/serve-fixture.ts';

// How the time to start a stream is what counts (not its length) is tested beside the middleware, on a route
// without a deadline of its own: /run's run has one, which would end the stream first.

const GATEWAY_TIMEOUT = { error: 'GatewayTimeout', message: 'Request timed out', detail: 'Request timed out after 1 seconds' };
const never = () => new Promise<never>(() => undefined);

describe('request timeout', () => {
  it('answers 504 GatewayTimeout when a response takes longer than requestTimeout', async () => {
    const server = serve({ name: 'Stuck', run: async () => 'ok', listAllAvailableTools: never }, { requestTimeout: 1 });
    const begun = performance.now();
    const res = await server.app.inject({ method: 'GET', url: '/tools' });
    expect(res.statusCode).toBe(504);
    expect(res.json()).toEqual(GATEWAY_TIMEOUT);
    expect(performance.now() - begun).toBeLessThan(2_000);
    expect((await server.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    await server.stop();
  });

  it('leaves a run to its own timeout, which also says "timed out"', async () => {
    const server = serve({ name: 'Stuck', run: never }, { requestTimeout: 1 });
    const sync = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'q' } });
    expect(sync.statusCode).toBe(504);
    expect(sync.json()).toEqual({ detail: 'Request timed out after 1 seconds' });
    const stream = await server.app.inject({ method: 'POST', url: '/run', payload: { query: 'q' } });
    expect(stream.statusCode).toBe(200);
    expect(parseSse(stream.body).find((f) => f.event === 'error')?.data.error).toContain('timed out');
    await server.stop();
  });

  it('times out a request still waiting for a run slot; it never runs and gives up its place', async () => {
    const started: string[] = [];
    const agent = {
      name: 'Stuck',
      run: (query: string, options: AgentRunOptions) =>
        new Promise<string>((_resolve, reject) => {
          started.push(query);
          options.signal?.addEventListener('abort', () => reject(options.signal?.reason));
        }),
    };
    const server = serve(agent, { requestTimeout: 1, maxConcurrentRuns: 1, runAdmissionWaitSeconds: 30 });
    const waiting = async (count: number) =>
      (await server.app.inject({ method: 'GET', url: '/prometheus' })).body.includes(`\nomniserve_runs_waiting ${count}\n`);
    // A holds the slot until its run times out (about 1 s); B gets it then. C, which arrived after B, is still
    // waiting when its own second is up: the middleware answers it, before any run starts.
    const a = server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'a' } });
    await expect.poll(() => started).toEqual(['a']);
    const b = server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'b' } });
    await expect.poll(() => waiting(1)).toBe(true);
    const c = server.app.inject({ method: 'POST', url: '/run', payload: { query: 'c' } });
    await expect.poll(() => waiting(2)).toBe(true);
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    expect(ra.json()).toEqual({ detail: 'Request timed out after 1 seconds' });
    expect(rb.json()).toEqual({ detail: 'Request timed out after 1 seconds' });
    expect(rc.statusCode).toBe(504);
    expect(rc.headers['content-type']).toContain('application/json');
    expect(rc.json()).toEqual(GATEWAY_TIMEOUT);
    expect(started).toEqual(['a', 'b']);
    const prometheus = (await server.app.inject({ method: 'GET', url: '/prometheus' })).body;
    expect(prometheus).toContain('\nomniserve_runs_waiting 0\n');
    expect(prometheus).toContain('\nomniserve_runs_in_flight 0\n');
    await server.stop();
  });

  it('is off when requestTimeout is 0', async () => {
    const agent = {
      name: 'Slow',
      run: async () => 'ok',
      listAllAvailableTools: async () => {
        await new Promise((resolve) => setTimeout(resolve, 1_200));
        return [];
      },
    };
    const server = serve(agent, { requestTimeout: 0 });
    expect((await server.app.inject({ method: 'GET', url: '/tools' })).statusCode).toBe(200);
    await server.stop();
  });
});

describe('body size limit', () => {
  it('answers 413 PayloadTooLarge with a JSON body before the agent sees anything', async () => {
    const calls: string[] = [];
    const server = serve({ name: 'Small', run: async (query: string) => (calls.push(query), 'ok') }, { bodyLimitBytes: 64 });
    const res = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'x'.repeat(100) } });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.json()).toEqual({
      error: 'PayloadTooLarge',
      message: 'Request body is too large',
      detail: 'Request body is larger than OMNICOREAGENT_SERVE_BODY_LIMIT_BYTES allows',
    });
    expect((await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'fits' } })).statusCode).toBe(200);
    expect(calls).toEqual(['fits']);
    await server.stop();
  });
});
