import { describe, expect, it } from 'vitest';
import type { OmniServeOptions } from '../../src/config/serve-config.ts';
import { serve } from '../support/serve-fixture.ts';

const agent = { name: 'Cors', run: async () => 'ok' };
const ORIGIN = 'https://app.example';

function preflight(server: ReturnType<typeof serve>, origin = ORIGIN, url = '/run/sync') {
  return server.app.inject({
    method: 'OPTIONS',
    url,
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
  });
}

function withOptions(options: OmniServeOptions) {
  return serve(agent, options);
}

describe('CORS', () => {
  it('answers a preflight from a listed origin with 200 and that origin', async () => {
    const server = withOptions({ corsOrigins: [ORIGIN, 'https://other.example'] });
    const res = await preflight(server);
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-allow-methods']).toBe('DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT');
    expect(res.headers['access-control-allow-headers']).toBe('content-type,authorization');
    expect(res.headers['access-control-max-age']).toBe('600');
    await server.stop();
  });

  it('gives an unlisted origin no Access-Control-Allow-Origin', async () => {
    const server = withOptions({ corsOrigins: [ORIGIN] });
    expect((await preflight(server, 'https://evil.example')).headers['access-control-allow-origin']).toBeUndefined();
    const simple = await server.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://evil.example' } });
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    await server.stop();
  });

  it('echoes the origin for "*" with credentials (browsers refuse "*" then), and sends "*" without', async () => {
    const withCredentials = withOptions({});
    const echoed = await withCredentials.app.inject({ method: 'GET', url: '/health', headers: { origin: ORIGIN } });
    expect(echoed.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(echoed.headers['access-control-allow-credentials']).toBe('true');
    expect(echoed.headers['vary']).toContain('Origin');
    expect(echoed.headers['access-control-expose-headers']).toContain('Retry-After');
    await withCredentials.stop();

    const anonymous = withOptions({ corsCredentials: false });
    const star = await anonymous.app.inject({ method: 'GET', url: '/health', headers: { origin: ORIGIN } });
    expect(star.headers['access-control-allow-origin']).toBe('*');
    expect(star.headers['access-control-allow-credentials']).toBeUndefined();
    await anonymous.stop();
  });

  it('lists configured methods and headers (plus the CORS-safelisted headers)', async () => {
    const server = withOptions({ corsMethods: ['get', 'POST'], corsHeaders: ['X-Custom'] });
    const res = await preflight(server);
    expect(res.headers['access-control-allow-methods']).toBe('GET, POST');
    expect(res.headers['access-control-allow-headers']).toBe('Accept, Accept-Language, Content-Language, Content-Type, X-Custom');
    await server.stop();
  });

  it('answers preflights before auth and rate limiting, and puts CORS headers on their refusals', async () => {
    const server = withOptions({ authEnabled: true, authToken: 'tok', rateLimitEnabled: true, rateLimitRequests: 1 });
    for (let i = 0; i < 3; i += 1) {
      const res = await preflight(server);
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
    const unauthorized = await server.app.inject({ method: 'GET', url: '/tools', headers: { origin: ORIGIN } });
    expect(unauthorized.statusCode).toBe(401);
    expect(unauthorized.headers['access-control-allow-origin']).toBe(ORIGIN);
    const limited = await server.app.inject({ method: 'GET', url: '/tools', headers: { origin: ORIGIN } });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['access-control-allow-origin']).toBe(ORIGIN);
    await server.stop();
  });

  it('treats an OPTIONS request that is not a preflight like any other request', async () => {
    const open = withOptions({});
    expect((await open.app.inject({ method: 'OPTIONS', url: '/tools' })).json()).toEqual({ detail: 'Not Found' });
    await open.stop();
    const guarded = withOptions({ authEnabled: true, authToken: 'tok' });
    const res = await guarded.app.inject({ method: 'OPTIONS', url: '/tools', headers: { origin: ORIGIN } });
    expect(res.statusCode).toBe(401);
    await guarded.stop();
  });

  it('is gone entirely when disabled', async () => {
    const server = withOptions({ corsEnabled: false });
    const res = await preflight(server);
    expect(res.statusCode).toBe(404);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await server.app.inject({ method: 'GET', url: '/health', headers: { origin: ORIGIN } });
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    await server.stop();
  });
});
