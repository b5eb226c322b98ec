import { describe, expect, it } from 'vitest';
import { MemoryTelemetryStore } from '../stores/memory/memory-telemetry-store.ts';
import type { StoredEvent } from '../stores/types.ts';
import { followSessionEvents } from './follow-session-events.ts';
import { PollingTelemetryNotifier } from './polling-telemetry-notifier.ts';
import { SharedTelemetryFeed } from './shared-telemetry-feed.ts';
import { createTelemetryEvent } from './telemetry-event.ts';
import { TelemetryRecorder } from './telemetry-recorder.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let n = 0;
const event = (run = 'R', type = 'text_delta') =>
  createTelemetryEvent({ trace_id: `trace_${run}`, event_type: type, actor: { type: 'agent' }, sequence_number: n++, metadata: { session_id: 'S', run_id: run } });

describe('SharedTelemetryFeed with a polling notifier', () => {
  it('lets a follower with its own feed (another process) receive what a recorder stores, once each', async () => {
    const store = new MemoryTelemetryStore();
    const writer = new TelemetryRecorder({ store, feed: new SharedTelemetryFeed(new PollingTelemetryNotifier(store)) });
    const notifier = new PollingTelemetryNotifier(store, { intervalMs: 10 });
    await writer.append(event());
    const received: StoredEvent[] = [];
    const following = (async () => {
      for await (const e of followSessionEvents({ store, feed: new SharedTelemetryFeed(notifier), sessionId: 'S', runId: 'R' })) received.push(e);
    })();
    for (let i = 0; i < 10; i += 1) {
      await writer.append(event(i % 3 === 0 ? 'other' : 'R'));
      if (i % 4 === 0) await pause(15);
    }
    await writer.append(event('R', 'serve_request_end'));
    await following;
    expect(received.map((e) => e.stream_cursor)).toEqual((await store.readEvents({ sessionId: 'S', runId: 'R', limit: 100 })).map((e) => e.stream_cursor));
    expect(received.at(-1)?.event_type).toBe('serve_request_end');
  });

  it('polls only while someone follows, and wakes a new subscriber once it is live', async () => {
    let reads = 0;
    const store = { latestCursor: async () => (reads += 1) };
    const notifier = new PollingTelemetryNotifier(store, { intervalMs: 5 });
    let wakes = 0;
    const unsubscribe = notifier.subscribe('S', () => (wakes += 1));
    await pause(30);
    expect(wakes).toBeGreaterThan(1);
    unsubscribe();
    const after = reads;
    await pause(30);
    expect(reads).toBe(after);
    await notifier.close();
  });
});
