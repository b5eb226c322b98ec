import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, settle } from '../../src/background/clock.ts';
import { ScriptedAgent } from '../../src/background/testing/scripted-agent.ts';
import { ScriptedOpenAIServer } from '../../src/testing/scripted-openai-server.ts';
import { scriptedAgent } from '../support/serve-fixture.ts';
import { backgroundServer, type BackgroundServer } from './background-support.ts';

let bg: BackgroundServer | undefined;
afterEach(async () => {
  await bg?.close();
  bg = undefined;
});

/** Moves the manual clock in steps, letting the worker loop (asleep on that clock) make its passes. */
async function elapse(clock: ManualClock, ms: number, step = 1_000): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    await clock.advance(Math.min(step, ms - done));
    for (let i = 0; i < 5; i += 1) await settle();
  }
}

describe('background worker over HTTP (manual clock)', () => {
  it('walks the new-user path: an interval task runs on time, pauses, resumes, cancels, and leaves its files', async () => {
    const clock = new ManualClock('2030-01-01T00:00:00Z');
    const agent = new ScriptedAgent([{ reply: 'tick' }]);
    const server = await backgroundServer(agent, {}, { background: { clock } });
    bg = server;
    const created = await server.request('POST', '/background/tasks', { task_id: 'heartbeat', query: 'Check the queue', schedule: { type: 'interval', seconds: 60 } });
    expect(created.status).toBe(200);
    await elapse(clock, 60_000);
    const [first] = (await server.request('GET', '/background/runs?task_id=heartbeat')).body.runs;
    const done = await server.until(first.run_id, (run) => run.status === 'completed');
    expect(done).toMatchObject({ trigger_type: 'interval', due_at: '2030-01-01T00:01:00.000Z', result_preview: 'tick' });
    expect(agent.calls[0]?.options.sessionId).toBe('background:default:heartbeat');

    expect((await server.request('POST', '/background/tasks/heartbeat/pause')).body).toEqual({ status: 'paused' });
    await elapse(clock, 180_000, 10_000);
    expect((await server.request('GET', '/background/runs?task_id=heartbeat')).body.count).toBe(1);
    await server.request('POST', '/background/tasks/heartbeat/resume');
    await elapse(clock, 1_000);
    // Missed while paused: skip_missed runs only the latest occurrence, being under a minute late.
    const afterResume = (await server.request('GET', '/background/runs?task_id=heartbeat')).body;
    expect(afterResume.count).toBe(2);
    expect(afterResume.runs[0].due_at).toBe('2030-01-01T00:04:00.000Z');

    await server.request('PATCH', '/background/tasks/heartbeat', { schedule: { type: 'manual' } });
    const queued = (await server.request('POST', '/background/tasks/heartbeat/run')).body;
    await server.request('POST', `/background/runs/${queued.run_id}/cancel`);
    const cancelled = await server.until(queued.run_id, (run) => run.status === 'cancelled' || run.status === 'completed');
    expect(['cancelled', 'completed']).toContain(cancelled.status);

    const attempts = (await server.request('GET', `/background/runs/${first.run_id}/attempts`)).body;
    expect(attempts).toMatchObject([{ attempt_number: 1, status: 'completed', reason: 'initial' }]);
    const events = (await server.request('GET', `/background/runs/${first.run_id}/events`)).body.events;
    expect(events.map((e: { sequence: number }) => e.sequence)).toEqual(events.map((_: unknown, i: number) => i + 1));
    const files = (await server.request('GET', `/background/runs/${first.run_id}/workspace`)).body.files;
    expect(files.map((f: { name: string }) => f.name).sort()).toEqual(['events.jsonl', 'run.json']);
    const dir = join(server.workspaceDir, 'files', done.workspace_path);
    const snapshot = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8'));
    expect(snapshot).toMatchObject({ run_id: first.run_id, status: 'completed' });
    const lines = (await readFile(join(dir, 'events.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((e) => e.event)).toEqual(events.map((e: { event: string }) => e.event));
  });

  it('runs a cron task in its time zone at local time, across a DST change', async () => {
    const clock = new ManualClock('2030-03-09T12:00:00Z');
    bg = await backgroundServer(new ScriptedAgent(), {}, { background: { clock, idleMs: 60_000 } });
    await bg.request('POST', '/background/tasks', { task_id: 'morning', query: 'Morning report', schedule: { type: 'cron', expression: '0 9 * * *', timezone: 'America/New_York' } });
    // 09:00 EST is 14:00 UTC; after the switch on 10 March, 09:00 EDT is 13:00 UTC.
    expect((await bg.request('GET', '/background/tasks/morning/status')).body.schedule_state.next_due_at).toBe('2030-03-09T14:00:00.000Z');
    await elapse(clock, 2 * 3_600_000, 60_000);
    expect((await bg.request('GET', '/background/tasks/morning/status')).body.schedule_state.next_due_at).toBe('2030-03-10T13:00:00.000Z');
  });

  it('records each background run as a trace through the telemetry store (spec 5.5)', async () => {
    bg = await backgroundServer(new ScriptedAgent([{ reply: 'traced' }]), { backgroundStartWorker: false });
    await bg.request('POST', '/background/tasks', { task_id: 'traced', query: 'Trace me', schedule: { type: 'manual' } });
    const run = (await bg.request('POST', '/background/tasks/traced/run', { wait: true })).body;
    await bg.server.app.inject({ method: 'GET', url: '/health' });
    let trace: any;
    for (let i = 0; i < 50 && trace?.trace?.status !== 'completed'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      trace = (await bg.request('GET', `/telemetry/traces/trace_background_${run.run_id}`)).body;
    }
    expect(trace.trace).toMatchObject({ trace_id: `trace_background_${run.run_id}`, status: 'completed', run_id: run.run_id, task_id: 'traced', session_id: 'background:default:traced' });
    const events = (await bg.request('GET', `/telemetry/events?trace_id=trace_background_${run.run_id}`)).body.events;
    expect(events.map((e: { event_type: string }) => e.event_type)).toEqual(['background_run_queued', 'background_run_claimed', 'background_run_started', 'background_run_completed']);
    expect(events.at(-1)).toMatchObject({ output: { event: 'background_run_completed', status: 'completed' }, actor: { type: 'background' }, metadata: { sequence: 4, run_id: run.run_id } });
  });
});

describe('cancel is not disconnect (real HTTP)', () => {
  let llm: ScriptedOpenAIServer;
  beforeAll(async () => {
    llm = await ScriptedOpenAIServer.start();
  });
  afterAll(async () => llm.close());

  it('a client dropping a {"wait": true} request leaves the run running; cancelling it aborts the model call', async () => {
    bg = await backgroundServer(scriptedAgent(llm), { requestTimeout: 0 });
    const address = await bg.server.start('127.0.0.1', 0);
    await bg.request('POST', '/background/tasks', { task_id: 'slow', query: 'Think hard', schedule: { type: 'manual' } });
    llm.enqueue({ hang: true });
    const client = new AbortController();
    const waiting = fetch(`${address}/background/tasks/slow/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ wait: true }),
      signal: client.signal,
    }).catch((error: unknown) => error);
    for (let i = 0; i < 200 && llm.requests.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(llm.requests).toHaveLength(1);
    client.abort();
    expect(await waiting).toBeInstanceOf(Error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [run] = (await bg.request('GET', '/background/runs?task_id=slow')).body.runs;
    expect(run.status).toBe('running');
    expect(llm.requests[0]?.aborted).toBe(false);

    await bg.request('POST', `/background/runs/${run.run_id}/cancel`);
    const ended = await bg.until(run.run_id, (r) => r.status === 'cancelled');
    expect(ended.cancel_requested_at).not.toBeNull();
    for (let i = 0; i < 100 && llm.requests[0]?.aborted !== true; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(llm.requests[0]?.aborted).toBe(true);
    expect((await bg.request('GET', `/background/runs/${run.run_id}/attempts`)).body).toMatchObject([{ status: 'cancelled' }]);
  });
});
