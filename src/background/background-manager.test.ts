import { describe, expect, it } from 'vitest';
import { MemoryTaskStore } from '../stores/memory/memory-task-store.ts';
import { NonRetryableError } from './background-errors.ts';
import { BackgroundManager, type BackgroundManagerOptions } from './background-manager.ts';
import { CreateTaskRequestSchema, type CreateTaskRequest } from './background-records.ts';
import { ManualClock, settle } from './clock.ts';
import { isContiguous, RUN_EVENTS } from './lifecycle-events.ts';
import type { BackgroundRun } from './run-record.ts';
import { ScriptedAgent, type AgentStep } from './testing/scripted-agent.ts';

const T0 = '2030-01-01T00:00:00.000Z';

async function setup(steps: AgentStep[] = [{ reply: 'done' }], options: Partial<BackgroundManagerOptions> = {}) {
  const clock = new ManualClock(T0);
  const store = new MemoryTaskStore();
  const agent = new ScriptedAgent(steps);
  const manager = new BackgroundManager({ store, clock, defaultAgentId: 'default', workerId: 'worker_test', ...options });
  await manager.initialize(agent);
  const task = (body: Record<string, unknown> = {}) =>
    manager.tasks.create(CreateTaskRequestSchema.parse({ task_id: 't1', query: 'Do it', schedule: { type: 'manual' }, ...body }) as CreateTaskRequest);
  /** One worker pass, then let the executions it started run as far as they can. */
  const pass = async () => {
    const busy = await manager.worker.runOnce();
    await settle();
    return busy;
  };
  const trigger = async (taskId = 't1') => manager.runs.trigger(taskId, { query: null, wait: false }, { budgetMs: null, signal: new AbortController().signal, requestTimeoutSeconds: 0 });
  const run = async (runId: string) => (await store.getRun(runId)) as BackgroundRun;
  return { clock, store, agent, manager, task, pass, trigger, run };
}

