/**
 * Telemetry in a store shared by several processes. Each test opens the backend two or three times (separate
 * connections and pools: for the store, separate processes) and checks what the single-process conformance suite
 * cannot: data written by one is read by another, concurrent appends from two never show a reader a gap that is
 * filled later, and a live follower in one process receives, exactly once and in order, what another records.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openStores, type StoreBundle } from '../../src/app/open-stores.ts';
import type { TaskStoreConfig } from '../../src/config/task-store-config.ts';
import { ConfigError } from '../../src/core/errors.ts';
import type { StoredEvent, TelemetryStore } from '../../src/stores/types.ts';
import { followSessionEvents } from '../../src/telemetry/follow-session-events.ts';
import { SharedTelemetryFeed } from '../../src/telemetry/shared-telemetry-feed.ts';
import { createTelemetryEvent } from '../../src/telemetry/telemetry-event.ts';
import { TelemetryRecorder } from '../../src/telemetry/telemetry-recorder.ts';
import { dropTestData } from '../support/drop-test-data.ts';
import { TEST_BACKENDS } from '../support/test-backends.ts';

const used: TaskStoreConfig[] = [];
const opened: StoreBundle[] = [];
afterAll(async () => {
  await Promise.all(opened.splice(0).map((bundle) => bundle.close()));
  await Promise.all(used.map((config) => dropTestData(config)));
});

let n = 0;
function event(session: string, run = 'R', type = 'text_delta') {
  return createTelemetryEvent({
    trace_id: `trace_${run}`,
    event_type: type,
    actor: { type: 'agent' },
    sequence_number: n++,
    metadata: { session_id: session, run_id: run },
  });
}

/** Runs `count` tasks with at most `width` in flight. */
async function inParallel(count: number, width: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) await task(next++);
  }));
}

const durable = TEST_BACKENDS.filter((backend) => backend.name !== 'memory');

