/**
 * The shared suite every TelemetryStore adapter must pass unchanged (run by test/conformance/telemetry-store.test.ts
 * once per adapter). An adapter that cannot do something declares a skip with its reason; no case returns early.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTelemetryEvent, type TelemetryEvent } from '../../telemetry/telemetry-event.ts';
import type { TraceRecord, TraceStatus } from '../../telemetry/trace-model.ts';
import type { TelemetryRetention, TelemetryStore } from '../types.ts';

export interface TelemetryStoreConformanceOptions {
  /** Cases the adapter cannot run, each with the reason shown in the test report. */
  readonly skip?: {
    /** Count-based retention (`TelemetryRetention`): say why, e.g. "retention is a TTL index". */
    readonly eviction?: string;
  };
}

export type TelemetryStoreFactory = (retention?: TelemetryRetention) => Promise<TelemetryStore>;

interface EventSpec {
  readonly session?: string;
  readonly run?: string;
  readonly trace?: string;
  readonly task?: string;
  readonly type?: string;
}

let sequence = 0;

function event(spec: EventSpec = {}): TelemetryEvent {
  const metadata: Record<string, unknown> = { session_id: spec.session ?? 'S', run_id: spec.run ?? 'run_1' };
  if (spec.task !== undefined) metadata['task_id'] = spec.task;
  return createTelemetryEvent({
    trace_id: spec.trace ?? 'trace_1',
    event_type: spec.type ?? 'model_call',
    actor: { type: 'agent', id: 'A', name: 'A' },
    sequence_number: sequence++,
    metadata,
  });
}

interface TraceSpec {
  readonly id: string;
  readonly started: string;
  readonly run?: string;
  readonly session?: string;
  readonly task?: string | null;
  readonly agent?: string | null;
  readonly workflow?: string | null;
  readonly model?: string | null;
  readonly status?: TraceStatus;
}

function trace(spec: TraceSpec): TraceRecord {
  return {
    trace_id: spec.id,
    root_span_id: `span_${spec.id}`,
    status: spec.status ?? 'running',
    started_at: spec.started,
    ended_at: null,
    run_id: spec.run ?? `run_${spec.id}`,
    session_id: spec.session ?? 'S',
    task_id: spec.task ?? null,
    suite_id: null,
    agent_id: spec.agent ?? null,
    workflow_id: spec.workflow ?? null,
    metadata: {
      agent_name: 'A', agent_version: null, model_provider: null, model: spec.model ?? null, prompt_version: null,
      tool_schema_version: null, memory_config_version: null, constraint_config_version: null, tags: [],
    },
    spans: [],
  };
}

function at(second: number): string {
  return new Date(Date.UTC(2030, 0, 1, 0, 0, second)).toISOString();
}

function expectIncreasing(values: readonly number[]): void {
  for (let i = 1; i < values.length; i += 1) expect(values[i]).toBeGreaterThan(values[i - 1] as number);
}

