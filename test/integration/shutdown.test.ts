/**
 * Graceful shutdown and the lifecycle of spec 7.7, in process: a listening server (port 0) with a scripted model.
 * `stop()` drains: `/ready` false at once, no new connections, 503 for new requests on open ones, in-flight runs
 * finish within the grace period, streams still open after it end with a terminal frame, the agent is released last.
 */
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { OmniServe } from '../../src/app/omni-serve.ts';
import type { ServableAgent } from '../../src/agent/servable-agent.ts';
import { systemClock } from '../../src/background/clock.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { MemoryTaskStore } from '../../src/stores/memory/memory-task-store.ts';
import { ScriptedOpenAIServer } from '../../src/testing/scripted-openai-server.ts';
import { readSseFrames, type SseFrame } from '../e2e/spawn-cli.ts';
import { scriptedAgent, serve, useScriptedModel } from '../support/serve-fixture.ts';

const model = useScriptedModel();
const tracked = (server: OmniServe): OmniServe => model.tracked(server);

async function modelCalled(): Promise<void> {
  await model.llm.waitFor((requests) => requests.some((r) => r.path === '/v1/chat/completions'));
}

/** Resolves with the connection error code, or `connected` if a new TCP connection was accepted. */
function tryConnect(origin: string): Promise<string> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function postRun(origin: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Reads frames until `until` holds for one (inclusive); the iterator keeps its place for the next call. */
async function readUntil(frames: AsyncGenerator<SseFrame>, until: (frame: SseFrame) => boolean): Promise<SseFrame[]> {
  const seen: SseFrame[] = [];
  for (;;) {
    const next = await frames.next();
    if (next.done) return seen;
    seen.push(next.value);
    if (until(next.value)) return seen;
  }
}

/** A logger whose JSON lines the test can read. */
function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    logger: pino<never>({ level: 'info' }, sink),
    lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('stop(): draining a listening server', () => {
  it('lets an in-flight /run/sync finish with 200 while /ready turns false, new requests get 503 and new connections are refused; the agent is released last', async () => {
    const events: string[] = [];
    const agent = scriptedAgent(model.llm);
    const cleanup = vi.spyOn(agent, 'cleanup').mockImplementation(async () => {
      events.push('cleanup');
    });
    const server = tracked(serve(agent, { shutdownGraceSeconds: 10 }));
    server.app.addHook('onResponse', async (request, reply) => {
      if (request.url === '/run/sync' && reply.statusCode === 200) events.push('run answered');
    });
    const origin = await server.start('127.0.0.1', 0);
    model.llm.enqueue({ text: 'finished while draining', delayMs: 2_000 });

    const running = postRun(origin, '/run/sync', { query: 'slow one' }).then(async (res) => ({
      status: res.status,
      body: (await res.json()) as { response?: string },
    }));
    await modelCalled();
    const stopping = server.stop().then(() => events.push('stopped'));

    // Draining from the first moment: probes answer (not ready), everything else is refused, nothing new connects.
    const ready = await server.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ ready: false, draining: true });
    expect(ready.headers['connection']).toBe('close');
    const refused = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'too late' } });
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ error: 'ServiceUnavailable', message: expect.stringContaining('shutting down') });
    expect(refused.headers['retry-after']).toBe('1');
    expect(await tryConnect(origin)).toBe('ECONNREFUSED');

    const result = await running;
    expect(result.status).toBe(200);
    expect(result.body.response).toBe('finished while draining');
    await stopping;
    expect(cleanup).toHaveBeenCalledTimes(1);
    expect(events).toEqual(['run answered', 'cleanup', 'stopped']);
    expect(model.llm.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);
  });

  it('lets an open /run stream finish with its own complete and session-ended frames', async () => {
    const server = tracked(serve(scriptedAgent(model.llm), { shutdownGraceSeconds: 10 }));
    const origin = await server.start('127.0.0.1', 0);
    model.llm.enqueue({ text: 'one two three four', chunkDelayMs: 120 });
    const res = await postRun(origin, '/run', { query: 'count', session_id: 'drain-S' });
    expect(res.status).toBe(200);
    const frames = readSseFrames(res.body as ReadableStream<Uint8Array>);
    await readUntil(frames, (frame) => frame.event === 'session');
    await modelCalled();
    const stopping = server.stop();
    const rest = await readUntil(frames, () => false);
    await stopping;
    const complete = rest.find((frame) => frame.event === 'complete');
    expect(complete?.data).toMatchObject({ session_id: 'drain-S', response: 'one two three four' });
    expect(rest.some((frame) => frame.event === 'error')).toBe(false);
    expect(rest.at(-1)).toMatchObject({ event: 'session', data: { session_id: 'drain-S', status: 'ended' } });
  });

  it('after the grace period ends a stream still open with an error frame and session ended, then closes it', async () => {
    const server = tracked(serve(scriptedAgent(model.llm), { shutdownGraceSeconds: 0.5, requestTimeout: 0, sseHeartbeatSeconds: 0 }));
    const origin = await server.start('127.0.0.1', 0);
    model.llm.enqueue({ hang: true });
    const res = await postRun(origin, '/run', { query: 'never answered', session_id: 'hung-S' });
    const frames = readSseFrames(res.body as ReadableStream<Uint8Array>);
    await readUntil(frames, (frame) => frame.event === 'session');
    await modelCalled();
    const started = performance.now();
    const stopping = server.stop();
    const rest = await readUntil(frames, () => false); // returns when the server closes the stream
    await stopping;
    const tail = rest.slice(-2);
    expect(tail[0]).toMatchObject({ event: 'error', data: { error: 'Server shutting down', session_id: 'hung-S' } });
    expect(tail[1]).toMatchObject({ event: 'session', data: { session_id: 'hung-S', status: 'ended' } });
    expect(rest.some((frame) => frame.event === 'complete')).toBe(false);
    expect(performance.now() - started).toBeLessThan(5_000);
    // The run was told to stop: the model call it was waiting on is cancelled.
    await model.llm.waitFor((requests) => requests.some((r) => r.aborted));
  });

  it('cuts a /run/sync still running after the grace period, so stop() returns', async () => {
    const agent = scriptedAgent(model.llm);
    const cleanup = vi.spyOn(agent, 'cleanup');
    const server = tracked(serve(agent, { shutdownGraceSeconds: 0.3, requestTimeout: 0 }));
    const origin = await server.start('127.0.0.1', 0);
    model.llm.enqueue({ hang: true });
    const running = postRun(origin, '/run/sync', { query: 'hangs' }).then(
      (res) => `status ${res.status}`,
      () => 'connection closed',
    );
    await modelCalled();
    const started = performance.now();
    await server.stop();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await running).toBe('connection closed');
    expect(cleanup).toHaveBeenCalledTimes(1);
    await model.llm.waitFor((requests) => requests.some((r) => r.aborted));
  });

  it('gives requests and background runs one grace period between them, not one each', async () => {
    // The background clock records every sleep asked of it: the worker's grace wait is one of them.
    const sleeps: number[] = [];
    const clock = { now: () => systemClock.now(), sleep: (ms: number, signal?: AbortSignal) => (sleeps.push(ms), systemClock.sleep(ms, signal)) };
    const server = tracked(new OmniServe(scriptedAgent(model.llm), { shutdownGraceSeconds: 0.3, requestTimeout: 0 }, { env: {}, logger: false, background: { clock } }));
    const origin = await server.start('127.0.0.1', 0);
    expect((await postRun(origin, '/background/tasks', { task_id: 'slow', query: 'hangs', schedule: { type: 'manual' } })).status).toBe(200);
    model.llm.enqueue({ hang: true });
    // The waiting request and the background run it waits for are both in flight when the drain starts.
    const waiting = postRun(origin, '/background/tasks/slow/run', { wait: true }).then(
      (res) => `status ${res.status}`,
      () => 'connection closed',
    );
    await modelCalled();
    sleeps.length = 0;
    await server.stop();
    expect(await waiting).toBe('connection closed');
    // The requests used up the whole 300 ms, so the runs get no second grace period of their own.
    // (100 ms sleeps are the waiting request's re-reads of the run.)
    expect(sleeps.filter((ms) => ms > 100 && ms <= 300)).toEqual([]);
  });

  it('stop() twice drains once and releases the agent once; a stopped server does not start again', async () => {
    const agent = scriptedAgent(model.llm);
    const cleanup = vi.spyOn(agent, 'cleanup');
    const server = tracked(serve(agent));
    await server.start('127.0.0.1', 0);
    await Promise.all([server.stop(), server.stop()]);
    expect(cleanup).toHaveBeenCalledTimes(1);
    await expect(server.start('127.0.0.1', 0)).rejects.toThrow(/stopped/);
  });

  it('a bare app.close() still releases the agent', async () => {
    const agent = scriptedAgent(model.llm);
    const cleanup = vi.spyOn(agent, 'cleanup');
    const server = serve(agent);
    await server.app.inject({ method: 'GET', url: '/health' });
    await server.app.close();
    expect(cleanup).toHaveBeenCalledTimes(1);
  });
});

