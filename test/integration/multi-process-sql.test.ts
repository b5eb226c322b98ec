/**
 * Several real `omniserve` processes on one SQL store (issue 6): every scheduled occurrence runs exactly once, no
 * run executes in two places, a task that allows no parallel runs never has two running anywhere, a run whose
 * process was killed is recovered by another once its lease expires, and a queued run survives a restart.
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
import { FIXTURES, freePort, postJson, runCli, startServing, stopAllClis, type ServingCli } from '../e2e/spawn-cli.ts';
import { dropTestData } from '../support/drop-test-data.ts';
import { TEST_BACKENDS } from '../support/test-backends.ts';

const AGENT = join(FIXTURES, 'recording-agent.ts');
const LEASE_SECONDS = 2;
const TERMINAL = ['completed', 'failed', 'cancelled', 'timeout', 'skipped'];

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

const manualTask = (taskId: string, query: string, overlap: string) => ({
  task_id: taskId,
  query,
  schedule: { type: 'manual' },
  overlap_policy: overlap,
});

const SQL_BACKENDS = TEST_BACKENDS.filter((backend) => ['sqlite', 'postgres', 'mysql'].includes(backend.name));

for (const backend of SQL_BACKENDS) {
  describe.skipIf(backend.skip !== null)(`several omniserve processes on one ${backend.name} store`, () => {
    let dir: string;
    let config: TaskStoreConfig;
    let storeEnv: Record<string, string>;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), `omni-multi-${backend.name}-`));
      config = backend.config();
      if (config.backend !== 'sql' || config.url === undefined) throw new Error('an SQL test backend has a URL');
      storeEnv = {
        OMNICOREAGENT_BACKGROUND_TASK_STORE_URL: config.url,
        ...(config.prefix === undefined ? {} : { OMNICOREAGENT_BACKGROUND_TASK_STORE_PREFIX: config.prefix }),
        OMNICOREAGENT_BACKGROUND_LEASE_SECONDS: String(LEASE_SECONDS),
        OMNICOREAGENT_WORKSPACE_DIR: join(dir, 'workspace'),
        OMNICOREAGENT_SERVE_SHUTDOWN_GRACE_SECONDS: '0',
      };
    });
    afterEach(() => stopAllClis());
    afterAll(async () => {
      await stopAllClis();
      await dropTestData(config);
      await rm(dir, { recursive: true, force: true });
    });

    const serve = (log: string, extra: Record<string, string> = {}): Promise<ServingCli> =>
      startServing(['run', '--agent', AGENT], { env: { ...storeEnv, RECORDING_AGENT_LOG: log, ...extra } });

    it('runs each occurrence exactly once, each run in one place, one exclusive run at a time', async () => {
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

      // Execution: each run started once and ended once, in the same process.
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
    }, 90_000);

    it('recovers a run whose process was killed mid-run once its lease expires, recording lease_expired', async () => {
      const log = join(dir, 'kill.jsonl');
      const doomed = await serve(log);
      await post(doomed.baseUrl, '/background/tasks', {
        ...manualTask('slow', 'slow sleep=2500', 'skip_if_running'),
        retry_policy: { max_retries: 1, initial_delay_seconds: 0 },
      });
      const { run_id: runId } = await post(doomed.baseUrl, '/background/tasks/slow/run', {});
      const started = await eventually('the run to start', () => readLog(log).find((line) => line.run === runId && line.event === 'start'));
      expect(started.pid).toBe(doomed.cli.child.pid);
      doomed.cli.child.kill('SIGKILL');
      await doomed.cli.exited;

      const survivor = await serve(log);
      const run = await eventually('the recovered run to finish', async () => {
        const current = await getJson(survivor.baseUrl, `/background/runs/${runId}`);
        return TERMINAL.includes(current.status) ? current : undefined;
      });
      expect(run).toMatchObject({ status: 'completed', attempt: 2, error: null });
      const attempts = await getJson(survivor.baseUrl, `/background/runs/${runId}/attempts`);
      expect(attempts).toMatchObject([
        { attempt_number: 1, reason: 'initial', status: 'failed', error: 'lease expired' },
        { attempt_number: 2, reason: 'lease_expired', status: 'completed' },
      ]);
      const { events } = await getJson(survivor.baseUrl, `/background/runs/${runId}/events`);
      expect(events.map((event: any) => event.sequence)).toEqual(events.map((_: unknown, i: number) => i + 1));
      expect(events.map((event: any) => event.event)).toContain('background_run_recovered');
      // Executed twice in all, never at once: the second start came after the first process was dead.
      const lines = readLog(log).filter((line) => line.run === runId);
      expect(lines.map((line) => [line.event, line.pid])).toEqual([
        ['start', doomed.cli.child.pid],
        ['start', survivor.cli.child.pid],
        ['end', survivor.cli.child.pid],
      ]);
    }, 60_000);

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

describe('a store that cannot be reached', () => {
  it('fails start-up with the variable and the host, never the password, and exit code 1', async () => {
    const port = await freePort();
    const result = await runCli(['run', '--agent', AGENT, '--port', String(port), '--host', '127.0.0.1'], {
      env: {
        OMNICOREAGENT_BACKGROUND_TASK_STORE_URL: 'postgres://app:s3cretpw@127.0.0.1:1/db',
        OMNICOREAGENT_BACKGROUND_TASK_STORE_CONNECT_TIMEOUT: '2',
      },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: OMNICOREAGENT_BACKGROUND_TASK_STORE_URL: cannot connect to .*127\.0\.0\.1:1/m);
    expect(result.stderr + result.stdout).not.toContain('s3cretpw');
  });
});
