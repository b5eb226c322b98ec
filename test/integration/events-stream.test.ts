/**
 * Resumable event streams (spec 4, issue 4): every stored frame's `id:` is its stream cursor; `/events/{sid}` and
 * `/telemetry/events/stream` replay after a cursor or Last-Event-ID, then follow live with no gap or duplicate; a
 * stream for a finished run ends with the terminal frames; `/run` frames carry the same ids, so a client that loses
 * `/run` can resume through `/events`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OmniServe } from '../../src/app/omni-serve.ts';
import { ScriptedOpenAIServer } from '../../src/testing/scripted-openai-server.ts';
import { readSseFrames, type SseFrame as LiveFrame } from '../e2e/spawn-cli.ts';
import { parseSse, scriptedAgent, serve, useScriptedModel, type SseFrame } from '../support/serve-fixture.ts';

const model = useScriptedModel();
const tracked = (server: OmniServe): OmniServe => model.tracked(server);

interface ListedEvent {
  readonly event_id: string;
  readonly event_type: string;
  readonly stream_cursor: number;
}

async function listEvents(server: OmniServe, sessionId: string, runId?: string): Promise<ListedEvent[]> {
  const query = runId === undefined ? '' : `?run_id=${runId}`;
  return (await server.app.inject({ url: `/events/${sessionId}/list${query}` })).json().events;
}

async function sse(server: OmniServe, url: string, headers: Record<string, string> = {}): Promise<SseFrame[]> {
  const res = await server.app.inject({ method: 'GET', url, headers });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toContain('text/event-stream');
  return parseSse(res.body);
}

const eventFrames = <F extends { event: string }>(frames: readonly F[]): F[] => frames.filter((f) => f.event !== 'session');

/** Reads frames until `until` holds for one (inclusive). */
async function readUntil(frames: AsyncGenerator<LiveFrame>, until: (frame: LiveFrame) => boolean): Promise<LiveFrame[]> {
  const seen: LiveFrame[] = [];
  for (;;) {
    const next = await frames.next();
    if (next.done === true) return seen;
    seen.push(next.value);
    if (until(next.value)) return seen;
  }
}

describe('GET /events/{session_id}', () => {
  it('for a finished run: replays all its events with their cursors as ids, then ends with the terminal frame', async () => {
    const server = tracked(serve(scriptedAgent(model.llm)));
    model.llm.enqueue({ text: 'first answer' }, { text: 'one two three', chunkSize: 4 });
    await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'a', session_id: 'S' } });
    const run = (await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'b', session_id: 'S' } })).json();
    const frames = await sse(server, `/events/S?run_id=${run.run_id}`);
    expect(frames[0]).toEqual({ event: 'session', id: undefined, data: { session_id: 'S', run_id: run.run_id, status: 'streaming' } });
    expect(frames.at(-1)).toEqual({ event: 'session', id: undefined, data: { session_id: 'S', run_id: run.run_id, status: 'ended' } });
    const listed = await listEvents(server, 'S', run.run_id);
    const events = eventFrames(frames);
    expect(events.map((f) => [f.event, Number(f.id)])).toEqual(listed.map((e) => [e.event_type, e.stream_cursor]));
    expect(events.map((f) => f.data.event_id)).toEqual(listed.map((e) => e.event_id));
    expect(events.filter((f) => f.event === 'text_delta').length).toBeGreaterThan(1);
    expect(events.at(-1)?.event).toBe('serve_request_end');
    for (const frame of events) expect(frame.data).toMatchObject({ session_id: 'S', run_id: run.run_id, type: frame.event, stream_cursor: Number(frame.id) });
  });

  it('replays strictly after Last-Event-ID or the cursor query, whichever is further', async () => {
    const server = tracked(serve(scriptedAgent(model.llm)));
    model.llm.enqueue({ text: 'hello world' });
    const run = (await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'a', session_id: 'S' } })).json();
    const all = await listEvents(server, 'S');
    const cut = all[3]?.stream_cursor as number;
    const later = all.filter((e) => e.stream_cursor > cut).map((e) => e.stream_cursor);
    const ids = (frames: SseFrame[]) => eventFrames(frames).map((f) => Number(f.id));
    expect(ids(await sse(server, `/events/S?run_id=${run.run_id}`, { 'last-event-id': String(cut) }))).toEqual(later);
    expect(ids(await sse(server, `/events/S?run_id=${run.run_id}&cursor=${cut}`))).toEqual(later);
    expect(ids(await sse(server, `/events/S?run_id=${run.run_id}&cursor=1`, { 'last-event-id': String(cut) }))).toEqual(later);
    expect(ids(await sse(server, `/telemetry/events/stream?session_id=S&run_id=${run.run_id}&cursor=${cut}`))).toEqual(later);
    const bad = await server.app.inject({ url: '/events/S?cursor=-1' });
    expect(bad.statusCode).toBe(422);
  });

  it('/telemetry/events/stream requires session_id', async () => {
    const server = tracked(serve(scriptedAgent(model.llm)));
    const res = await server.app.inject({ url: '/telemetry/events/stream' });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toMatchObject({ type: 'missing', loc: ['query', 'session_id'] });
  });

  it('follows a session live without run_id, with heartbeats, until the server drains', async () => {
    const server = tracked(serve(scriptedAgent(model.llm), { sseHeartbeatSeconds: 0.05 }));
    const origin = await server.start('127.0.0.1', 0);
    const res = await fetch(`${origin}/events/LIVE`);
    const reader = res.body?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    let text = '';
    while (!text.includes(': keep-alive')) text += new TextDecoder().decode((await reader.read()).value);
    model.llm.enqueue({ text: 'live one' }, { text: 'live two' });
    const first = await fetch(`${origin}/run/sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"1","session_id":"LIVE"}' });
    const second = await fetch(`${origin}/run/sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"2","session_id":"LIVE"}' });
    expect([first.status, second.status]).toEqual([200, 200]);
    const listed = await listEvents(server, 'LIVE');
    while (!text.includes(`id: ${listed.at(-1)?.stream_cursor}\n`)) text += new TextDecoder().decode((await reader.read()).value);
    const stopping = server.stop();
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    await stopping;
    const frames = parseSse(text);
    expect(frames[0]?.data).toEqual({ session_id: 'LIVE', run_id: null, status: 'streaming' });
    expect(eventFrames(frames).map((f) => Number(f.id))).toEqual(listed.map((e) => e.stream_cursor));
    expect(frames.at(-1)?.data).toEqual({ session_id: 'LIVE', run_id: null, status: 'ended' });
  });
});