describe('lifecycle (spec 7.7, 7.9)', () => {
  function lightAgent(overrides: Partial<ServableAgent> = {}): ServableAgent & { cleanup: ReturnType<typeof vi.fn> } {
    return { name: 'LifecycleAgent', run: async (query: string) => query, cleanup: vi.fn(async () => undefined), ...overrides } as never;
  }

  it('a failed start-up still cleans up, and start() throws the start-up error', async () => {
    const agent = lightAgent({
      connectMcpServers: async () => {
        throw new Error('MCP server "files" did not start');
      },
    });
    const server = serve(agent);
    await expect(server.start('127.0.0.1', 0)).rejects.toThrow('MCP server "files" did not start');
    expect(agent.cleanup).toHaveBeenCalledTimes(1);
    expect(server.app.server.listening).toBe(false);
  });

  it('a port already in use still cleans up what start-up connected', async () => {
    const first = tracked(serve(lightAgent()));
    const origin = await first.start('127.0.0.1', 0);
    const agent = lightAgent();
    const second = serve(agent);
    await expect(second.start('127.0.0.1', Number(new URL(origin).port))).rejects.toThrow(/EADDRINUSE|address already in use/);
    expect(agent.cleanup).toHaveBeenCalledTimes(1);
  });

  it('a failing cleanup is logged and re-raised by stop() when nothing else failed', async () => {
    const { logger, lines } = capturingLogger();
    const agent = lightAgent({ cleanup: vi.fn(async () => Promise.reject(new Error('could not close MCP client'))) });
    const server = new OmniServe(agent, {}, { env: {}, logger });
    await server.start('127.0.0.1', 0);
    await expect(server.stop()).rejects.toThrow('could not close MCP client');
    expect(lines()).toContainEqual(
      expect.objectContaining({ level: 50, msg: 'agent cleanup failed', err: expect.objectContaining({ message: 'could not close MCP client' }) }),
    );
  });

  it('a failing background shutdown does not stop the agent cleanup, and stop() re-raises it', async () => {
    class UnclosableTaskStore extends MemoryTaskStore {
      override async close(): Promise<void> {
        throw new Error('task store would not close');
      }
    }
    const { logger, lines } = capturingLogger();
    const agent = lightAgent();
    const server = new OmniServe(agent, {}, { env: {}, logger, background: { store: new UnclosableTaskStore() } });
    await server.start('127.0.0.1', 0);
    await expect(server.stop()).rejects.toThrow('task store would not close');
    expect(agent.cleanup).toHaveBeenCalledTimes(1);
    expect(lines()).toContainEqual(expect.objectContaining({ msg: 'background cleanup failed' }));
  });

  it('when start-up and cleanup both fail, start() throws the start-up error and the cleanup error is logged', async () => {
    const { logger, lines } = capturingLogger();
    const agent = lightAgent({
      connectMcpServers: async () => Promise.reject(new Error('start-up failed')),
      cleanup: vi.fn(async () => Promise.reject(new Error('cleanup failed too'))),
    });
    const server = new OmniServe(agent, {}, { env: {}, logger });
    await expect(server.start('127.0.0.1', 0)).rejects.toThrow('start-up failed');
    expect(agent.cleanup).toHaveBeenCalledTimes(1);
    expect(lines()).toContainEqual(expect.objectContaining({ msg: 'agent cleanup failed', err: expect.objectContaining({ message: 'cleanup failed too' }) }));
  });

  it('start() checks host and port before binding or touching the agent', async () => {
    const connectMcpServers = vi.fn(async () => undefined);
    const server = serve(lightAgent({ connectMcpServers }));
    await expect(server.start('  ', 8000)).rejects.toThrow(ConfigError);
    await expect(server.start('  ', 8000)).rejects.toThrow('OMNICOREAGENT_SERVE_HOST must not be empty');
    await expect(server.start('127.0.0.1', 70_000)).rejects.toThrow('OMNICOREAGENT_SERVE_PORT must be between 1 and 65535');
    await expect(server.start('127.0.0.1', 1.5)).rejects.toThrow('got 1.5');
    expect(connectMcpServers).not.toHaveBeenCalled();
    expect(server.app.server.listening).toBe(false);
  });
});
