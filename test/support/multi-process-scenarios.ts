/**
 * Several real `omniserve` processes on one durable task store (issue 6), the same scenarios for every backend:
 * every interval occurrence runs exactly once, no run executes in two places or twice at once, a task that allows
 * no parallel runs never has two running anywhere, a run whose process was SIGKILLed is recovered by another once
 * its lease expires (by a process already running, and by one started after the kill), and a queued run survives a
 * restart.
 *
 * The agent (test/fixtures/agents/recording-agent.ts) appends a line to a shared file when a run starts and when it
 * ends, with its process id: that file, not the store, is the witness of what actually executed.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskStoreConfig } from '../../src/config/task-store-config.ts';
import { FIXTURES, postJson, startServing, stopAllClis, type ServingCli } from '../e2e/spawn-cli.ts';
import { dropTestData } from './drop-test-data.ts';
import { TEST_BACKENDS } from './test-backends.ts';

export const RECORDING_AGENT = join(FIXTURES, 'recording-agent.ts');
const LEASE_SECONDS = 2;
const TERMINAL = ['completed', 'failed', 'cancelled', 'timeout', 'skipped'];

/** The variables that point a process at the backend's store (its URL, prefix, ...), from its test config. */
export type StoreEnv = (config: TaskStoreConfig) => Record<string, string>;

interface LogLine {
  readonly event: 'start' | 'end';
  readonly run: string;
  readonly pid: number;
  readonly at: number;
}

function readLog(path: string): LogLine[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogLine);
}

async function getJson(baseUrl: string, path: string): Promise<any> {
  const response = await fetch(`${baseUrl}${path}`);
  expect(response.status, `GET ${path}`).toBe(200);
  return response.json();
}