describe('background worker', () => {
  it('dispatches an interval occurrence once and runs it with the context-prefixed query and the task session', async () => {
    const { clock, store, agent, task, pass } = await setup([{ reply: 'the answer' }]);
    await task({ schedule: { type: 'interval', seconds: 60 } });
    expect(await pass()).toBe(false);
    await clock.advance(60_000);
    expect(await pass()).toBe(true);
    await pass();
    const [run] = await store.listRuns();
    expect(run).toMatchObject({
      status: 'completed', trigger_type: 'interval', due_at: '2030-01-01T00:01:00.000Z', occurrence_id: 'interval:1:2030-01-01T00:01:00.000Z',
      session_id: 'background:default:t1', result_preview: 'the answer', error: null, attempt: 1,
    });
    expect(agent.calls).toHaveLength(1);
    const call = agent.calls[0];
    expect(call?.options).toMatchObject({ sessionId: 'background:default:t1', runId: run?.run_id });
    expect(call?.query).toContain(`run_id: ${run?.run_id}`);
    expect(call?.query).toContain('task_id: t1');
    expect(call?.query).toContain(`workspace_path: /workspace/background/default/t1/${run?.run_id}`);
    expect(call?.query).toContain('output.md');
    expect(call?.query.endsWith('\nDo it')).toBe(true);
    const events = await store.listRunEvents(run?.run_id as string);
    expect(isContiguous(events)).toBe(true);
    expect(events.map((e) => e.event)).toEqual([RUN_EVENTS.queued, RUN_EVENTS.claimed, RUN_EVENTS.started, RUN_EVENTS.completed]);
    expect(await store.listAttempts(run?.run_id as string)).toMatchObject([{ attempt_number: 1, reason: 'initial', status: 'completed', worker_id: 'worker_test' }]);
    expect((await store.getScheduleState('t1'))?.next_due_at).toBe('2030-01-01T00:02:00.000Z');
  });

  it('retries with a fixed delay and clears the error when the retry succeeds (spec 13.6)', async () => {
    const { clock, store, task, pass, trigger, run } = await setup([{ fail: 'flaky upstream' }, { reply: 'ok' }]);
    await task({ retry_policy: { max_retries: 1, initial_delay_seconds: 10, backoff: 'fixed' } });
    const { run_id } = await trigger();
    await pass();
    expect(await run(run_id)).toMatchObject({ status: 'queued', error: 'flaky upstream', attempt: 1, queued_at: '2030-01-01T00:00:10.000Z', next_attempt_reason: 'retry' });
    expect(await pass()).toBe(false);
    await clock.advance(10_000);
    await pass();
    expect(await run(run_id)).toMatchObject({ status: 'completed', error: null, attempt: 2, result_preview: 'ok' });
    expect(await store.listAttempts(run_id)).toMatchObject([
      { attempt_number: 1, reason: 'initial', status: 'failed', error: 'flaky upstream', retry_delay_seconds: 10 },
      { attempt_number: 2, reason: 'retry', status: 'completed', error: null },
    ]);
    const events = (await store.listRunEvents(run_id)).map((e) => e.event);
    expect(events).toContain(RUN_EVENTS.retrying);
    expect(isContiguous(await store.listRunEvents(run_id))).toBe(true);
  });

  it('fails for good once retries are used up, and at once for a NonRetryableError', async () => {
    const { task, pass, trigger, run, clock } = await setup([{ fail: 'broken' }]);
    await task({ retry_policy: { max_retries: 1, initial_delay_seconds: 0 } });
    const first = await trigger();
    await pass();
    await clock.advance(1);
    await pass();
    expect(await run(first.run_id)).toMatchObject({ status: 'failed', attempt: 2, error: 'broken' });

    const second = await setup([{ fail: new NonRetryableError('bad input') }]);
    await second.task({ retry_policy: { max_retries: 3, initial_delay_seconds: 0 } });
    const only = await second.trigger();
    await second.pass();
    expect(await second.run(only.run_id)).toMatchObject({ status: 'failed', attempt: 1, error: 'bad input' });
  });

  it('times a run out, aborting the agent, and retries a timeout only when retry_on names it', async () => {
    const { clock, agent, task, pass, trigger, run, store } = await setup([{ hang: true }]);
    await task({ timeout_seconds: 5, retry_policy: { max_retries: 2, retry_on: ['exception'] } });
    const { run_id } = await trigger();
    await pass();
    await agent.called(1);
    await clock.advance(5_000);
    await settle();
    expect(agent.calls[0]?.options.signal?.aborted).toBe(true);
    expect(await run(run_id)).toMatchObject({ status: 'timeout', error: 'Run timed out after 5 seconds' });
    expect(await store.listAttempts(run_id)).toMatchObject([{ status: 'timeout' }]);
  });

  it('stops waiting for an agent that ignores its signal once the timeout passes', async () => {
    const { clock, task, pass, trigger, run } = await setup([{ hang: true, ignoreSignal: true }]);
    await task({ timeout_seconds: 1 });
    const { run_id } = await trigger();
    await pass();
    await clock.advance(1_000);
    await settle();
    expect((await run(run_id)).status).toBe('timeout');
  });

  it('keeps at most maxConcurrentRuns executing in this process', async () => {
    const { agent, task, pass, trigger, manager, store } = await setup([{ hang: true }], { maxConcurrentRuns: 2 });
    await task({ overlap_policy: 'allow_parallel' });
    for (let i = 0; i < 5; i += 1) await trigger();
    await pass();
    await pass();
    expect(manager.worker.inFlight).toBe(2);
    expect(agent.calls).toHaveLength(2);
    expect((await store.countRuns()).byStatus).toEqual({ running: 2, queued: 3 });
  });
});

