import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { OmniServe } from '../../src/app/omni-serve.ts';
import type { OmniServeOptions } from '../../src/config/serve-config.ts';

const agent = { name: 'Logged', run: async () => 'ok' };

function loggedServer(options: OmniServeOptions = {}) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  const server = new OmniServe(agent, options, { env: {}, logger: pino({ level: 'info' }, sink) });
  const requestLines = () => lines.filter((line) => line['msg'] === 'request completed');
  return { server, lines, requestLines };
}

describe('request logging', () => {
  it('writes one JSON line per request with the given request id, method, path, route, status and duration', async () => {
    const { server, requestLines } = loggedServer();
    const res = await server.app.inject({
      method: 'GET',
      url: '/sessions/s-1/history?token=do-not-log',
      headers: { 'x-request-id': 'client-req-42' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe('client-req-42');
    expect(res.headers['x-process-time']).toMatch(/^\d+\.\d{3}$/);
    await expect.poll(() => requestLines().length).toBe(1);
    const line = requestLines()[0];
    expect(line).toMatchObject({
      level: 30,
      request_id: 'client-req-42',
      method: 'GET',
      path: '/sessions/s-1/history',
      route: '/sessions/:session_id/history',
      status: 200,
      client: '127.0.0.1',
    });
    expect(line?.['duration_ms']).toEqual(expect.any(Number));
    expect(JSON.stringify(line)).not.toContain('do-not-log');
    await server.stop();
  });

  it('generates a request id when none (or an unusable one) is given', async () => {
    const { server, requestLines } = loggedServer();
    const plain = await server.app.inject({ method: 'GET', url: '/health' });
    const bad = await server.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'has spaces and "quotes"' } });
    for (const res of [plain, bad]) expect(res.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}_[0-9a-z]+$/);
    expect(plain.headers['x-request-id']).not.toBe(bad.headers['x-request-id']);
    await expect.poll(() => requestLines().map((line) => line['request_id'])).toEqual([
      plain.headers['x-request-id'],
      bad.headers['x-request-id'],
    ]);
    await server.stop();
  });

  it('logs and times the refusals of the middleware inside it (401, 429, 404)', async () => {
    const { server, requestLines } = loggedServer({ authEnabled: true, authToken: 'tok', rateLimitEnabled: true, rateLimitRequests: 1 });
    const unauthorized = await server.app.inject({ method: 'GET', url: '/tools' });
    const limited = await server.app.inject({ method: 'GET', url: '/nope' });
    expect([unauthorized.statusCode, limited.statusCode]).toEqual([401, 429]);
    for (const res of [unauthorized, limited]) expect(res.headers['x-process-time']).toMatch(/^\d+\.\d{3}$/);
    await expect.poll(() => requestLines().map((line) => [line['status'], line['route']])).toEqual([
      [401, '/tools'],
      [429, null],
    ]);
    await server.stop();
  });

  it('is silent, and adds no X-Process-Time, when request logging is off', async () => {
    const { server, lines } = loggedServer({ requestLogging: false });
    const res = await server.app.inject({ method: 'GET', url: '/health' });
    expect(res.headers['x-process-time']).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines.filter((line) => String(line['msg']).startsWith('request'))).toEqual([]);
    await server.stop();
  });
});
