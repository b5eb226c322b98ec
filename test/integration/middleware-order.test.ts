import { describe, expect, it } from 'vitest';
import { serve } from '../support/serve-fixture.ts';

const agent = { name: 'Ordered', run: async () => 'ok' };
const ORIGIN = 'https://app.example';

async function sample(server: ReturnType<typeof serve>, name: string): Promise<string | undefined> {
  const text = (await server.app.inject({ method: 'GET', url: '/prometheus' })).body;
  return text.split('\n').find((line) => line.startsWith(`${name} `))?.slice(name.length + 1);
}

// Spec 7: metrics -> CORS -> request logging -> rate limit -> auth -> timeout -> error handler -> routes.
describe('middleware order', () => {
  const options = { authEnabled: true, authToken: 'tok', rateLimitEnabled: true, rateLimitRequests: 2 };

  it('rate-limits requests that will fail auth, so a bad token cannot be guessed without limit', async () => {
    const server = serve(agent, options);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      statuses.push((await server.app.inject({ method: 'GET', url: '/tools', headers: { authorization: `Bearer guess-${i}` } })).statusCode);
    }
    expect(statuses).toEqual([401, 401, 429]);
    // The window is spent: even the right token waits now.
    const good = await server.app.inject({ method: 'GET', url: '/tools', headers: { authorization: 'Bearer tok' } });
    expect(good.statusCode).toBe(429);
    await server.stop();
  });

  it('puts the rate-limit, CORS and timing headers of the outer middleware on a 401', async () => {
    const server = serve(agent, options);
    const res = await server.app.inject({ method: 'GET', url: '/tools', headers: { origin: ORIGIN } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['x-ratelimit-remaining']).toBe('1');
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(res.headers['x-process-time']).toMatch(/^\d+\.\d{3}$/);
    await server.stop();
  });

  it('answers CORS preflights before rate limiting and auth, and counts them', async () => {
    const server = serve(agent, options);
    for (let i = 0; i < 3; i += 1) {
      const res = await server.app.inject({
        method: 'OPTIONS',
        url: '/run/sync',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      // Outside request logging, as in the reference.
      expect(res.headers['x-process-time']).toBeUndefined();
    }
    expect((await server.app.inject({ method: 'GET', url: '/tools', headers: { authorization: 'Bearer tok' } })).statusCode).toBe(200);
    expect(await sample(server, 'omniserve_requests_total')).toBe('4');
    expect(await sample(server, 'omniserve_requests_unmatched_total')).toBe('3');
    await server.stop();
  });

  it('counts 401 and 429 answers in the Prometheus metrics', async () => {
    const server = serve(agent, options);
    for (let i = 0; i < 3; i += 1) await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'q' } });
    expect(await sample(server, 'omniserve_requests_total')).toBe('3');
    expect(await sample(server, 'omniserve_requests_error')).toBe('3');
    expect(await sample(server, 'omniserve_requests_success')).toBe('0');
    expect(await sample(server, 'omniserve_requests_run_sync_total')).toBe('3');
    await server.stop();
  });

  it('checks the token before reading the body, so an anonymous client cannot make the server read a large one', async () => {
    const server = serve(agent, { authEnabled: true, authToken: 'tok', bodyLimitBytes: 64 });
    const big = { query: 'x'.repeat(100) };
    expect((await server.app.inject({ method: 'POST', url: '/run/sync', payload: big })).statusCode).toBe(401);
    const authorized = await server.app.inject({ method: 'POST', url: '/run/sync', payload: big, headers: { authorization: 'Bearer tok' } });
    expect(authorized.statusCode).toBe(413);
    await server.stop();
  });
});