describe('overlap policies', () => {
  it('skip_if_running records a second run as skipped', async () => {
    const { task, pass, trigger, run, store } = await setup([{ hang: true }]);
    await task();
    const first = await trigger();
    await pass();
    const second = await trigger();
    expect(second.status).toBe('skipped');
    expect((await store.listRunEvents(second.run_id)).map((e) => e.event)).toEqual([RUN_EVENTS.skipped]);
    expect((await run(first.run_id)).status).toBe('running');
  });

  it('queue_next starts the next run only after the current one ends', async () => {
    const { agent, task, pass, trigger, run, manager, clock } = await setup([{ hang: true }, { reply: 'second' }]);
    await task({ overlap_policy: 'queue_next' });
    const first = await trigger();
    await clock.advance(1);
    const second = await trigger();
    await pass();
    await pass();
    expect(agent.calls).toHaveLength(1);
    expect((await run(second.run_id)).status).toBe('queued');
    await manager.runs.cancel(first.run_id);
    await settle();
    await pass();
    expect((await run(second.run_id)).status).toBe('completed');
  });

  it('cancel_previous aborts the running run and queues the new one', async () => {
    const { agent, task, pass, trigger, run } = await setup([{ hang: true }, { reply: 'fresh' }]);
    await task({ overlap_policy: 'cancel_previous' });
    const first = await trigger();
    await pass();
    await agent.called(1);
    const second = await trigger();
    await settle();
    expect(agent.calls[0]?.options.signal?.aborted).toBe(true);
    expect((await run(first.run_id)).status).toBe('cancelled');
    await pass();
    expect((await run(second.run_id)).status).toBe('completed');
  });

  it('allow_parallel runs them side by side', async () => {
    const { agent, task, pass, trigger } = await setup([{ hang: true }]);
    await task({ overlap_policy: 'allow_parallel' });
    await trigger();
    await trigger();
    await pass();
    expect(agent.calls).toHaveLength(2);
  });
});

describe('cancel is not disconnect', () => {
  it('ends a queued run at once', async () => {
    const { manager, task, trigger, run, agent, pass } = await setup();
    await task();
    const { run_id } = await trigger();
    expect(await manager.runs.cancel(run_id)).toEqual({ status: 'cancel_requested' });
    expect(await run(run_id)).toMatchObject({ status: 'cancelled', cancel_requested_at: T0 });
    await pass();
    expect(agent.calls).toHaveLength(0);
  });

  it('aborts a running run through the signal passed to the agent and records it cancelled', async () => {
    const { manager, task, trigger, run, agent, pass, store } = await setup([{ hang: true }]);
    await task();
    const { run_id } = await trigger();
    await pass();
    await agent.called(1);
    await manager.runs.cancel(run_id);
    await settle();
    expect(agent.calls[0]?.options.signal?.aborted).toBe(true);
    expect((await run(run_id)).status).toBe('cancelled');
    expect(await store.listAttempts(run_id)).toMatchObject([{ status: 'cancelled' }]);
  });

  it('sees a cancel requested by another process at the next heartbeat', async () => {
    const { task, trigger, run, agent, pass, store, clock } = await setup([{ hang: true }]);
    await task();
    const { run_id } = await trigger();
    await pass();
    await agent.called(1);
    await store.requestCancel(run_id, T0, 'another-worker');
    await clock.advance(7_500);
    await settle();
    expect((await run(run_id)).status).toBe('cancelled');
  });

  it('a wait that the client drops leaves the run running', async () => {
    const { manager, task, agent, run } = await setup([{ hang: true }]);
    await task();
    const client = new AbortController();
    const waiting = manager.runs.trigger('t1', { query: null, wait: true }, { budgetMs: null, signal: client.signal, requestTimeoutSeconds: 0 });
    await agent.called(1);
    client.abort();
    const answered = await waiting;
    await settle();
    expect((await run(answered.run_id)).status).toBe('running');
    expect(agent.calls[0]?.options.signal?.aborted).toBe(false);
  });
});

