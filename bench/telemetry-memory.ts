/**
 * Heap used by the in-memory telemetry store as runs accumulate, with its default retention (1,000 traces,
 * 100,000 events). Each synthetic run is what one served /run/sync leaves: an agent trace of 10 events (4 of them
 * text deltas) and a serve trace of 2. A bounded store shows the same heap at 20,000 runs as at 5,000.
 *
 *   node --expose-gc --import tsx bench/telemetry-memory.ts
 */
import { MemoryTelemetryStore } from '../src/stores/memory/memory-telemetry-store.ts';
import { createTelemetryEvent } from '../src/telemetry/telemetry-event.ts';
import type { TraceRecord } from '../src/telemetry/trace-model.ts';

const AGENT_EVENTS = ['agent_start', 'user_message', 'model_call', 'text_delta', 'text_delta', 'text_delta', 'text_delta', 'model_response', 'final_answer', 'agent_end'];
const CHECKPOINTS = [1_000, 5_000, 10_000, 20_000];

function trace(traceId: string, runId: string, sessionId: string): TraceRecord {
  return {
    trace_id: traceId, root_span_id: null, status: 'completed', started_at: new Date().toISOString(), ended_at: null, run_id: runId,
    session_id: sessionId, task_id: null, suite_id: null, agent_id: null, workflow_id: null,
    metadata: {
      agent_name: 'Bench', agent_version: null, model_provider: 'openai', model: 'm', prompt_version: null, tool_schema_version: null,
      memory_config_version: null, constraint_config_version: null, tags: [],
    },
    spans: [],
  };
}

async function recordRun(store: MemoryTelemetryStore, run: number): Promise<void> {
  const sessionId = `session_${run % 2_000}`;
  const runId = `run_${run}`;
  for (const [traceId, types] of [[`trace_s${run}`, ['serve_request_start', 'serve_request_end']], [`trace_a${run}`, AGENT_EVENTS]] as const) {
    for (const [i, type] of types.entries()) {
      await store.appendEvent(
        createTelemetryEvent({
          trace_id: traceId, event_type: type, actor: { type: 'agent', id: 'Bench', name: 'Bench' }, sequence_number: i,
          output: { text: 'a few words of model output '.repeat(4) }, metadata: { session_id: sessionId, run_id: runId, agent_name: 'Bench' },
        }),
      );
    }
    await store.saveTrace(trace(traceId, runId, sessionId));
  }
}

function heapMb(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

if (typeof globalThis.gc !== 'function') console.warn('run with --expose-gc for stable numbers');
const store = new MemoryTelemetryStore();
const baseline = heapMb();
const heaps = new Map<number, number>();
let run = 0;
for (const checkpoint of CHECKPOINTS) {
  for (; run < checkpoint; run += 1) await recordRun(store, run);
  const heap = heapMb() - baseline;
  heaps.set(checkpoint, heap);
  const stats = store.stats();
  console.log(`${String(checkpoint).padStart(6)} runs: ${heap.toFixed(1)} MB over baseline; ${stats.traces} traces, ${stats.events} events, ${stats.sessions} sessions`);
}
const ratio = (heaps.get(20_000) ?? 0) / (heaps.get(5_000) ?? 1);
console.log(`heap at 20,000 runs / heap at 5,000 runs: ${ratio.toFixed(2)} (1.00 = bounded)`);