for (const backend of durable) {
  describe.skipIf(backend.skip !== null)(`durable telemetry: ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    /** One more "process" on this backend's shared data. */
    const processes = async (count: number): Promise<StoreBundle[]> => {
      const config = backend.config();
      used.push(config);
      const bundles: StoreBundle[] = [];
      for (let i = 0; i < count; i += 1) bundles.push(await openStores(config));
      opened.push(...bundles);
      return bundles;
    };
    const storeOf = (bundle: StoreBundle) => bundle.telemetry as TelemetryStore;

    it('shares events, cursors and traces between processes', async () => {
      const [a, b] = await processes(2);
      const first = await storeOf(a!).appendEvent(event('S'));
      const second = await storeOf(b!).appendEvent(event('S'));
      expect(second.stream_cursor).toBeGreaterThan(first.stream_cursor);
      expect(await storeOf(a!).latestCursor('S')).toBe(second.stream_cursor);
      expect((await storeOf(a!).readEvents({ sessionId: 'S', limit: 10 })).map((e) => e.stream_cursor)).toEqual([
        first.stream_cursor,
        second.stream_cursor,
      ]);
    });

    it('never lets a reader see a gap that is filled later, with two processes appending to one session', async () => {
      const [a, b, reader] = await processes(3);
      const perWriter = 150;
      let writing = true;
      const seen: number[] = [];
      const reading = (async () => {
        let high = 0;
        while (writing) {
          const page = await storeOf(reader!).readEvents({ sessionId: 'busy', afterCursor: high, limit: 1000 });
          for (const e of page) seen.push(e.stream_cursor);
          high = page.at(-1)?.stream_cursor ?? high;
        }
        const rest = await storeOf(reader!).readEvents({ sessionId: 'busy', afterCursor: high, limit: 1000 });
        for (const e of rest) seen.push(e.stream_cursor);
      })();
      await Promise.all(
        [a!, b!].map((bundle, w) => inParallel(perWriter, 8, (i) => storeOf(bundle).appendEvent(event('busy', `W${w}-${i % 5}`)))),
      );
      writing = false;
      await reading;
      const all = (await storeOf(reader!).readEvents({ sessionId: 'busy', limit: 1000 })).map((e) => e.stream_cursor);
      expect(all).toHaveLength(2 * perWriter);
      expect(new Set(all).size).toBe(all.length);
      // Had an event become visible after a later cursor, the reader would have passed it: its list would miss it.
      expect(seen).toEqual(all);
    });

    it('streams to a follower in one process what another process records, once each and in order', async () => {
      const [writer, follower] = await processes(2);
      const recorder = new TelemetryRecorder({ store: storeOf(writer!), feed: new SharedTelemetryFeed(writer!.telemetryNotifier!) });
      const feed = new SharedTelemetryFeed(follower!.telemetryNotifier!);
      for (let i = 0; i < 3; i += 1) await recorder.append(event('live', 'R1'));

      const received: StoredEvent[] = [];
      const arrivals: number[] = [];
      const following = (async () => {
        for await (const e of followSessionEvents({ store: storeOf(follower!), feed, sessionId: 'live', runId: 'R1' })) {
          received.push(e);
          arrivals.push(performance.now());
        }
      })();
      // Live events from the writer, interleaved with another run's (filtered out) and the follower's own process.
      const sent: number[] = [];
      for (let i = 0; i < 20; i += 1) {
        await recorder.append(event('live', i % 4 === 0 ? 'R2' : 'R1'));
        sent.push(performance.now());
        if (i % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await recorder.append(event('live', 'R1', 'serve_request_end'));
      await following;

      const stored = await storeOf(follower!).readEvents({ sessionId: 'live', runId: 'R1', limit: 100 });
      expect(received.map((e) => e.stream_cursor)).toEqual(stored.map((e) => e.stream_cursor));
      expect(received).toHaveLength(3 + 15 + 1);
      expect(received.at(-1)?.event_type).toBe('serve_request_end');
      expect(feed.subscribedSessions).toBe(0);
    });

    it('stays within its retention bounds (plus at most one check interval) while runs keep coming', async () => {
      const config = backend.config();
      used.push(config);
      // Bounds whose check intervals are above 1 (2 traces, 3 events per session, 10 events), to test the batching.
      const retention = { maxTraces: 200, maxEventsPerSession: 300, maxEvents: 1_000 };
      const bundle = await openStores(config, { telemetryRetention: retention });
      opened.push(bundle);
      const store = storeOf(bundle);
      const width = 4;
      await inParallel(300, width, async (run) => {
        const session = run % 2 === 0 ? 'busy' : `one-off-${run}`;
        for (let i = 0; i < 10; i += 1) await store.appendEvent({ ...event(session, `R${run}`), trace_id: `trace_${run}` });
        await store.saveTrace({
          trace_id: `trace_${run}`, root_span_id: null, status: 'completed', started_at: new Date(run * 1000).toISOString(), ended_at: null,
          run_id: `R${run}`, session_id: session, task_id: null, suite_id: null, agent_id: null, workflow_id: null,
          metadata: { agent_name: 'A', agent_version: null, model_provider: null, model: null, prompt_version: null,
            tool_schema_version: null, memory_config_version: null, constraint_config_version: null, tags: [] },
          spans: [],
        });
      });
      const events = await store.readEvents({ limit: 100_000 });
      expect(events.length).toBeLessThanOrEqual(retention.maxEvents + 10 + width);
      expect(events.length).toBeGreaterThanOrEqual(retention.maxEvents - 10 * width);
      expect((await store.readEvents({ sessionId: 'busy', limit: 100_000 })).length).toBeLessThanOrEqual(retention.maxEventsPerSession + 3 + width);
      expect((await store.findTraces({ limit: 100_000 })).length).toBeLessThanOrEqual(retention.maxTraces + 2 + width);
      // The newest runs are whole.
      expect(await store.readEvents({ runId: 'R299', limit: 100 })).toHaveLength(10);
      expect(await store.getTrace('trace_299')).not.toBeNull();
    });

    it('follows a session both processes write to, and stops following when aborted', async () => {
      const [a, b] = await processes(2);
      const recorders = [a!, b!].map((bundle) => new TelemetryRecorder({ store: storeOf(bundle), feed: new SharedTelemetryFeed(bundle.telemetryNotifier!) }));
      const stop = new AbortController();
      const received: number[] = [];
      const following = (async () => {
        const follow = followSessionEvents({ store: storeOf(b!), feed: recorders[1]!.feed, sessionId: 'both', signal: stop.signal });
        for await (const e of follow) {
          received.push(e.stream_cursor);
          if (received.length === 40) stop.abort();
        }
        return 'done';
      })();
      await inParallel(40, 4, (i) => recorders[i % 2]!.append(event('both', `R${i % 3}`)));
      expect(await following).toBe('done');
      const stored = (await storeOf(a!).readEvents({ sessionId: 'both', limit: 100 })).map((e) => e.stream_cursor);
      expect(received).toEqual(stored);
    });
  });
}

describe.skipIf(TEST_BACKENDS.find((b) => b.name === 'postgres')?.skip != null)('durable telemetry: start-up failures', () => {
  it('reports a migration the database refuses as a ConfigError naming the variable and the host', async () => {
    const postgres = TEST_BACKENDS.find((b) => b.name === 'postgres')!.config();
    if (postgres.backend !== 'sql' || postgres.url === undefined) throw new Error('postgres test backend has no URL');
    // A login role without the right to create tables (since PostgreSQL 15 only the owner may create in `public`).
    const role = `omniserve_ro_${Math.random().toString(16).slice(2, 10)}`;
    const { sql } = await import('kysely');
    const { openSqlDatabase } = await import('../../src/stores/sql/sql-database.ts');
    const database = await openSqlDatabase({ url: postgres.url, variable: 'test' });
    try {
      await sql`create role ${sql.id(role)} login`.execute(database.db);
      const url = new URL(postgres.url);
      url.username = role;
      url.password = 'secret-not-shown';
      const problem = await openStores({ backend: 'sql', url: url.toString(), prefix: 'refused_' }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(problem).toBeInstanceOf(ConfigError);
      const text = (problem as ConfigError).problems.join('\n');
      expect(text).toContain('OMNICOREAGENT_BACKGROUND_TASK_STORE_URL');
      expect(text).toContain('127.0.0.1:5432');
      expect(text).toMatch(/cannot prepare the tables/);
      expect(text).not.toContain('secret-not-shown');
    } finally {
      await sql`drop role if exists ${sql.id(role)}`.execute(database.db).catch(() => undefined);
      await database.close();
    }
  });
});
