import { PassThrough } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { handleError } from '../error-handler.ts';
import { createRequestTimeout, isBackgroundWait } from './request-timeout.ts';

const GATEWAY_TIMEOUT = { error: 'GatewayTimeout', message: 'Request timed out', detail: 'Request timed out after 0.2 seconds' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function appWithTimeout() {
  const timeout = createRequestTimeout({ timeoutSeconds: 0.2 });
  const app = Fastify();
  app.setErrorHandler(handleError);
  app.addHook('onRequest', timeout.onRequest);
  app.addHook('onSend', timeout.onSend);
  const seen: { aborted?: unknown } = {};
  app.get('/slow', async (request, reply) => {
    const signal = timeout.signal(request);
    await sleep(500);
    seen.aborted = signal?.reason;
    return signal?.aborted ? reply : { late: true };
  });
  app.get('/fast', async () => ({ ok: true }));
  app.get('/stream', async (_request, reply) => {
    const body = new PassThrough();
    // Nothing is written before the deadline: sending the stream is what starts the response.
    setTimeout(() => body.write('first\n'), 300);
    setTimeout(() => body.end('last\n'), 450);
    return reply.type('text/event-stream').send(body);
  });
  app.post('/background/tasks/:id/run', async () => {
    await sleep(400);
    return { waited: true };
  });
  app.get('/disarmed', async (request) => {
    timeout.disarm(request);
    await sleep(400);
    return { own: 'deadline' };
  });
  return { app, seen };
}

describe('createRequestTimeout', () => {
  it('answers 504 GatewayTimeout when the response has not started in time, and aborts the work', async () => {
    const { app, seen } = appWithTimeout();
    const res = await app.inject('/slow');
    expect(res.statusCode).toBe(504);
    expect(res.json()).toEqual(GATEWAY_TIMEOUT);
    await expect.poll(() => seen.aborted).toMatchObject({ code: 'GATEWAY_TIMEOUT' });
    expect((await app.inject('/fast')).json()).toEqual({ ok: true });
    await app.close();
  });

  it('counts only the time to start a stream, not how long it runs', async () => {
    const { app } = appWithTimeout();
    const res = await app.inject('/stream');
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('first\nlast\n');
    await app.close();
  });

  it('leaves the background wait route and disarmed requests to their own deadline', async () => {
    const { app } = appWithTimeout();
    expect((await app.inject({ method: 'POST', url: '/background/tasks/t1/run' })).json()).toEqual({ waited: true });
    expect((await app.inject('/disarmed')).json()).toEqual({ own: 'deadline' });
    await app.close();
  });

  it('recognises the background wait route under any prefix, query string aside', () => {
    expect(isBackgroundWait('/background/tasks/abc/run')).toBe(true);
    expect(isBackgroundWait('/api/v1/background/tasks/abc/run?wait=true')).toBe(true);
    expect(isBackgroundWait('/background/tasks/abc/runs')).toBe(false);
    expect(isBackgroundWait('/background/tasks/abc/pause')).toBe(false);
    expect(isBackgroundWait('/run/sync')).toBe(false);
  });
});