describe('wait', () => {
  it('executes the run here when no worker runs, and answers with the finished run', async () => {
    const { manager, task } = await setup([{ reply: 'inline' }]);
    await task();
    const finished = await manager.runs.trigger('t1', { query: 'override', wait: true }, { budgetMs: 5_000, signal: new AbortController().signal, requestTimeoutSeconds: 6 });
    expect(finished).toMatchObject({ status: 'completed', result_preview: 'inline', query_snapshot: 'override' });
  });

  it('answers the structured 504 when the budget runs out', async () => {
    const { manager, task, clock, agent } = await setup([{ hang: true }], { waitPollMs: 100 });
    await task();
    const waiting = manager.runs.trigger('t1', { query: null, wait: true }, { budgetMs: 750, signal: new AbortController().signal, requestTimeoutSeconds: 1 });
    const outcome = expect(waiting).rejects.toMatchObject({
      status: 504,
      detail: { message: 'Background run did not finish within 0.75 seconds', status: 'running', task_id: 't1', wait_timeout_seconds: 0.75, request_timeout_seconds: 1 },
    });
    await agent.called(1);
    await clock.advance(1_000);
    await outcome;
  });
});

describe('leases', () => {
  it('recovers a run whose worker died and runs it again with a lease_expired attempt', async () => {
    const { store, clock, task, pass, trigger, run, agent } = await setup([{ reply: 'second life' }]);
    await task({ retry_policy: { max_retries: 1 } });
    const { run_id } = await trigger();
    // A worker elsewhere claims and starts it, then dies without a word.
    const claimed = await store.claimNextRun({ workerId: 'dead', leaseToken: 'dead-lease', now: T0, leaseMs: 30_000 });
    await store.updateRun(run_id, {
      now: T0,
      expect: { leaseToken: 'dead-lease' },
      steps: [{ status: 'running', event: RUN_EVENTS.started, patch: { attempt: 1 } }],
      attempts: [{ kind: 'create', attempt: { attempt_id: 'attempt_dead', run_id, attempt_number: 1, reason: 'initial', status: 'running', worker_id: 'dead', lease_token: 'dead-lease', started_at: T0, finished_at: null, error: null, retry_delay_seconds: null } }],
    });
    expect(claimed).not.toBeNull();
    await pass();
    expect((await run(run_id)).status).toBe('running');
    await clock.advance(30_000);
    await pass();
    await pass();
    expect(await run(run_id)).toMatchObject({ status: 'completed', attempt: 2, lease_generation: 2 });
    expect(await store.listAttempts(run_id)).toMatchObject([
      { status: 'failed', error: 'lease expired', worker_id: 'dead' },
      { status: 'completed', reason: 'lease_expired', worker_id: 'worker_test' },
    ]);
    expect((await store.listRunEvents(run_id)).map((e) => e.event)).toContain(RUN_EVENTS.recovered);
    expect(agent.calls).toHaveLength(1);
  });

  it('aborts its agent when the lease is taken away', async () => {
    const { store, clock, task, pass, trigger, agent } = await setup([{ hang: true }]);
    await task();
    const { run_id } = await trigger();
    await pass();
    await agent.called(1);
    // Another process decided the lease expired (its clock, its call) and recovered the run.
    const current = (await store.getRun(run_id)) as BackgroundRun;
    await store.updateRun(run_id, { now: T0, steps: [{ status: 'failed', event: RUN_EVENTS.failed, patch: { error: 'taken' } }] });
    expect(current.status).toBe('running');
    await clock.advance(7_500);
    await settle();
    expect(agent.calls[0]?.options.signal?.aborted).toBe(true);
  });

  it('renews the lease every quarter of its length while the run executes', async () => {
    const { store, clock, task, pass, trigger, agent } = await setup([{ hang: true }]);
    await task();
    const { run_id } = await trigger();
    await pass();
    await agent.called(1);
    await clock.advance(30_000);
    await settle();
    const run = (await store.getRun(run_id)) as BackgroundRun;
    expect(run.status).toBe('running');
    expect(run.lease_expires_at).toBe('2030-01-01T00:01:00.000Z');
    expect((await store.listRunEvents(run_id)).filter((e) => e.event === RUN_EVENTS.heartbeat)).toHaveLength(4);
  });

  it('hands executing runs back to the queue on shutdown without using up an attempt', async () => {
    const { store, task, pass, trigger, agent, manager } = await setup([{ hang: true }]);
    await task();
    const { run_id } = await trigger();
    await pass();
    await agent.called(1);
    await manager.shutdown(0);
    expect(await store.getRun(run_id)).toMatchObject({ status: 'queued', max_attempts: 2, lease_token: null });
    expect(await store.listAttempts(run_id)).toMatchObject([{ status: 'interrupted' }]);
  });
});