async function post(baseUrl: string, path: string, body: unknown): Promise<any> {
  const response = await postJson(baseUrl, path, body);
  const text = await response.text();
  expect(response.status, `POST ${path}: ${text}`).toBe(200);
  return JSON.parse(text);
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const manualTask = (taskId: string, query: string, overlap: string) => ({ task_id: taskId, query, schedule: { type: 'manual' }, overlap_policy: overlap });

/**
 * Describes the scenarios for the test backend `name` (test-backends.ts), skipped when that backend is; `storeEnv`
 * turns its config into the variables each spawned process gets.
 */
export function describeMultiProcessScenarios(name: string, storeEnv: StoreEnv): void {
  const backend = TEST_BACKENDS.find((candidate) => candidate.name === name);

  describe.skipIf(backend === undefined || backend.skip !== null)(`several omniserve processes on one ${name} store`, () => {
    let dir: string;
    let config: TaskStoreConfig | undefined;
    let env: Record<string, string>;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), `omni-multi-${name}-`));
      config = (backend as NonNullable<typeof backend>).config();
      env = {
        ...storeEnv(config),
        OMNICOREAGENT_BACKGROUND_LEASE_SECONDS: String(LEASE_SECONDS),
        OMNICOREAGENT_WORKSPACE_DIR: join(dir, 'workspace'),
        OMNICOREAGENT_SERVE_SHUTDOWN_GRACE_SECONDS: '0',
      };
    });
    afterEach(() => stopAllClis());
    afterAll(async () => {
      await stopAllClis();
      // Everything the processes wrote is under the test config's prefix (or in its SQLite file).
      if (config !== undefined) await dropTestData(config);
      await rm(dir, { recursive: true, force: true });
    });

    const serve = (log: string, extra: Record<string, string> = {}): Promise<ServingCli> =>
      startServing(['run', '--agent', RECORDING_AGENT], { env: { ...env, RECORDING_AGENT_LOG: log, ...extra } });

    it('runs each interval occurrence exactly once, each run once and in one place, one exclusive run at a time', async () => {
      const log = join(dir, 'once.jsonl');
      const servers = await Promise.all([serve(log), serve(log), serve(log)]);
      const [a, b, c] = servers as [ServingCli, ServingCli, ServingCli];
      await post(a.baseUrl, '/background/tasks', {
        task_id: 'tick', query: 'tick sleep=200', schedule: { type: 'interval', seconds: 1 }, overlap_policy: 'allow_parallel',
      });
      await post(b.baseUrl, '/background/tasks', manualTask('burst', 'burst sleep=100', 'allow_parallel'));
      await post(c.baseUrl, '/background/tasks', manualTask('serial', 'serial sleep=150', 'queue_next'));
      // Manual runs created through every process; whichever process claims one executes it.
      const created = await Promise.all([
        ...Array.from({ length: 30 }, (_, i) => post(servers[i % 3]!.baseUrl, '/background/tasks/burst/run', {})),
        ...Array.from({ length: 6 }, (_, i) => post(servers[i % 3]!.baseUrl, '/background/tasks/serial/run', {})),
      ]);
      expect(created.every((run) => run.status === 'queued')).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      await post(b.baseUrl, '/background/tasks/tick/pause', {});
      await eventually('every run to finish', async () => ((await getJson(c.baseUrl, '/background/status')).active_runs === 0 ? true : undefined));

      const list = async (taskId: string) => (await getJson(a.baseUrl, `/background/runs?task_id=${taskId}&limit=1000`)).runs as any[];
      const [tick, burst, serial] = await Promise.all([list('tick'), list('burst'), list('serial')]);
      expect(tick.length).toBeGreaterThanOrEqual(4);
      expect(burst).toHaveLength(30);
      expect(serial).toHaveLength(6);
      for (const run of [...tick, ...burst, ...serial]) expect(run, run.run_id).toMatchObject({ status: 'completed', attempt: 1 });

      // Dispatch: one run per due time, and no due time missed (the interval is one second).
      const dues = tick.map((run) => Date.parse(run.due_at)).sort((x, y) => x - y);
      expect(new Set(tick.map((run) => run.occurrence_id)).size).toBe(tick.length);
      for (let i = 1; i < dues.length; i += 1) expect(dues[i]! - dues[i - 1]!).toBe(1000);

      // Execution: each run started once and ended once, in the same process; the work was shared out.
      const lines = readLog(log);
      for (const run of [...tick, ...burst, ...serial]) {
        const mine = lines.filter((line) => line.run === run.run_id);
        expect(mine.map((line) => line.event), run.run_id).toEqual(['start', 'end']);
        expect(mine[0]!.pid).toBe(mine[1]!.pid);
      }
      const pids = new Set(lines.filter((line) => burst.some((run) => run.run_id === line.run)).map((line) => line.pid));
      expect(pids.size).toBeGreaterThanOrEqual(2);

      // queue_next: the six runs of one task never overlapped, whichever processes ran them.
      const spans = serial
        .map((run) => {
          const mine = lines.filter((line) => line.run === run.run_id);
          return [mine[0]!.at, mine[1]!.at] as const;
        })
        .sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < spans.length; i += 1) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);

      // Lifecycle events of every run numbered 1..n, as each process appended them.
      for (const run of [...tick.slice(0, 3), ...burst.slice(0, 3)]) {
        const { events } = await getJson(b.baseUrl, `/background/runs/${run.run_id}/events`);
        expect(events.map((event: any) => event.sequence)).toEqual(events.map((_: unknown, i: number) => i + 1));
      }
    }, 90_000);

    /**
     * Kills the process that runs a slow run, then checks another one took the run over only once the lease ran
     * out: a process already serving (`peer: 'running'`), or one started after the kill.
     */
    const recoverKilledRun = async (peer: 'running' | 'started-after-kill', taskId: string): Promise<void> => {
      const log = join(dir, `kill-${peer}.jsonl`);
      const first = await Promise.all(peer === 'running' ? [serve(log), serve(log)] : [serve(log)]);
      const doomed = first[0] as ServingCli;
      // One retry allowed: a running run whose lease expires is retried only while attempts remain (spec 6.3).
      await post(doomed.baseUrl, '/background/tasks', {
        ...manualTask(taskId, 'slow sleep=2500', 'skip_if_running'),
        retry_policy: { max_retries: 1, initial_delay_seconds: 0 },
      });
      // Whichever process claimed the run is killed mid-run; another may only take it over once the lease ran out.
      const { run_id: runId } = await post(doomed.baseUrl, `/background/tasks/${taskId}/run`, {});
      const started = await eventually('the run to start', () => readLog(log).find((line) => line.run === runId && line.event === 'start'));
      expect(first.map((server) => server.cli.child.pid)).toContain(started.pid);
      const owner = first.find((server) => server.cli.child.pid === started.pid) as ServingCli;
      owner.cli.child.kill('SIGKILL');
      await owner.cli.exited;
      const other = peer === 'running' ? (first.find((server) => server !== owner) as ServingCli) : await serve(log);

      const run = await eventually('the recovered run to finish', async () => {
        const current = await getJson(other.baseUrl, `/background/runs/${runId}`);
        return TERMINAL.includes(current.status) ? current : undefined;
      });
      expect(run).toMatchObject({ status: 'completed', attempt: 2, error: null });
      const attempts = await getJson(other.baseUrl, `/background/runs/${runId}/attempts`);
      expect(attempts).toMatchObject([
        { attempt_number: 1, reason: 'initial', status: 'failed', error: 'lease expired' },
        { attempt_number: 2, reason: 'lease_expired', status: 'completed' },
      ]);
      const { events } = await getJson(other.baseUrl, `/background/runs/${runId}/events`);
      expect(events.map((event: any) => event.sequence)).toEqual(events.map((_: unknown, i: number) => i + 1));
      expect(events.map((event: any) => event.event)).toContain('background_run_recovered');
      // Executed twice in all, never at once: the second start came after the lease of the killed process ran out.
      const lines = readLog(log).filter((line) => line.run === runId);
      expect(lines.map((line) => [line.event, line.pid])).toEqual([
        ['start', owner.cli.child.pid],
        ['start', other.cli.child.pid],
        ['end', other.cli.child.pid],
      ]);
      expect(lines[1]!.at - lines[0]!.at).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000 - 250);
    };

    it('recovers a run whose process was SIGKILLed mid-run once its lease expires, recording lease_expired', () =>
      recoverKilledRun('running', 'slow'), 60_000);

    it('a process started after another was SIGKILLed mid-run recovers its run once the lease expires, recording lease_expired', () =>
      recoverKilledRun('started-after-kill', 'slow-after-kill'), 60_000);

    it('keeps a queued run across a restart and completes it after', async () => {
      const log = join(dir, 'restart.jsonl');
      const before = await serve(log, { OMNICOREAGENT_BACKGROUND_START_WORKER: 'false' });
      await post(before.baseUrl, '/background/tasks', manualTask('later', 'later', 'skip_if_running'));
      const queued = await post(before.baseUrl, '/background/tasks/later/run', {});
      expect(queued.status).toBe('queued');
      await before.cli.stop();

      const after = await serve(log);
      const run = await eventually('the queued run to finish', async () => {
        const current = await getJson(after.baseUrl, `/background/runs/${queued.run_id}`);
        return TERMINAL.includes(current.status) ? current : undefined;
      });
      expect(run).toMatchObject({ status: 'completed', attempt: 1 });
      // Only this run's lines: tasks of the earlier tests share the store and may run in this process too.
      expect(readLog(log).filter((line) => line.run === queued.run_id).map((line) => [line.event, line.pid])).toEqual([
        ['start', after.cli.child.pid],
        ['end', after.cli.child.pid],
      ]);
    }, 60_000);
  });
}
