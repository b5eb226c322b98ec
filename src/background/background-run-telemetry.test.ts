import { describe, expect, it } from 'vitest';
import { MemoryTelemetryStore } from '../stores/memory/memory-telemetry-store.ts';
import { BackgroundRunTelemetry } from './background-run-telemetry.ts';
import { lifecycleEvent, RUN_EVENTS } from './lifecycle-events.ts';
import type { BackgroundRun } from './run-record.ts';
import { sampleRun } from './testing/sample-records.ts';

const write = (run: BackgroundRun, name: string, sequence: number) => ({ run, events: [lifecycleEvent(run, name, sequence, '2030-01-01T00:00:0' + sequence + '.000Z')] });

describe('background run telemetry (spec 5.5)', () => {
  it('appends each lifecycle event and ends the trace with the mapped status', async () => {
    const store = new MemoryTelemetryStore();
    const telemetry = new BackgroundRunTelemetry(store);
    const run = sampleRun();
    telemetry.onRunWrite(write(run, RUN_EVENTS.queued, 1));
    telemetry.onRunWrite(write({ ...run, status: 'failed', error: 'boom' }, RUN_EVENTS.failed, 2));
    await telemetry.flush();
    const trace = await store.getTrace(`trace_background_${run.run_id}`);
    expect(trace).toMatchObject({ status: 'failed', run_id: run.run_id, root_span_id: `span_background_${run.run_id}`, metadata: { tags: ['background'] } });
    expect(trace?.spans[0]).toMatchObject({ kind: 'background.run', status: 'error', actor: { type: 'background' }, error: { message: 'boom' } });
    expect(trace?.spans[0]?.event_ids).toHaveLength(2);
    const events = await store.readEvents({ traceId: `trace_background_${run.run_id}`, limit: 10 });
    expect(events.map((e) => [e.event_type, e.output])).toEqual([
      [RUN_EVENTS.queued, { event: RUN_EVENTS.queued, status: 'queued' }],
      [RUN_EVENTS.failed, { event: RUN_EVENTS.failed, status: 'failed' }],
    ]);
    expect(events[1]?.metadata).toMatchObject({ sequence: 2, run_id: run.run_id, task_id: run.task_id });
  });

  it('maps skipped to a completed trace with a skipped span', async () => {
    const store = new MemoryTelemetryStore();
    const telemetry = new BackgroundRunTelemetry(store);
    const run = { ...sampleRun(), status: 'skipped' as const };
    telemetry.onRunWrite(write(run, RUN_EVENTS.skipped, 1));
    await telemetry.flush();
    const trace = await store.getTrace(`trace_background_${run.run_id}`);
    expect([trace?.status, trace?.spans[0]?.status]).toEqual(['completed', 'skipped']);
  });

  it('gives up on a store that hangs or fails, and never throws to the run', async () => {
    const warnings: string[] = [];
    let calls = 0;
    const flaky = { appendEvents: () => (++calls === 1 ? new Promise<never>(() => {}) : Promise.reject(new Error('down'))) };
    const telemetry = new BackgroundRunTelemetry(flaky, { timeoutMs: 20, logger: { warn: (_d, m) => warnings.push(m), error: () => {} } });
    expect(() => telemetry.onRunWrite(write(sampleRun(), RUN_EVENTS.queued, 1))).not.toThrow();
    expect(() => telemetry.onRunWrite(write(sampleRun(), RUN_EVENTS.claimed, 2))).not.toThrow();
    await telemetry.flush();
    expect(warnings).toEqual(['background telemetry write failed', 'background telemetry write failed']);
  });

  it('lists every event of the run in the trace when another process wrote the earlier ones', async () => {
    // Two observers on one store stand for two processes: one queued the run, the other claimed and finished it.
    const store = new MemoryTelemetryStore();
    const dispatcher = new BackgroundRunTelemetry(store);
    const worker = new BackgroundRunTelemetry(store);
    const run = sampleRun();
    dispatcher.onRunWrite(write(run, RUN_EVENTS.queued, 1));
    await dispatcher.flush();
    worker.onRunWrite(write({ ...run, status: 'claimed' }, RUN_EVENTS.claimed, 2));
    worker.onRunWrite(write({ ...run, status: 'completed' }, RUN_EVENTS.completed, 3));
    await worker.flush();
    const trace = await store.getTrace(`trace_background_${run.run_id}`);
    const events = await store.readEvents({ traceId: `trace_background_${run.run_id}`, limit: 10 });
    expect(events.map((e) => e.event_type)).toEqual([RUN_EVENTS.queued, RUN_EVENTS.claimed, RUN_EVENTS.completed]);
    expect(trace?.spans[0]?.event_ids).toEqual(events.map((e) => e.event_id));
    expect(trace).toMatchObject({ status: 'completed', started_at: run.triggered_at, ended_at: '2030-01-01T00:00:03.000Z' });
  });
});