describe('POST /run frames', () => {
  it('carry the stored cursors as ids, and leave the serve layer\'s own events to /events', async () => {
    const server = tracked(serve(scriptedAgent(model.llm)));
    model.llm.enqueue({ text: 'some streamed words', chunkSize: 5 });
    const frames = parseSse((await server.app.inject({ method: 'POST', url: '/run', payload: { query: 'q', session_id: 'R' } })).body);
    const runId = frames.find((f) => f.event === 'complete')?.data.run_id;
    const listed = await listEvents(server, 'R', runId);
    const streamed = frames.filter((f) => f.id !== undefined);
    expect(streamed.map((f) => [f.event, Number(f.id), f.data.event_id])).toEqual(
      listed.filter((e) => !e.event_type.startsWith('serve_request_')).map((e) => [e.event_type, e.stream_cursor, e.event_id]),
    );
    expect(frames.map((f) => f.event).slice(-2)).toEqual(['complete', 'session']);
  });

  it('a client that loses /run mid-run resumes through /events with Last-Event-ID and misses nothing', async () => {
    const server = tracked(serve(scriptedAgent(model.llm), { requestTimeout: 0 }));
    const origin = await server.start('127.0.0.1', 0);
    model.llm.enqueue({ text: 'a slow answer that arrives in many small pieces', chunkSize: 3, chunkDelayMs: 15 });
    const controller = new AbortController();
    const res = await fetch(`${origin}/run`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"q","session_id":"X"}', signal: controller.signal,
    });
    const frames = readSseFrames(res.body as ReadableStream<Uint8Array>);
    const before = await readUntil(frames, (frame) => frame.event === 'text_delta' && frame.id !== undefined);
    const runId = (before.find((f) => f.id !== undefined)?.data as { run_id: string }).run_id;
    const lastId = before.filter((f) => f.id !== undefined).at(-1)?.id as string;
    controller.abort();
    await frames.return(undefined).catch(() => undefined);
    // The run goes on only while its client is there: it is cancelled, and the resumed stream shows how it ended.
    const resumed = await fetch(`${origin}/events/X?run_id=${runId}`, { headers: { 'last-event-id': lastId } });
    const after = await readUntil(readSseFrames(resumed.body as ReadableStream<Uint8Array>), () => false);
    const listed = await listEvents(server, 'X', runId);
    const seen = [...before, ...after].filter((f) => f.id !== undefined).map((f) => Number(f.id));
    expect(seen).toEqual(listed.filter((e) => before.some((f) => Number(f.id) === e.stream_cursor) || e.stream_cursor > Number(lastId)).map((e) => e.stream_cursor));
    expect(new Set(seen).size).toBe(seen.length);
    expect(after.at(-1)).toMatchObject({ event: 'session', data: { status: 'ended', run_id: runId } });
    expect(after.at(-2)).toMatchObject({ event: 'serve_request_error', data: { error: { type: 'CancelledError', message: 'SSE stream closed' } } });
  });
});
