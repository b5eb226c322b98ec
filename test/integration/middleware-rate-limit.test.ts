import { describe, expect, it } from 'vitest';
import type { OmniServeOptions } from '../../src/config/serve-config.ts';
import { serve } from '../support/serve-fixture.ts';

const agent = { name: 'Limited', run: async () => 'ok' };

function limited(options: OmniServeOptions = {}) {
  return serve(agent, { rateLimitEnabled: true, rateLimitRequests: 3, rateLimitWindow: 60, ...options });
}

describe('rate limiting', () => {
  it('puts X-RateLimit-* on allowed responses, then answers 429 with the exact body and Retry-After', async () => {
    const server = limited();
    const before = Math.floor(Date.now() / 1000);
    for (const remaining of ['2', '1', '0']) {
      const res = await server.app.inject({ method: 'GET', url: '/tools' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('3');
      expect(res.headers['x-ratelimit-remaining']).toBe(remaining);
      const reset = Number(res.headers['x-ratelimit-reset']);
      expect(Number.isInteger(reset)).toBe(true);
      expect(reset).toBeGreaterThanOrEqual(before + 60);
      expect(reset).toBeLessThanOrEqual(before + 62);
    }
    const refused = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'q' } });
    expect(refused.statusCode).toBe(429);
    const body = refused.json();
    expect(body).toEqual({
      error: 'TooManyRequests',
      message: 'Rate limit exceeded. Max 3 requests per 60 seconds.',
      retry_after: expect.any(Number),
    });
    expect(body.retry_after).toBeGreaterThanOrEqual(59);
    expect(body.retry_after).toBeLessThanOrEqual(60);
    expect(refused.headers['retry-after']).toBe(String(body.retry_after));
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    expect(refused.headers['x-ratelimit-limit']).toBe('3');
    expect(refused.headers['x-ratelimit-reset']).toEqual(expect.stringMatching(/^\d+$/));
    await server.stop();
  });

  it('starts a fresh window once the old one has passed', async () => {
    const server = limited({ rateLimitRequests: 1, rateLimitWindow: 1 });
    expect((await server.app.inject({ method: 'GET', url: '/tools' })).statusCode).toBe(200);
    expect((await server.app.inject({ method: 'GET', url: '/tools' })).statusCode).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    expect((await server.app.inject({ method: 'GET', url: '/tools' })).statusCode).toBe(200);
    await server.stop();
  });

  it('leaves the exact public paths alone, query strings included', async () => {
    const server = limited({ rateLimitRequests: 1, apiPrefix: '/api' });
    for (let i = 0; i < 5; i += 1) {
      for (const url of ['/api/health', '/api/ready?x=1', '/prometheus', '/openapi.json']) {
        const res = await server.app.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(200);
        expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      }
    }
    expect((await server.app.inject({ method: 'GET', url: '/api/tools' })).statusCode).toBe(200);
    expect((await server.app.inject({ method: 'GET', url: '/api/tools' })).statusCode).toBe(429);
    await server.stop();
  });

  it('counts each client address separately', async () => {
    const server = limited({ rateLimitRequests: 1 });
    const from = (remoteAddress: string) => server.app.inject({ method: 'GET', url: '/tools', remoteAddress });
    expect((await from('198.51.100.1')).statusCode).toBe(200);
    expect((await from('198.51.100.1')).statusCode).toBe(429);
    expect((await from('198.51.100.2')).statusCode).toBe(200);
    expect((await from('::ffff:198.51.100.2')).statusCode).toBe(429);
    await server.stop();
  });

  it('ignores X-Forwarded-For from untrusted peers, so spoofing it buys no requests', async () => {
    const server = limited({ rateLimitRequests: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const res = await server.app.inject({
        method: 'GET',
        url: '/tools',
        remoteAddress: '203.0.113.5',
        headers: { 'x-forwarded-for': `10.9.9.${i}`, 'x-real-ip': `10.8.8.${i}` },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
    await server.stop();
  });

  it('believes a trusted proxy: the right-most untrusted X-Forwarded-For hop is the client', async () => {
    const server = limited({ rateLimitRequests: 1, trustedProxies: ['10.0.0.0/8'] });
    const via = (xff: string) =>
      server.app.inject({ method: 'GET', url: '/tools', remoteAddress: '10.0.0.2', headers: { 'x-forwarded-for': xff } });
    expect((await via('198.51.100.1')).statusCode).toBe(200);
    expect((await via('198.51.100.2')).statusCode).toBe(200);
    // The client cannot dodge its limit by writing another address in front of the one the proxy appended.
    expect((await via('1.2.3.4, 198.51.100.1')).statusCode).toBe(429);
    expect((await via('198.51.100.1, 10.0.0.3')).statusCode).toBe(429);
    await server.stop();
  });

  it('is off unless enabled', async () => {
    const server = serve(agent);
    for (let i = 0; i < 5; i += 1) {
      const res = await server.app.inject({ method: 'GET', url: '/tools' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
    await server.stop();
  });
});
