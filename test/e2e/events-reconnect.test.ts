/**
 * End to end, against the real CLI: a client following a run through `/events/{session_id}?run_id=` loses its
 * connection mid-run, reconnects with Last-Event-ID, and gets every later event exactly once, ending with the
 * terminal frame. The model is a ScriptedOpenAIServer in this process that streams its answer slowly, in many chunks.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedOpenAIServer } from '../../src/testing/scripted-openai-server.ts';
import { FIXTURES, postJson, readSseFrames, startServing, stopAllClis, type SseFrame } from './spawn-cli.ts';

let model: ScriptedOpenAIServer;
beforeAll(async () => {
  model = await ScriptedOpenAIServer.start();
});
afterEach(async () => {
  await stopAllClis();
  model.reset();
});
afterAll(async () => model.close());

interface FrameData {
  readonly run_id?: string;
  readonly event_id?: string;
  readonly status?: string;
}

const data = (frame: SseFrame) => frame.data as FrameData;

describe('reconnecting to /events with Last-Event-ID (real CLI over loopback)', () => {
  it('receives every later event exactly once after the connection is cut mid-run', async () => {
    const { baseUrl } = await startServing(['run', '--agent', join(FIXTURES, 'ts-agent.ts')], {
      env: { LLM_BASE_URL: model.baseUrl, LLM_API_KEY: 'test', OMNICOREAGENT_SERVE_REQUEST_TIMEOUT: '60' },
    });
    const answer = 'This answer streams slowly, two characters at a time, so the run lasts a while.';
    model.enqueue({ text: answer, chunkSize: 2, chunkDelayMs: 25 });

    // The run: POST /run, read until its first event frame names the run, then keep draining it in the background.
    const runResponse = await postJson(baseUrl, '/run', { query: 'stream please', session_id: 'E2E' });
    const runFrames = readSseFrames(runResponse.body as ReadableStream<Uint8Array>);
    let runId: string | undefined;
    // next(), not `for await ... break`: breaking out would close the generator, and with it the run's connection.
    while (runId === undefined) {
      const next = await runFrames.next();
      if (next.done === true) throw new Error('POST /run ended before its first event');
      if (next.value.event !== 'session') runId = data(next.value).run_id;
    }
    expect(runId).toMatch(/^run_[0-9a-f]{32}$/);
    let completed = false;
    const runDone = (async () => {
      for await (const frame of runFrames) if (frame.event === 'complete') completed = true;
    })();

    // First connection: follow the run, and cut it after a few streamed pieces.
    const cut = new AbortController();
    const first = await fetch(`${baseUrl}/events/E2E?run_id=${runId}`, { signal: cut.signal });
    const firstFrames: SseFrame[] = [];
    const reader = readSseFrames(first.body as ReadableStream<Uint8Array>);
    for await (const frame of reader) {
      firstFrames.push(frame);
      if (firstFrames.filter((f) => f.event === 'text_delta').length >= 5) break;
    }
    cut.abort();
    expect(completed).toBe(false);
    const lastId = firstFrames.filter((f) => f.id !== undefined).at(-1)?.id as string;
    expect(firstFrames[0]).toMatchObject({ event: 'session', data: { session_id: 'E2E', run_id: runId, status: 'streaming' } });

    // Second connection: resume after the last id received.
    const second = await fetch(`${baseUrl}/events/E2E?run_id=${runId}`, { headers: { 'last-event-id': lastId } });
    expect(completed).toBe(false);
    const secondFrames: SseFrame[] = [];
    for await (const frame of readSseFrames(second.body as ReadableStream<Uint8Array>)) secondFrames.push(frame);
    await runDone;
    expect(completed).toBe(true);

    // Compare with the full list the server keeps once the run is over.
    const listed = (await (await fetch(`${baseUrl}/events/E2E/list?run_id=${runId}`)).json()) as {
      events: { event_id: string; event_type: string; stream_cursor: number }[];
    };
    const received = [...firstFrames, ...secondFrames].filter((f) => f.id !== undefined);
    expect(received.map((f) => Number(f.id))).toEqual(listed.events.map((e) => e.stream_cursor));
    expect(received.map((f) => data(f).event_id)).toEqual(listed.events.map((e) => e.event_id));
    expect(received.map((f) => f.event)).toEqual(listed.events.map((e) => e.event_type));
    expect(secondFrames.filter((f) => f.id !== undefined).every((f) => Number(f.id) > Number(lastId))).toBe(true);
    expect(secondFrames.filter((f) => f.event === 'text_delta').length).toBeGreaterThan(0);
    const text = received.filter((f) => f.event === 'text_delta').map((f) => (f.data as { output: { delta: string } }).output.delta);
    expect(text.join('')).toBe(answer);
    expect(secondFrames[0]).toMatchObject({ event: 'session', data: { status: 'streaming' } });
    expect(secondFrames.at(-2)?.event).toBe('serve_request_end');
    expect(secondFrames.at(-1)).toMatchObject({ event: 'session', data: { session_id: 'E2E', run_id: runId, status: 'ended' } });
  });
});