export function describeTelemetryStoreConformance(
  name: string,
  factory: TelemetryStoreFactory,
  options: TelemetryStoreConformanceOptions = {},
): void {
  describe(`TelemetryStore conformance: ${name}`, () => {
    const opened: TelemetryStore[] = [];
    const open = async (retention?: TelemetryRetention): Promise<TelemetryStore> => {
      const store = await factory(retention);
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    describe('stream cursors', () => {
      it('gives each appended event the next cursor of its session, and latestCursor follows', async () => {
        const store = await open();
        expect(await store.latestCursor('S')).toBe(0);
        const cursors: number[] = [];
        for (let i = 0; i < 5; i += 1) {
          const stored = await store.appendEvent(event());
          cursors.push(stored.stream_cursor);
          expect(await store.latestCursor('S')).toBe(stored.stream_cursor);
        }
        expect(cursors[0]).toBeGreaterThan(0);
        expectIncreasing(cursors);
        const read = await store.readEvents({ sessionId: 'S', limit: 100 });
        expect(read.map((e) => e.stream_cursor)).toEqual(cursors);
      });

      it('keeps sessions independent: appends to one never move or reorder another', async () => {
        const store = await open();
        const a: number[] = [];
        for (let i = 0; i < 4; i += 1) {
          a.push((await store.appendEvent(event({ session: 'A' }))).stream_cursor);
          const before = await store.latestCursor('A');
          await store.appendEvent(event({ session: 'B' }));
          await store.appendEvent(event({ session: 'B' }));
          expect(await store.latestCursor('A')).toBe(before);
        }
        expectIncreasing(a);
        expect((await store.readEvents({ sessionId: 'A', limit: 100 })).map((e) => e.stream_cursor)).toEqual(a);
        const b = (await store.readEvents({ sessionId: 'B', limit: 100 })).map((e) => e.stream_cursor);
        expect(b).toHaveLength(8);
        expectIncreasing(b);
        const afterSecond = await store.readEvents({ sessionId: 'A', afterCursor: a[1] as number, limit: 100 });
        expect(afterSecond.map((e) => e.stream_cursor)).toEqual(a.slice(2));
        expect(afterSecond.every((e) => e.metadata['session_id'] === 'A')).toBe(true);
      });

      it('gives concurrent appends to one session distinct, strictly ordered cursors', async () => {
        const store = await open();
        const results = await Promise.all(
          Array.from({ length: 100 }, (_, i) => store.appendEvent(event({ session: i % 2 === 0 ? 'C' : 'D' }))),
        );
        for (const session of ['C', 'D']) {
          const mine = results.filter((e) => e.metadata['session_id'] === session).map((e) => e.stream_cursor);
          expect(new Set(mine).size).toBe(50);
          const read = await store.readEvents({ sessionId: session, limit: 1000 });
          expect(read).toHaveLength(50);
          expectIncreasing(read.map((e) => e.stream_cursor));
          expect(await store.latestCursor(session)).toBe(Math.max(...mine));
        }
      });

      it('stores the event as given, plus its cursor', async () => {
        const store = await open();
        const original = event({ type: 'tool_call', task: 'T1' });
        const stored = await store.appendEvent(original);
        const [read] = await store.readEvents({ sessionId: 'S', limit: 1 });
        expect(read).toEqual({ ...original, stream_cursor: stored.stream_cursor });
      });
    });

    describe('appendEvents (one run write: events, then its trace)', () => {
      it('appends the events in order with the next cursors of their session, then saves the trace', async () => {
        const store = await open();
        const earlier = (await store.appendEvent(event({ trace: 'TB' }))).stream_cursor;
        const batch = ['queued', 'claimed', 'started'].map((type) => event({ trace: 'TB', type }));
        const saved = { ...trace({ id: 'TB', started: at(3) }), status: 'running' as const };
        const stored = await store.appendEvents(batch, saved);
        expect(stored.map((e) => e.event_type)).toEqual(['queued', 'claimed', 'started']);
        expectIncreasing([earlier, ...stored.map((e) => e.stream_cursor)]);
        const read = await store.readEvents({ sessionId: 'S', afterCursor: earlier, limit: 10 });
        expect(read).toEqual(stored);
        expect(await store.latestCursor('S')).toBe(stored.at(-1)?.stream_cursor);
        expect(await store.getTrace('TB')).toEqual(saved);
        // A later write replaces the trace, as saveTrace does.
        const done = { ...saved, status: 'completed' as const, ended_at: at(4) };
        const [completed] = await store.appendEvents([event({ trace: 'TB', type: 'completed' })], done);
        expect(completed?.stream_cursor).toBeGreaterThan(stored.at(-1)?.stream_cursor as number);
        expect(await store.getTrace('TB')).toEqual(done);
        expect((await store.readEvents({ traceId: 'TB', limit: 10 })).map((e) => e.event_type)).toEqual([
          'model_call', 'queued', 'claimed', 'started', 'completed',
        ]);
      });

      it('keeps cursors distinct and ordered when batches and single appends of one session run concurrently', async () => {
        const store = await open();
        const work = Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0 ? store.appendEvents([event({ session: 'P', trace: `P${i}` }), event({ session: 'P', trace: `P${i}` })], null) : store.appendEvent(event({ session: 'P' })).then((e) => [e]),
        );
        const cursors = (await Promise.all(work)).flatMap((batch) => {
          expectIncreasing(batch.map((e) => e.stream_cursor));
          return batch.map((e) => e.stream_cursor);
        });
        expect(new Set(cursors).size).toBe(30);
        const read = await store.readEvents({ sessionId: 'P', limit: 100 });
        expect(read.map((e) => e.stream_cursor).sort((a, b) => a - b)).toEqual([...cursors].sort((a, b) => a - b));
        expectIncreasing(read.map((e) => e.stream_cursor));
      });

      it('saves the trace alone when there are no events, and takes events of several sessions', async () => {
        const store = await open();
        expect(await store.appendEvents([], trace({ id: 'TE', started: at(5) }))).toEqual([]);
        expect((await store.getTrace('TE'))?.trace_id).toBe('TE');
        const mixed = await store.appendEvents([event({ session: 'M1' }), event({ session: 'M2' }), event({ session: 'M1' })], null);
        expect(mixed.map((e) => e.metadata['session_id'])).toEqual(['M1', 'M2', 'M1']);
        expect((await store.readEvents({ sessionId: 'M1', limit: 10 })).map((e) => e.stream_cursor)).toEqual([mixed[0]?.stream_cursor, mixed[2]?.stream_cursor]);
      });
    });

    describe('readEvents', () => {
      const seed = async (store: TelemetryStore) => {
        await store.appendEvent(event({ session: 'S1', run: 'R1', trace: 'T1', type: 'agent_start' }));
        await store.appendEvent(event({ session: 'S1', run: 'R1', trace: 'T1', type: 'text_delta' }));
        await store.appendEvent(event({ session: 'S2', run: 'R2', trace: 'T2', type: 'agent_start', task: 'K' }));
        await store.appendEvent(event({ session: 'S1', run: 'R1', trace: 'T1', type: 'model_call' }));
        await store.appendEvent(event({ session: 'S1', run: 'R3', trace: 'T3', type: 'agent_start' }));
        await store.appendEvent(event({ session: 'S2', run: 'R2', trace: 'T2', type: 'agent_end', task: 'K' }));
      };
      const types = (events: readonly TelemetryEvent[]) => events.map((e) => `${e.trace_id}:${e.event_type}`);

      it('returns everything oldest first without filters, and honours limit', async () => {
        const store = await open();
        await seed(store);
        expect(types(await store.readEvents({ limit: 100 }))).toEqual([
          'T1:agent_start', 'T1:text_delta', 'T2:agent_start', 'T1:model_call', 'T3:agent_start', 'T2:agent_end',
        ]);
        expect(types(await store.readEvents({ limit: 2 }))).toEqual(['T1:agent_start', 'T1:text_delta']);
      });

      it('filters by session, run, trace and task (ids in metadata)', async () => {
        const store = await open();
        await seed(store);
        expect(types(await store.readEvents({ sessionId: 'S1', limit: 100 }))).toEqual([
          'T1:agent_start', 'T1:text_delta', 'T1:model_call', 'T3:agent_start',
        ]);
        expect(types(await store.readEvents({ runId: 'R1', limit: 100 }))).toEqual(['T1:agent_start', 'T1:text_delta', 'T1:model_call']);
        expect(types(await store.readEvents({ sessionId: 'S1', runId: 'R3', limit: 100 }))).toEqual(['T3:agent_start']);
        expect(types(await store.readEvents({ traceId: 'T2', limit: 100 }))).toEqual(['T2:agent_start', 'T2:agent_end']);
        expect(types(await store.readEvents({ taskId: 'K', limit: 100 }))).toEqual(['T2:agent_start', 'T2:agent_end']);
        expect(await store.readEvents({ sessionId: 'S1', traceId: 'T2', limit: 100 })).toEqual([]);
        expect(await store.readEvents({ sessionId: 'nobody', limit: 100 })).toEqual([]);
      });

      it('filters by event types (include and exclude) and cursor', async () => {
        const store = await open();
        await seed(store);
        expect(types(await store.readEvents({ eventTypes: ['agent_start', 'agent_end'], limit: 100 }))).toEqual([
          'T1:agent_start', 'T2:agent_start', 'T3:agent_start', 'T2:agent_end',
        ]);
        expect(types(await store.readEvents({ traceId: 'T1', excludeEventTypes: ['text_delta'], limit: 100 }))).toEqual([
          'T1:agent_start', 'T1:model_call',
        ]);
        const s1 = await store.readEvents({ sessionId: 'S1', limit: 100 });
        const after = await store.readEvents({ sessionId: 'S1', afterCursor: s1[1]?.stream_cursor as number, limit: 100 });
        expect(types(after)).toEqual(['T1:model_call', 'T3:agent_start']);
        const page = await store.readEvents({ sessionId: 'S1', afterCursor: s1[0]?.stream_cursor as number, limit: 1 });
        expect(types(page)).toEqual(['T1:text_delta']);
      });
    });

    describe('traces', () => {
      it('saveTrace creates, then replaces (upsert)', async () => {
        const store = await open();
        expect(await store.getTrace('X')).toBeNull();
        await store.saveTrace(trace({ id: 'X', started: at(1) }));
        expect((await store.getTrace('X'))?.status).toBe('running');
        const done = { ...trace({ id: 'X', started: at(1), status: 'completed' }), ended_at: at(2) };
        await store.saveTrace(done);
        expect(await store.getTrace('X')).toEqual(done);
        expect(await store.findTraces({ traceId: 'X', limit: 10 })).toEqual([done]);
      });

      it('findTraces matches every given filter, newest first, up to limit', async () => {
        const store = await open();
        await store.saveTrace(trace({ id: 'old', started: at(1), run: 'R', session: 'S1', model: 'm1', status: 'completed' }));
        await store.saveTrace(trace({ id: 'new', started: at(3), run: 'R', session: 'S1', model: 'm2', agent: 'ag', task: 'tk', workflow: 'wf' }));
        await store.saveTrace(trace({ id: 'mid', started: at(2), run: 'R2', session: 'S2', model: 'm1', status: 'failed' }));
        const ids = async (query: Parameters<TelemetryStore['findTraces']>[0]) => (await store.findTraces(query)).map((t) => t.trace_id);
        expect(await ids({ limit: 10 })).toEqual(['new', 'mid', 'old']);
        expect(await ids({ limit: 2 })).toEqual(['new', 'mid']);
        expect(await ids({ runId: 'R', limit: 10 })).toEqual(['new', 'old']);
        expect(await ids({ sessionId: 'S2', limit: 10 })).toEqual(['mid']);
        expect(await ids({ model: 'm1', limit: 10 })).toEqual(['mid', 'old']);
        expect(await ids({ status: 'completed', limit: 10 })).toEqual(['old']);
        expect(await ids({ agentId: 'ag', taskId: 'tk', workflowId: 'wf', limit: 10 })).toEqual(['new']);
        expect(await ids({ traceId: 'mid', runId: 'R', limit: 10 })).toEqual([]);
        expect(await ids({ status: 'running', runId: 'R', sessionId: 'S1', limit: 10 })).toEqual(['new']);
      });

      it('orders traces with the same start time newest-saved first', async () => {
        const store = await open();
        await store.saveTrace(trace({ id: 'first', started: at(5) }));
        await store.saveTrace(trace({ id: 'second', started: at(5) }));
        expect((await store.findTraces({ limit: 10 })).map((t) => t.trace_id)).toEqual(['second', 'first']);
      });
    });

    describe.skipIf(options.skip?.eviction !== undefined)(`retention${options.skip?.eviction ? ` (skipped: ${options.skip.eviction})` : ''}`, () => {
      it('drops the oldest traces, with their events, past maxTraces', async () => {
        const store = await open({ maxTraces: 3 });
        for (let i = 1; i <= 5; i += 1) {
          await store.appendEvent(event({ session: `S${i}`, trace: `T${i}`, run: `R${i}` }));
          await store.saveTrace(trace({ id: `T${i}`, started: at(i), session: `S${i}`, run: `R${i}` }));
        }
        expect((await store.findTraces({ limit: 10 })).map((t) => t.trace_id)).toEqual(['T5', 'T4', 'T3']);
        expect(await store.getTrace('T1')).toBeNull();
        expect(await store.readEvents({ traceId: 'T2', limit: 10 })).toEqual([]);
        expect((await store.readEvents({ limit: 10 })).map((e) => e.trace_id)).toEqual(['T3', 'T4', 'T5']);
      });

      it('keeps the newest events of a session past maxEventsPerSession, cursors still increasing', async () => {
        const store = await open({ maxEventsPerSession: 5 });
        const cursors: number[] = [];
        for (let i = 0; i < 8; i += 1) cursors.push((await store.appendEvent(event({ session: 'S' }))).stream_cursor);
        const kept = await store.readEvents({ sessionId: 'S', limit: 100 });
        expect(kept.map((e) => e.stream_cursor)).toEqual(cursors.slice(3));
        expect(await store.latestCursor('S')).toBe(cursors[7]);
      });

      it('never reuses a cursor of a session whose events were all evicted', async () => {
        const store = await open({ maxTraces: 1 });
        const before = (await store.appendEvent(event({ session: 'S', trace: 'T1' }))).stream_cursor;
        await store.appendEvent(event({ session: 'other', trace: 'T2' }));
        expect(await store.readEvents({ sessionId: 'S', limit: 10 })).toEqual([]);
        const after = (await store.appendEvent(event({ session: 'S', trace: 'T3' }))).stream_cursor;
        expect(after).toBeGreaterThan(before);
        const replay = await store.readEvents({ sessionId: 'S', afterCursor: before, limit: 10 });
        expect(replay.map((e) => e.stream_cursor)).toEqual([after]);
      });

      it('bounds the total number of events past maxEvents, oldest traces first', async () => {
        const store = await open({ maxEvents: 4 });
        for (let i = 1; i <= 4; i += 1) {
          await store.appendEvent(event({ trace: `T${i}` }));
          await store.appendEvent(event({ trace: `T${i}` }));
        }
        const kept = await store.readEvents({ limit: 100 });
        expect(kept.map((e) => e.trace_id)).toEqual(['T3', 'T3', 'T4', 'T4']);
      });
    });
  });
}
