import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { OmniServeOptions } from '../../src/config/serve-config.ts';
import { serve } from '../support/serve-fixture.ts';

const TOKEN = 's3cret-token';
const MISSING = { error: 'Unauthorized', message: 'Missing or invalid Authorization header' };
const INVALID = { error: 'Unauthorized', message: 'Invalid authentication token' };

/** A light agent that records whether any protected handler ran. */
function spyAgent() {
  const calls: string[] = [];
  return {
    calls,
    agent: {
      name: 'Guarded',
      run: async (query: string) => {
        calls.push(`run:${query}`);
        return 'ran';
      },
      listAllAvailableTools: async () => {
        calls.push('tools');
        return [{ name: 'secret_tool', description: 'd', inputSchema: {}, type: 'local' }];
      },
      getSessionHistory: async (sessionId: string) => {
        calls.push(`history:${sessionId}`);
        return [];
      },
    },
  };
}

function authServer(options: OmniServeOptions = {}) {
  const spy = spyAgent();
  return { ...spy, server: serve(spy.agent, { authEnabled: true, authToken: TOKEN, ...options }) };
}

/** Sends a request line exactly as written (no client-side normalisation) and returns the status and body. */
async function rawRequest(port: number, method: string, target: string, headers: string[] = []): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      const body = method === 'POST' ? '{"query":"raw"}' : '';
      const lines = [`${method} ${target} HTTP/1.1`, 'Host: localhost', 'Connection: close', ...headers];
      if (method === 'POST') lines.push('Content-Type: application/json', `Content-Length: ${body.length}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    });
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: rest.join('\r\n\r\n') });
    });
  });
}

describe('bearer auth', () => {
  it('answers 401 with the exact bodies and no WWW-Authenticate header', async () => {
    const { server, calls } = authServer();
    const cases: [Record<string, string>, object][] = [
      [{}, MISSING],
      [{ authorization: `Basic ${TOKEN}` }, MISSING],
      [{ authorization: `bearer ${TOKEN}` }, MISSING],
      [{ authorization: `Bearer${TOKEN}` }, MISSING],
      [{ authorization: 'Bearer wrong-token' }, INVALID],
      [{ authorization: `Bearer ${TOKEN}x` }, INVALID],
      [{ authorization: 'Bearer ' }, INVALID],
    ];
    for (const [headers, body] of cases) {
      const res = await server.app.inject({ method: 'GET', url: '/tools', headers });
      expect(res.statusCode, JSON.stringify(headers)).toBe(401);
      expect(res.json()).toEqual(body);
      expect(res.headers['www-authenticate']).toBeUndefined();
    }
    expect(calls).toEqual([]);
    await server.stop();
  });

  it('lets the right token through, trimmed, on GET and POST routes', async () => {
    const { server, calls } = authServer();
    const tools = await server.app.inject({ method: 'GET', url: '/tools', headers: { authorization: `Bearer   ${TOKEN}  ` } });
    expect(tools.statusCode).toBe(200);
    const run = await server.app.inject({
      method: 'POST',
      url: '/run/sync',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: { query: 'q' },
    });
    expect(run.statusCode).toBe(200);
    expect(calls).toEqual(['tools', 'run:q']);
    await server.stop();
  });

  it('needs no token on the public paths, query strings included, and only those', async () => {
    const { server } = authServer({ apiPrefix: '/api' });
    for (const url of ['/api/health', '/api/ready', '/api/health?probe=1', '/prometheus', '/openapi.json', '/docs', '/redoc']) {
      expect((await server.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
    // Public at the root too, where no route answers them under a prefix.
    for (const url of ['/health', '/ready']) {
      expect((await server.app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
    for (const url of ['/api/tools', '/api/metrics', '/api/prometheus', '/api/sessions/s/history', '/nope']) {
      expect((await server.app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
    }
    await server.stop();
  });

  it('serves the docs assets without a token while the docs are on', async () => {
    const { server } = authServer();
    for (const url of ['/docs/', '/docs/static/swagger-ui-bundle.js', '/docs/static/swagger-initializer.js', '/docs/json', '/redoc/redoc.standalone.js']) {
      expect((await server.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
    await server.stop();
  });

  it('reads publicPaths: exact entries and /x/* trees', async () => {
    const { server } = authServer({ publicPaths: ['/tools', '/sessions/*'] });
    expect((await server.app.inject({ method: 'GET', url: '/tools' })).statusCode).toBe(200);
    expect((await server.app.inject({ method: 'GET', url: '/sessions/abc/history' })).statusCode).toBe(200);
    expect((await server.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'q' } })).statusCode).toBe(401);
    await server.stop();
  });

  const TRICKS: [method: 'GET' | 'POST', url: string][] = [
    ['GET', '//tools'],
    ['GET', '/tools/'],
    ['GET', '/TOOLS'],
    ['GET', '/Tools'],
    ['GET', '/%74ools'],
    ['GET', '/tool%73'],
    ['GET', '/tools;x'],
    ['GET', '/tools;/health'],
    ['GET', '/tools?/health'],
    ['GET', '/tools#/health'],
    ['GET', '/./tools'],
    ['GET', '/health/../tools'],
    ['GET', '/health/%2e%2e/tools'],
    ['GET', '/health%2F..%2Ftools'],
    ['GET', '/health/..;/tools'],
    ['GET', '/health/.%2e/tools'],
    ['GET', '/prometheus/../tools'],
    ['GET', '/docs/../tools'],
    ['GET', '/docs/..%2Ftools'],
    ['GET', '/docs/static/%2e%2e/%2e%2e/tools'],
    ['GET', '/sessions/abc/history/'],
    ['GET', '/sessions//history'],
    ['GET', '/health/../sessions/abc/history'],
    ['POST', '/run/sync/'],
    ['POST', '//run/sync'],
    ['POST', '/run//sync'],
    ['POST', '/run%2Fsync'],
    ['POST', '/RUN/SYNC'],
    ['POST', '/run/sync;'],
    ['POST', '/health/../run/sync'],
    ['POST', '/health%2F..%2Frun%2Fsync'],
    ['POST', '/run/./sync'],
  ];

  it('never lets a path trick reach a protected handler without the token (inject)', async () => {
    const { server, calls } = authServer();
    for (const [method, url] of TRICKS) {
      const res = await server.app.inject({ method, url, ...(method === 'POST' ? { payload: { query: 'trick' } } : {}) });
      expect([401, 404], `${method} ${url}`).toContain(res.statusCode);
    }
    expect(calls).toEqual([]);
    await server.stop();
  });

  it('never lets a path trick reach a protected handler without the token (raw request lines)', async () => {
    const { server, calls } = authServer();
    await server.start('127.0.0.1', 0);
    const port = (server.app.server.address() as { port: number }).port;
    const raw: [string, string][] = [
      ...TRICKS,
      ['GET', 'http://localhost/tools'],
      ['GET', 'http://localhost/health/../tools'],
      ['GET', '/health\\..\\tools'],
    ];
    for (const [method, target] of raw) {
      const res = await rawRequest(port, method, target);
      expect([400, 401, 404], `${method} ${target}`).toContain(res.status);
    }
    expect(calls).toEqual([]);
    // A query string on a public path is still that public path, and only it.
    const health = await rawRequest(port, 'GET', '/health?/../tools');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'healthy' });
    expect(calls).toEqual([]);
    await server.stop();
  });

  it('is off unless enabled', async () => {
    const { agent } = spyAgent();
    const server = serve(agent);
    expect((await server.app.inject({ method: 'GET', url: '/tools' })).statusCode).toBe(200);
    await server.stop();
  });
});
