import { describe, expect, it } from 'vitest';
import { MemoryTelemetryStore } from '../stores/memory/memory-telemetry-store.ts';
import type { EventQuery, StoredEvent } from '../stores/types.ts';
import { FollowOverflowError, followSessionEvents } from './follow-session-events.ts';
import { LocalTelemetryFeed } from './telemetry-feed.ts';
import { createTelemetryEvent } from './telemetry-event.ts';
import { TelemetryRecorder } from './telemetry-recorder.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A memory store whose reads are slow, so appends land while a follower is between its snapshot and its replay. */
class SlowReadStore extends MemoryTelemetryStore {
  override async readEvents(query: EventQuery): Promise<StoredEvent[]> {
    await pause(3);
    return super.readEvents(query);
  }
  override async latestCursor(sessionId: string): Promise<number> {
    await pause(3);
    return super.latestCursor(sessionId);
  }
}

function setup(store = new MemoryTelemetryStore()) {
  const feed = new LocalTelemetryFeed();
  const recorder = new TelemetryRecorder({ store, feed });
  let n = 0;
  const record = (type = 'text_delta', run = 'R', session = 'S') =>
    recorder.append(
      createTelemetryEvent({
        trace_id: `trace_${run}`,
        event_type: type,
        actor: { type: 'agent' },
        sequence_number: n++,
        metadata: { session_id: session, run_id: run },
      }),
    );
  return { store, feed, recorder, record };
}

async function collect(events: AsyncGenerator<StoredEvent, unknown>, until: (event: StoredEvent) => boolean): Promise<number[]> {
  const cursors: number[] = [];
  for await (const event of events) {
    cursors.push(event.stream_cursor);
    if (until(event)) break;
  }
  return cursors;
}

describe('followSessionEvents', () => {
  it('replays strictly after the cursor, then follows live, until stopped', async () => {
    const { store, feed, record } = setup();
    for (let i = 0; i < 5; i += 1) await record();
    const stop = new AbortController();
    const follow = followSessionEvents({ store, feed, sessionId: 'S', afterCursor: 2, signal: stop.signal });
    const seen: number[] = [];
    const done = (async () => {
      for await (const event of follow) {
        seen.push(event.stream_cursor);
        if (seen.length === 6) stop.abort();
      }
    })();
    await pause(5);
    for (let i = 0; i < 3; i += 1) await record();
    await record('text_delta', 'R', 'other-session');
    await done;
    expect(seen).toEqual([3, 4, 5, 6, 7, 8]);
    expect(feed.subscribedSessions).toBe(0);
  });

  it('hands over from replay to live with no gap and no duplicate while events keep arriving', async () => {
    const { store, feed, record } = setup(new SlowReadStore());
    const producing = (async () => {
      for (let i = 0; i < 300; i += 1) {
        void record();
        if (i % 7 === 0) await pause(1);
      }
      await record('serve_request_end');
    })();
    await pause(4);
    const cursors = await collect(followSessionEvents({ store, feed, sessionId: 'S', runId: 'R' }), () => false);
    await producing;
    expect(cursors).toEqual(Array.from({ length: 301 }, (_, i) => i + 1));
  });

  it('for one run: skips other runs, and ends after the run end event, at once if the run is already over', async () => {
    const { store, feed, record } = setup();
    await record('agent_start', 'R1');
    await record('agent_start', 'R2');
    await record('serve_request_end', 'R2');
    await record('agent_end', 'R1');
    const finished = followSessionEvents({ store, feed, sessionId: 'S', runId: 'R2' });
    const events: StoredEvent[] = [];
    let step = await finished.next();
    while (step.done !== true) {
      events.push(step.value);
      step = await finished.next();
    }
    expect(events.map((e) => e.event_type)).toEqual(['agent_start', 'serve_request_end']);
    expect(step.value).toBe('run_ended');

    const live = collect(followSessionEvents({ store, feed, sessionId: 'S', runId: 'R1' }), () => false);
    await pause(5);
    await record('text_delta', 'R3');
    await record('serve_request_error', 'R1');
    expect(await live).toEqual([1, 4, 6]);
  });

  it('fails with FollowOverflowError when the consumer falls more than the buffer behind', async () => {
    const { store, feed, record } = setup();
    const follow = followSessionEvents({ store, feed, sessionId: 'S', bufferLimit: 5 });
    const first = follow.next();
    await pause(5);
    for (let i = 0; i < 10; i += 1) await record();
    expect((await first).value).toMatchObject({ stream_cursor: 1 });
    await expect(follow.next()).rejects.toBeInstanceOf(FollowOverflowError);
    expect(feed.subscribedSessions).toBe(0);
  });

  it('returns "stopped" when aborted while waiting for live events', async () => {
    const { store, feed } = setup();
    const stop = new AbortController();
    const follow = followSessionEvents({ store, feed, sessionId: 'S', signal: stop.signal });
    const next = follow.next();
    await pause(5);
    stop.abort();
    expect(await next).toEqual({ done: true, value: 'stopped' });
  });

  it('fails when the store does not answer within the replay timeout', async () => {
    const { feed } = setup();
    const hung = new MemoryTelemetryStore();
    hung.latestCursor = () => new Promise(() => undefined);
    const follow = followSessionEvents({ store: hung, feed, sessionId: 'S', replayTimeoutMs: 20 });
    await expect(follow.next()).rejects.toThrow(/took longer than 0.02 s/);
  });
});
