import { describe, expect, it } from 'vitest';
import { createTelemetryEvent } from '../../telemetry/telemetry-event.ts';
import type { TraceRecord } from '../../telemetry/trace-model.ts';
import { MEMORY_TELEMETRY_DEFAULTS, MemoryTelemetryStore } from './memory-telemetry-store.ts';

const EVENT_TYPES = ['agent_start', 'user_message', 'model_call', 'text_delta', 'text_delta', 'model_response', 'final_answer', 'agent_end'];

/** What one served run leaves behind: an agent trace with its events, and the serve trace with its two. */
async function recordRun(store: MemoryTelemetryStore, run: number, sessionId: string): Promise<void> {
  const runId = `run_${run}`;
  for (const [traceId, types] of [
    [`trace_serve_${run}`, ['serve_request_start', 'serve_request_end']],
    [`trace_agent_${run}`, EVENT_TYPES],
  ] as const) {
    for (const [i, type] of types.entries()) {
      await store.appendEvent(
        createTelemetryEvent({
          trace_id: traceId,
          event_type: type,
          actor: { type: 'agent', id: 'A', name: 'A' },
          sequence_number: i,
          output: { text: 'x'.repeat(64) },
          metadata: { session_id: sessionId, run_id: runId },
        }),
      );
    }
    await store.saveTrace(sampleTrace(traceId, runId, sessionId, run));
  }
}

function sampleTrace(traceId: string, runId: string, sessionId: string, run: number): TraceRecord {
  return {
    trace_id: traceId, root_span_id: null, status: 'completed', started_at: new Date(run * 1000).toISOString(), ended_at: null,
    run_id: runId, session_id: sessionId, task_id: null, suite_id: null, agent_id: null, workflow_id: null,
    metadata: {
      agent_name: 'A', agent_version: null, model_provider: null, model: null, prompt_version: null, tool_schema_version: null,
      memory_config_version: null, constraint_config_version: null, tags: [],
    },
    spans: [],
  };
}

describe('MemoryTelemetryStore retention', () => {
  it('stays at its default caps after 10,000 runs in fresh sessions', async () => {
    const store = new MemoryTelemetryStore();
    for (let run = 0; run < 10_000; run += 1) await recordRun(store, run, `session_${run}`);
    const stats = store.stats();
    expect(stats.traces).toBe(MEMORY_TELEMETRY_DEFAULTS.maxTraces);
    // Each kept trace keeps all its events: 500 agent traces of 8 and 500 serve traces of 2.
    expect(stats.events).toBe(500 * 8 + 500 * 2);
    expect(stats.sessions).toBe(500);
    expect(await store.getTrace('trace_agent_9999')).not.toBeNull();
    expect(await store.getTrace('trace_agent_0')).toBeNull();
  });

  it('caps one long session at maxEventsPerSession and the whole store at maxEvents', async () => {
    const store = new MemoryTelemetryStore({ maxTraces: 5_000, maxEventsPerSession: 300, maxEvents: 2_000 });
    for (let run = 0; run < 4_000; run += 1) await recordRun(store, run, run % 2 === 0 ? 'busy' : `session_${run}`);
    const stats = store.stats();
    expect(stats.events).toBeLessThanOrEqual(2_000);
    expect((await store.readEvents({ sessionId: 'busy', limit: 10_000 })).length).toBeLessThanOrEqual(300);
    expect(stats.traces).toBeLessThanOrEqual(5_000);
    // The newest run's events are all still there, in order.
    const last = await store.readEvents({ runId: 'run_3999', limit: 100 });
    expect(last.map((e) => e.event_type)).toEqual(['serve_request_start', 'serve_request_end', ...EVENT_TYPES]);
  });

  it('rejects a retention bound below 1', () => {
    expect(() => new MemoryTelemetryStore({ maxTraces: 0 })).toThrow(/maxTraces must be an integer of at least 1/);
  });
});
