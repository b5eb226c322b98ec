import { describe, expect, it, vi } from 'vitest';
import { MemoryTelemetryStore } from '../stores/memory/memory-telemetry-store.ts';
import type { StoredEvent } from '../stores/types.ts';
import { createTelemetryEvent, type TelemetryEvent } from './telemetry-event.ts';
import { TelemetryRecorder } from './telemetry-recorder.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A store whose appends take a random time and are not serialised: only the recorder can keep them in order. */
class JitteryStore extends MemoryTelemetryStore {
  override async appendEvent(event: TelemetryEvent): Promise<StoredEvent> {
    await pause(Math.random() * 4);
    return super.appendEvent(event);
  }
}

let n = 0;
function event(session: string, type = 'text_delta', extra: Record<string, unknown> = {}): TelemetryEvent {
  return createTelemetryEvent({
    trace_id: `trace_${session}`,
    event_type: type,
    actor: { type: 'agent' },
    sequence_number: n++,
    metadata: { session_id: session, run_id: 'R', ...extra },
  });
}

describe('TelemetryRecorder', () => {
  it('stores the events of a session in the order they were recorded, however long each append takes', async () => {
    const recorder = new TelemetryRecorder({ store: new JitteryStore() });
    const sent: TelemetryEvent[] = [];
    for (let i = 0; i < 60; i += 1) {
      const e = event(i % 3 === 0 ? 'B' : 'A');
      sent.push(e);
      void recorder.append(e);
    }
    expect(await recorder.flush('A')).toBe(true);
    expect(await recorder.flush('B')).toBe(true);
    for (const session of ['A', 'B']) {
      const stored = await recorder.store.readEvents({ sessionId: session, limit: 100 });
      expect(stored.map((e) => e.event_id)).toEqual(sent.filter((e) => e.metadata['session_id'] === session).map((e) => e.event_id));
    }
  });

  it('publishes each event after it is stored, with its cursor', async () => {
    const recorder = new TelemetryRecorder({ store: new MemoryTelemetryStore() });
    const seen: StoredEvent[] = [];
    const unsubscribe = recorder.feed.subscribe('A', (e) => seen.push(e));
    const stored = await recorder.append(event('A'));
    await recorder.append(event('other'));
    unsubscribe();
    expect(seen).toEqual([stored]);
    expect(seen[0]?.stream_cursor).toBe(1);
  });

  it('never throws: a failing store is reported and the next write still happens', async () => {
    const store = new MemoryTelemetryStore();
    const onError = vi.fn();
    const original = store.appendEvent.bind(store);
    let calls = 0;
    store.appendEvent = async (e) => {
      calls += 1;
      if (calls === 1) throw new Error('disk full');
      return original(e);
    };
    const recorder = new TelemetryRecorder({ store, onError });
    expect(await recorder.append(event('A'))).toBeNull();
    expect(await recorder.append(event('A'))).toMatchObject({ stream_cursor: 1 });
    expect(onError).toHaveBeenCalledWith('telemetry event append failed', expect.objectContaining({ message: 'disk full' }));
  });

  it('bounds how long a hung store holds anyone up', async () => {
    const store = new MemoryTelemetryStore();
    store.saveTrace = () => new Promise(() => undefined);
    const onError = vi.fn();
    const recorder = new TelemetryRecorder({ store, onError, writeTimeoutMs: 30 });
    const trace = { trace_id: 't', session_id: 'A' } as Parameters<typeof store.saveTrace>[0];
    const started = performance.now();
    expect(await recorder.saveTrace(trace)).toBe(false);
    // The write after the hung one is still made.
    expect(await recorder.append(event('A'))).toMatchObject({ stream_cursor: 1 });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(onError).toHaveBeenCalledWith(expect.stringContaining('trace save took longer than 30 ms'), null);
    store.latestCursor = () => new Promise(() => undefined);
    expect(await recorder.latestCursor('A')).toBe(0);
  });

  it('reports a drain through its signal', () => {
    const recorder = new TelemetryRecorder({ store: new MemoryTelemetryStore() });
    expect(recorder.draining.aborted).toBe(false);
    recorder.beginDrain();
    expect(recorder.draining.aborted).toBe(true);
  });
});
