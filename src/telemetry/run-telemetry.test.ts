import { describe, expect, it } from 'vitest';
import { MemoryTelemetryStore } from '../stores/memory/memory-telemetry-store.ts';
import { createTelemetryEvent } from './telemetry-event.ts';
import { TelemetryRecorder, type TraceExporter } from './telemetry-recorder.ts';
import type { TraceRecord } from './trace-model.ts';

function setup() {
  const exported: TraceRecord[] = [];
  const exporter: TraceExporter = { export: (trace) => exported.push(trace), close: async () => undefined };
  const recorder = new TelemetryRecorder({ store: new MemoryTelemetryStore(), exporter });
  return { recorder, exported };
}

const bare = (event_type: string, sequence_number: number, output: unknown = null) =>
  createTelemetryEvent({ trace_id: 'trace_A', event_type, actor: { type: 'agent' }, sequence_number, output });

describe('RunTelemetry', () => {
  it('attributes events that name no session or run to its run, saves the trace and exports it once when it ends', async () => {
    const { recorder, exported } = setup();
    const run = recorder.watchRun({ sessionId: 'S', runId: 'R' });
    run.onEvent(bare('agent_start', 0));
    await recorder.flush('S');
    expect((await recorder.store.getTrace('trace_A'))?.status).toBe('running');
    run.onEvent(bare('agent_end', 1, { status: 'success' }));
    await run.finish('completed');
    const stored = await recorder.store.readEvents({ sessionId: 'S', limit: 10 });
    expect(stored.map((e) => [e.event_type, e.metadata['run_id']])).toEqual([['agent_start', 'R'], ['agent_end', 'R']]);
    expect(stored.every((e) => e.span_id !== null)).toBe(true);
    expect((await recorder.store.getTrace('trace_A'))?.status).toBe('completed');
    expect(exported.map((t) => t.status)).toEqual(['completed']);
    expect(run.traceIds).toEqual(['trace_A']);
  });

  it('ends an unfinished trace with the serve outcome; a timeout stays a timeout when the agent reports later', async () => {
    const { recorder, exported } = setup();
    const run = recorder.watchRun({ sessionId: 'S', runId: 'R' });
    run.onEvent(bare('agent_start', 0));
    await run.finish('timeout');
    expect((await recorder.store.getTrace('trace_A'))?.status).toBe('timeout');
    run.onEvent(bare('agent_end', 1, { status: 'cancelled' }));
    await recorder.flush('S');
    const trace = await recorder.store.getTrace('trace_A');
    expect(trace?.status).toBe('timeout');
    expect(exported).toHaveLength(1);
    expect((await recorder.store.readEvents({ traceId: 'trace_A', limit: 10 })).map((e) => e.event_type)).toEqual(['agent_start', 'agent_end']);
  });
});
