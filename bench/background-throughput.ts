/**
 * Background scheduling on the in-memory task store, in one process, with a no-op agent:
 *  1. steady: `--tasks` interval tasks, every `--interval` s, their phases spread evenly, so runs come due at
 *     tasks/interval per second; prints runs dispatched and completed per second, and the lag between each run's
 *     due time and its start (p50, p99);
 *  2. burst: `--burst` manual runs queued at once; prints how fast the worker drains them, next to a bare
 *     in-process queue calling the same agent (no store, leases, events) measured in the same run, as a ratio.
 * Targets (issue 5): at least 1,000 runs/s, p99 lag under 100 ms.
 *
 *   node --import tsx bench/background-throughput.ts [--tasks 2000] [--interval 2] [--seconds 10] [--burst 20000]
 */
import { parseArgs } from 'node:util';
import type { ServableAgent } from '../src/agent/servable-agent.ts';
import { BackgroundManager } from '../src/background/background-manager.ts';
import { CreateTaskRequestSchema } from '../src/background/background-records.ts';
import { MemoryTaskStore } from '../src/stores/memory/memory-task-store.ts';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '2000' },
    interval: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '10' },
    burst: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '256' },
  },
});
const tasks = Number(values.tasks);
const interval = Number(values.interval);
const seconds = Number(values.seconds);
const burst = Number(values.burst);
const concurrency = Number(values.concurrency);

const noop: ServableAgent = { name: 'NoOp', run: async () => ({ response: 'ok' }) };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function newManager(): BackgroundManager {
  return new BackgroundManager({ store: new MemoryTaskStore(), defaultAgentId: 'default', maxConcurrentRuns: concurrency });
}

async function steady() {
  const manager = newManager();
  await manager.initialize(noop);
  const t0 = Date.now() + 1_000;
  for (let i = 0; i < tasks; i += 1) {
    const startAt = new Date(t0 + Math.floor((i * interval * 1000) / tasks)).toISOString();
    await manager.tasks.create(
      CreateTaskRequestSchema.parse({
        task_id: `t${i}`,
        query: 'noop',
        schedule: { type: 'interval', seconds: interval, start_at: startAt },
        overlap_policy: 'allow_parallel',
        workspace_policy: { write_run_json: false, write_events_jsonl: false },
      }) as never,
    );
  }
  manager.start();
  // Measure a window that starts once every task has run twice (warm-up: JIT, heap growth), then let the last runs finish.
  const from = t0 + 2 * interval * 1000;
  const to = from + seconds * 1000;
  await sleep(to - Date.now() + 500);
  await manager.shutdown(5_000);
  const all = await manager.store.listRuns();
  const lagsOf = (runs: typeof all) =>
    runs.filter((run) => run.status === 'completed').map((run) => Date.parse(run.started_at as string) - Date.parse(run.due_at as string)).sort((a, b) => a - b);
  const runs = all.filter((run) => run.due_at !== null && Date.parse(run.due_at) >= from && Date.parse(run.due_at) < to);
  const cold = all.filter((run) => run.due_at !== null && Date.parse(run.due_at) < from);
  const lags = lagsOf(runs);
  return { expected: (tasks / interval) * seconds, dispatched: runs.length, completed: lags.length, lags, coldLags: lagsOf(cold) };
}

async function drain() {
  const manager = newManager();
  await manager.initialize(noop);
  await manager.tasks.create(
    CreateTaskRequestSchema.parse({
      task_id: 'burst',
      query: 'noop',
      schedule: { type: 'manual' },
      overlap_policy: 'allow_parallel',
      workspace_policy: { write_run_json: false, write_events_jsonl: false },
    }) as never,
  );
  const signal = new AbortController().signal;
  const queuedAt = performance.now();
  for (let i = 0; i < burst; i += 1) await manager.runs.trigger('burst', { query: null, wait: false }, { budgetMs: null, signal, requestTimeoutSeconds: 0 });
  const queueSeconds = (performance.now() - queuedAt) / 1000;
  const started = performance.now();
  manager.start();
  while (((await manager.store.countRuns()).byStatus.completed ?? 0) < burst) await sleep(20);
  const drainSeconds = (performance.now() - started) / 1000;
  await manager.shutdown(0);
  return { queuedPerSecond: burst / queueSeconds, completedPerSecond: burst / drainSeconds };
}

/** The floor: the same agent called from a plain array queue with the same concurrency. */
async function bare() {
  const queue = Array.from({ length: burst }, (_, i) => i);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (queue.pop() !== undefined) await noop.run('noop', { sessionId: 's' });
    }),
  );
  return burst / ((performance.now() - started) / 1000);
}

const s = await steady();
const lagLine = `lag due->start p50 ${percentile(s.lags, 50)} ms, p99 ${percentile(s.lags, 99)} ms, max ${s.lags.at(-1)} ms`;
console.log(`steady: ${tasks} interval tasks every ${interval}s for ${seconds}s (${tasks / interval} runs/s due)`);
console.log(`  dispatched ${(s.dispatched / seconds).toFixed(0)} runs/s, completed ${(s.completed / seconds).toFixed(0)} runs/s (${s.completed}/${s.expected} due runs)`);
console.log(`  ${lagLine}`);
console.log(`  (first ${2 * interval}s, cold: p50 ${percentile(s.coldLags, 50)} ms, p99 ${percentile(s.coldLags, 99)} ms, max ${s.coldLags.at(-1)} ms; not in the figures above)`);
const d = await drain();
const floor = await bare();
console.log(`burst: ${burst} queued runs, ${concurrency} at once`);
console.log(`  queued ${d.queuedPerSecond.toFixed(0)} runs/s (manual triggers), completed ${d.completedPerSecond.toFixed(0)} runs/s`);
console.log(`  bare in-process queue ${floor.toFixed(0)} calls/s; background machinery costs ${(floor / d.completedPerSecond).toFixed(0)}x a bare call`);
const ok = s.completed / seconds >= 1000 && d.completedPerSecond >= 1000 && percentile(s.lags, 99) < 100;
console.log(`targets (>= 1,000 runs/s, p99 lag < 100 ms): ${ok ? 'met' : 'NOT met'}`);