describe('shutdown with a workspace that stopped answering', () => {
  it('waits a bounded time for the run files, logs what it left, and the run keeps its lease for recovery', async () => {
    let hang = false;
    const never = new Promise<never>(() => undefined);
    const files: string[] = [];
    const workspace = {
      writeFile: async (path: string) => (hang ? never : void files.push(path)),
      appendFile: async (path: string) => (hang ? never : void files.push(path)),
      readFile: async () => null,
      list: async () => [],
      remove: async () => undefined,
    };
    const errors: string[] = [];
    const logger = { warn() {}, error: (_details: Record<string, unknown>, message: string) => void errors.push(message) };
    const { clock, store, task, pass, trigger, agent, manager } = await setup([{ hang: true }], { workspace, logger });
    await task();
    const { run_id } = await trigger();
    await pass();
    await agent.called(1);
    hang = true;
    let done = false;
    const stopped = manager.shutdown(0).then(() => (done = true));
    for (let waited = 0; waited < 20 && !done; waited += 1) {
      await settle();
      await clock.advance(1_000);
    }
    await stopped;
    expect(errors.some((message) => message.includes('shutdown'))).toBe(true);
    expect(files.length).toBeGreaterThan(0);
    // Whatever the store holds, the run is not lost: queued again, or still leased (recovered once that expires).
    expect(['queued', 'running']).toContain((await store.getRun(run_id))?.status);
  });
});

describe('schedules through the manager', () => {
  it('applies the misfire policy to occurrences missed while paused', async () => {
    const { clock, store, manager, task, pass } = await setup();
    await task({ schedule: { type: 'interval', seconds: 600, misfire_policy: 'queue_all' } });
    await manager.tasks.pause('t1', true);
    await clock.advance(2_520_000);
    await pass();
    expect(await store.listRuns()).toEqual([]);
    await manager.tasks.pause('t1', false);
    await pass();
    await pass();
    const dues = (await store.listRuns()).map((r) => r.due_at).sort();
    expect(dues).toEqual(['2030-01-01T00:10:00.000Z', '2030-01-01T00:20:00.000Z', '2030-01-01T00:30:00.000Z', '2030-01-01T00:40:00.000Z']);
  });

  it('runs a once schedule once', async () => {
    const { clock, store, task, pass } = await setup();
    await task({ schedule: { type: 'once', run_at: '2030-01-01T00:00:30Z' } });
    await clock.advance(30_000);
    await pass();
    await clock.advance(60_000);
    await pass();
    expect(await store.listRuns()).toHaveLength(1);
    expect((await store.getScheduleState('t1'))?.next_due_at).toBeNull();
  });

  it('recomputes the schedule (revision + 1) only when a replace changes it', async () => {
    const { store, task } = await setup();
    await task({ schedule: { type: 'interval', seconds: 60 } });
    await task({ schedule: { type: 'interval', seconds: 60 }, query: 'new words', replace: true });
    expect((await store.getScheduleState('t1'))?.schedule_revision).toBe(1);
    await task({ schedule: { type: 'interval', seconds: 30 }, replace: true });
    expect(await store.getScheduleState('t1')).toMatchObject({ schedule_revision: 2, next_due_at: '2030-01-01T00:00:30.000Z' });
  });
});
