import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ToolRegistry } from '../../src/agent/tool-registry.ts';
import { ScriptedAgent } from '../../src/background/testing/scripted-agent.ts';
import { BACKGROUND_ROUTES } from '../../src/http/routes/background-routes.ts';
import { ScriptedOpenAIServer } from '../../src/testing/scripted-openai-server.ts';
import { serve } from '../support/serve-fixture.ts';
import { backgroundServer, type BackgroundServer } from './background-support.ts';

let bg: BackgroundServer | undefined;
afterEach(async () => {
  await bg?.close();
  bg = undefined;
});

const manualTask = (extra: Record<string, unknown> = {}) => ({ task_id: 'digest', query: 'Write the digest', schedule: { type: 'manual' }, ...extra });

describe('background API: disabled', () => {
  it('answers 503 on every /background route, whatever the request (before validation, unlike the reference)', async () => {
    const server = serve(new ScriptedAgent(), { backgroundEnabled: false });
    for (const route of BACKGROUND_ROUTES) {
      const url = `${route.path.replace(/:(\w+)/g, 'bad id')}?limit=0&status=bogus`;
      const payload = route.method === 'GET' || route.method === 'DELETE' ? undefined : '{"not": valid json';
      const res = await server.app.inject({
        method: route.method,
        url,
        ...(payload === undefined ? {} : { payload, headers: { 'content-type': 'application/json' } }),
      });
      expect(res.statusCode, `${route.method} ${url}`).toBe(503);
      expect(res.json()).toEqual({ detail: 'Background execution is disabled' });
    }
    await server.stop();
  });
});

describe('background API: agents', () => {
  it('registers the served agent at start-up under the default id, and reports status', async () => {
    bg = await backgroundServer(new ScriptedAgent([{ reply: 'x' }], 'Served'), { backgroundAgentId: 'main', backgroundStartWorker: false });
    const status = await bg.request('GET', '/background/status');
    expect(status.body).toMatchObject({ running: false, initialized: true, lease_seconds: 30, agents: 1, tasks: 0, runs: 0, active_runs: 0, status_counts: {} });
    expect(status.body.worker_id).toMatch(/^worker_[0-9a-f]{32}$/);
    expect((await bg.request('GET', '/background/agents/main')).body).toMatchObject({ agent_id: 'main', name: 'Served' });
    expect(await bg.request('POST', '/background/agents', {})).toMatchObject({ status: 409, body: { detail: 'Agent already registered: main' } });
    expect(await bg.request('POST', '/background/agents')).toMatchObject({ status: 409, body: { detail: 'Agent already registered: main' } });
    expect((await bg.request('POST', '/background/agents', { replace: true })).status).toBe(200);
    expect((await bg.request('POST', '/background/agents', { agent_id: 'copy' })).body).toMatchObject({ agent_id: 'copy', name: 'Served' });
    expect((await bg.request('GET', '/background/agents')).body.count).toBe(2);
    expect(await bg.request('GET', '/background/agents/nope')).toMatchObject({ status: 404, body: { detail: 'Agent not found: nope' } });
  });

  it('refuses a spec whose id differs from agent_id, and a bad id, with 422', async () => {
    bg = await backgroundServer(new ScriptedAgent());
    expect(await bg.request('POST', '/background/agents', { agent_id: 'a', spec: { agent_id: 'b' } })).toMatchObject({
      status: 422,
      body: { detail: 'agent_id must match spec.agent_id when spec is provided' },
    });
    const bad = await bg.request('POST', '/background/agents', { spec: { agent_id: 'has space' } });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0]).toMatchObject({ loc: ['body', 'spec', 'agent_id'], input: 'has space' });
    const extra = await bg.request('POST', '/background/agents', { spec: { agent_id: 'a', tools: [] } });
    expect(extra.body.detail[0]).toMatchObject({ type: 'extra_forbidden', loc: ['body', 'spec', 'tools'] });
  });

  it('names the field when a spec cannot become an agent', async () => {
    bg = await backgroundServer(new ScriptedAgent());
    const tools = await bg.request('POST', '/background/agents', { spec: { agent_id: 'a', local_tools_ref: 'missing' } });
    expect(tools.status).toBe(422);
    expect(tools.body.detail[0]).toMatchObject({ loc: ['body', 'spec', 'local_tools_ref'] });
    expect(tools.body.detail[0].msg).toContain('"missing" is not a registered tool set');
    const model = await bg.request('POST', '/background/agents', { spec: { agent_id: 'a', model_config: { provider: 'nope', model: 'm' } } });
    expect(model.status).toBe(422);
    expect(model.body.detail[0].loc).toEqual(['body', 'spec', 'model_config']);
  });

  it('deletes an agent: 404 when unknown, 409 with active runs unless force, which cancels them and pauses its tasks', async () => {
    bg = await backgroundServer(new ScriptedAgent(), { backgroundStartWorker: false });
    await bg.request('POST', '/background/tasks', manualTask());
    const run = (await bg.request('POST', '/background/tasks/digest/run')).body;
    expect(await bg.request('DELETE', '/background/agents/nope')).toMatchObject({ status: 404, body: { detail: 'Agent not found: nope' } });
    expect(await bg.request('DELETE', '/background/agents/default')).toMatchObject({ status: 409, body: { detail: 'Agent has active runs: default' } });
    expect(await bg.request('DELETE', '/background/agents/default?force=true')).toMatchObject({ status: 200, body: { status: 'deleted' } });
    expect((await bg.request('GET', `/background/runs/${run.run_id}`)).body.status).toBe('cancelled');
    expect((await bg.request('GET', '/background/tasks/digest/status')).body.schedule_state).toMatchObject({ paused: true, paused_reason: 'agent deleted: default' });
    const orphan = await bg.request('POST', '/background/tasks/digest/run');
    expect(orphan.status).toBe(409);
    expect(orphan.body.detail).toContain('agent default, which is no longer registered');
  });
});

describe('background API: tasks', () => {
  it('creates a task for the default agent with every default filled in', async () => {
    bg = await backgroundServer(new ScriptedAgent());
    const created = await bg.request('POST', '/background/tasks', manualTask());
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      task_id: 'digest', agent_id: 'default', enabled: true, timeout_seconds: null, overlap_policy: 'skip_if_running',
      schedule: { type: 'manual', timezone: 'UTC', misfire_policy: 'skip_missed', seconds: null },
      retry_policy: { max_retries: 0, initial_delay_seconds: 30, max_delay_seconds: 300, retry_on: ['exception', 'timeout'] },
      session_policy: { mode: 'task', session_id: null },
      workspace_policy: { namespace_template: 'background/{agent_id}/{task_id}/{run_id}', write_run_json: true, write_events_jsonl: true },
      metadata: {},
    });
    expect(await bg.request('POST', '/background/tasks', manualTask())).toMatchObject({ status: 409, body: { detail: 'Task already registered: digest' } });
    expect((await bg.request('POST', '/background/tasks', manualTask({ query: 'New words', replace: true }))).body.query).toBe('New words');
    expect(await bg.request('POST', '/background/tasks', manualTask({ task_id: 'other', agent_id: 'ghost' }))).toMatchObject({ status: 404, body: { detail: 'Agent not found: ghost' } });
    expect((await bg.request('GET', '/background/tasks?agent_id=default')).body.count).toBe(1);
    expect((await bg.request('GET', '/background/tasks?agent_id=ghost')).body.count).toBe(0);
    expect(await bg.request('GET', '/background/tasks/nope')).toMatchObject({ status: 404, body: { detail: 'Task not found: nope' } });
  });

  // The reference validates ids only when it builds the record, and answers 500 (spec 13.18); we answer 422.
  it.each([
    ['a bad task_id (reference: 500)', { task_id: 'bad id' }, ['body', 'task_id']],
    ['a "." task_id (reference: 500)', { task_id: '..' }, ['body', 'task_id']],
    ['a bad agent_id (reference: 500)', { agent_id: 'a/b' }, ['body', 'agent_id']],
    ['a blank query (reference: 500)', { query: '   ' }, ['body', 'query']],
    ['an unknown field', { colour: 'red' }, ['body', 'colour']],
    ['an interval without seconds', { schedule: { type: 'interval' } }, ['body', 'schedule', 'seconds']],
    ['a non-positive interval', { schedule: { type: 'interval', seconds: 0 } }, ['body', 'schedule', 'seconds']],
    ['a 6-field cron', { schedule: { type: 'cron', expression: '0 0 * * * *' } }, ['body', 'schedule', 'expression']],
    ['a cron out of range', { schedule: { type: 'cron', expression: '0 25 * * *' } }, ['body', 'schedule', 'expression']],
    ['an unknown time zone', { schedule: { type: 'cron', expression: '0 9 * * *', timezone: 'Mars/Olympus' } }, ['body', 'schedule', 'timezone']],
    ['a once without run_at', { schedule: { type: 'once' } }, ['body', 'schedule', 'run_at']],
    ['a manual with seconds', { schedule: { type: 'manual', seconds: 5 } }, ['body', 'schedule', 'seconds']],
    ['end_at before start_at', { schedule: { type: 'interval', seconds: 5, start_at: '2030-01-02', end_at: '2030-01-01' } }, ['body', 'schedule', 'end_at']],
    ['a negative jitter', { schedule: { type: 'interval', seconds: 5, jitter_seconds: -1 } }, ['body', 'schedule', 'jitter_seconds']],
    ['an unknown misfire policy', { schedule: { type: 'interval', seconds: 5, misfire_policy: 'later' } }, ['body', 'schedule', 'misfire_policy']],
    ['a bad date', { schedule: { type: 'once', run_at: '2030-02-30T00:00:00' } }, ['body', 'schedule', 'run_at']],
    ['a zero timeout', { timeout_seconds: 0 }, ['body', 'timeout_seconds']],
    ['a task_id longer than 120 characters (it did not fit the SQL column: 500)', { task_id: 't'.repeat(121) }, ['body', 'task_id']],
    ['a fixed session_id longer than 255 characters', { session_policy: { mode: 'fixed', session_id: 's'.repeat(256) } }, ['body', 'session_policy', 'session_id']],
    ['more than 100 retries', { retry_policy: { max_retries: 1e9 } }, ['body', 'retry_policy', 'max_retries']],
    ['a timeout past the longest timer (it would fire at once)', { timeout_seconds: 2_592_000 }, ['body', 'timeout_seconds']],
    ['an interval under one second (reference: accepted)', { schedule: { type: 'interval', seconds: 0.001 } }, ['body', 'schedule', 'seconds']],
    ['max delay under initial delay', { retry_policy: { initial_delay_seconds: 60, max_delay_seconds: 10 } }, ['body', 'retry_policy', 'max_delay_seconds']],
    ['a fixed session without id', { session_policy: { mode: 'fixed' } }, ['body', 'session_policy', 'session_id']],
    ['an escaping namespace template', { workspace_policy: { namespace_template: '../{run_id}' } }, ['body', 'workspace_policy', 'namespace_template']],
    ['an absolute namespace template', { workspace_policy: { namespace_template: '/etc/{run_id}' } }, ['body', 'workspace_policy', 'namespace_template']],
    ['an unknown overlap policy', { overlap_policy: 'sometimes' }, ['body', 'overlap_policy']],
  ])('answers 422 naming the field for %s', async (_what, patch, loc) => {
    bg = await backgroundServer(new ScriptedAgent());
    const res = await bg.request('POST', '/background/tasks', manualTask(patch));
    expect(res.status).toBe(422);
    expect(res.body.detail.map((d: { loc: unknown }) => d.loc)).toContainEqual(loc);
    for (const detail of res.body.detail) expect(detail.msg.length).toBeGreaterThan(5);
  });

  it('patches only the fields given (null included), validates the whole task again, and 404s unknown tasks', async () => {
    bg = await backgroundServer(new ScriptedAgent());
    await bg.request('POST', '/background/tasks', manualTask({ timeout_seconds: 30 }));
    const patched = await bg.request('PATCH', '/background/tasks/digest', { timeout_seconds: null, metadata: { team: 'a' } });
    expect(patched.body).toMatchObject({ timeout_seconds: null, metadata: { team: 'a' }, query: 'Write the digest' });
    expect(patched.body.updated_at >= patched.body.created_at).toBe(true);
    const nullQuery = await bg.request('PATCH', '/background/tasks/digest', { query: null });
    expect(nullQuery.status).toBe(422);
    expect(nullQuery.body.detail[0].loc).toEqual(['body', 'query']);
    expect((await bg.request('PATCH', '/background/tasks/digest', { task_id: 'x' })).status).toBe(422);
    expect(await bg.request('PATCH', '/background/tasks/nope', { enabled: false })).toMatchObject({ status: 404, body: { detail: 'Task not found: nope' } });
    const rescheduled = await bg.request('PATCH', '/background/tasks/digest', { schedule: { type: 'interval', seconds: 3600 } });
    expect(rescheduled.status).toBe(200);
    const status = (await bg.request('GET', '/background/tasks/digest/status')).body;
    expect(status).toMatchObject({ task_id: 'digest', agent_id: 'default', enabled: true, runs: 0, active_runs: 0, status_counts: {}, latest_run: null });
    expect(status.schedule_state).toMatchObject({ schedule_revision: 2, paused: false });
    expect(status.schedule_state.next_due_at).not.toBeNull();
  });

  it('pauses, resumes and deletes tasks, 404 for unknown ones', async () => {
    bg = await backgroundServer(new ScriptedAgent(), { backgroundStartWorker: false });
    await bg.request('POST', '/background/tasks', manualTask());
    expect((await bg.request('POST', '/background/tasks/digest/pause')).body).toEqual({ status: 'paused' });
    expect((await bg.request('GET', '/background/tasks/digest/status')).body.schedule_state.paused).toBe(true);
    expect((await bg.request('POST', '/background/tasks/digest/resume')).body).toEqual({ status: 'resumed' });
    expect((await bg.request('POST', '/background/tasks/nope/pause')).status).toBe(404);
    expect((await bg.request('POST', '/background/tasks/nope/resume')).status).toBe(404);
    const run = (await bg.request('POST', '/background/tasks/digest/run')).body;
    expect(await bg.request('DELETE', '/background/tasks/digest')).toMatchObject({ status: 200, body: { status: 'deleted' } });
    expect((await bg.request('GET', `/background/runs/${run.run_id}`)).body.status).toBe('cancelled');
    await bg.request('POST', '/background/tasks', manualTask());
    const second = (await bg.request('POST', '/background/tasks/digest/run')).body;
    expect((await bg.request('DELETE', '/background/tasks/digest?delete_runs=true')).status).toBe(200);
    expect((await bg.request('GET', `/background/runs/${second.run_id}`)).status).toBe(404);
    expect((await bg.request('DELETE', '/background/tasks/digest')).status).toBe(404);
  });
});

describe('background API: runs', () => {
  it('runs a task now, and answers 404 for a missing or disabled task', async () => {
    bg = await backgroundServer(new ScriptedAgent([{ reply: 'digest ready' }]), { backgroundStartWorker: false });
    await bg.request('POST', '/background/tasks', manualTask());
    const queued = await bg.request('POST', '/background/tasks/digest/run');
    expect(queued.body).toMatchObject({ status: 'queued', trigger_type: 'manual', task_id: 'digest', agent_id: 'default', attempt: 0, max_attempts: 1, session_id: 'background:default:digest' });
    expect(queued.body.run_id).toMatch(/^run_[0-9a-f]{32}$/);
    const skipped = await bg.request('POST', '/background/tasks/digest/run', null);
    expect(skipped.body.status).toBe('skipped');
    expect((await bg.request('POST', '/background/tasks/nope/run')).status).toBe(404);
    await bg.request('PATCH', '/background/tasks/digest', { enabled: false });
    expect(await bg.request('POST', '/background/tasks/digest/run', { wait: false })).toMatchObject({ status: 404, body: { detail: 'Task not found: digest' } });
    expect((await bg.request('POST', '/background/tasks/digest/run', { wait: 'soon' })).status).toBe(422);
    expect((await bg.request('POST', '/background/tasks/digest/run', { query: ' ' })).body.detail[0].loc).toEqual(['body', 'query']);
  });

  it('waits for the run with {"wait": true}, executing it inline when no worker runs here', async () => {
    bg = await backgroundServer(new ScriptedAgent([{ reply: 'digest ready' }]), { backgroundStartWorker: false });
    await bg.request('POST', '/background/tasks', manualTask());
    const done = await bg.request('POST', '/background/tasks/digest/run', { wait: true, query: 'Just today' });
    expect(done.body).toMatchObject({ status: 'completed', result_preview: 'digest ready', query_snapshot: 'Just today', attempt: 1, error: null });
    const runId = done.body.run_id;
    expect((await bg.request('GET', `/background/runs/${runId}/attempts`)).body).toMatchObject([{ attempt_number: 1, reason: 'initial', status: 'completed' }]);
    const events = (await bg.request('GET', `/background/runs/${runId}/events`)).body;
    expect(events.run_id).toBe(runId);
    expect(events.events.map((e: { sequence: number }) => e.sequence)).toEqual([1, 2, 3, 4]);
    expect(events.events.map((e: { event: string }) => e.event)).toEqual(['background_run_queued', 'background_run_claimed', 'background_run_started', 'background_run_completed']);
    expect(events.count).toBe(4);
    const workspace = (await bg.request('GET', `/background/runs/${runId}/workspace`)).body;
    expect(workspace).toMatchObject({ run_id: runId, task_id: 'digest', agent_id: 'default', workspace_path: `background/default/digest/${runId}` });
    expect(workspace.files.map((f: { name: string }) => f.name).sort()).toEqual(['events.jsonl', 'run.json']);
    expect(workspace.files[0]).toMatchObject({ is_dir: false, path: expect.any(String), modified_at: expect.any(String) });
    for (const path of [`/background/runs/nope`, `/background/runs/nope/attempts`, `/background/runs/nope/events`, `/background/runs/nope/workspace`]) {
      expect(await bg.request('GET', path)).toMatchObject({ status: 404, body: { detail: 'Run not found: nope' } });
    }
  });

  it('answers the structured 504 when the run outlasts request_timeout - 0.25 s', async () => {
    bg = await backgroundServer(new ScriptedAgent([{ hang: true }]), { requestTimeout: 1 });
    await bg.request('POST', '/background/tasks', manualTask());
    const res = await bg.request('POST', '/background/tasks/digest/run', { wait: true });
    expect(res.status).toBe(504);
    expect(res.body.detail).toMatchObject({
      message: 'Background run did not finish within 0.75 seconds', task_id: 'digest', status: 'running', wait_timeout_seconds: 0.75, request_timeout_seconds: 1,
    });
    // The timeout ends the wait, not the run.
    expect((await bg.request('GET', `/background/runs/${res.body.detail.run_id}`)).body.status).toBe('running');
    await bg.request('POST', `/background/runs/${res.body.detail.run_id}/cancel`);
  });

  it('lists runs by task and status, 422 for an unknown status', async () => {
    bg = await backgroundServer(new ScriptedAgent(), { backgroundStartWorker: false });
    await bg.request('POST', '/background/tasks', manualTask({ overlap_policy: 'allow_parallel' }));
    const a = (await bg.request('POST', '/background/tasks/digest/run')).body;
    const b = (await bg.request('POST', '/background/tasks/digest/run')).body;
    expect(await bg.request('POST', `/background/runs/${a.run_id}/cancel`)).toMatchObject({ status: 200, body: { status: 'cancel_requested' } });
    expect((await bg.request('GET', `/background/runs/${a.run_id}`)).body.status).toBe('cancelled');
    expect(await bg.request('POST', `/background/runs/${a.run_id}/cancel`)).toMatchObject({
      status: 409,
      body: { detail: `Run ${a.run_id} already ended (cancelled); there is nothing to cancel` },
    });
    expect((await bg.request('GET', '/background/runs?status=queued')).body.runs.map((r: { run_id: string }) => r.run_id)).toEqual([b.run_id]);
    expect((await bg.request('GET', '/background/runs?task_id=digest')).body.count).toBe(2);
    expect((await bg.request('GET', '/background/runs?task_id=other')).body).toEqual({ runs: [], count: 0 });
    expect(await bg.request('GET', '/background/runs?status=sleeping')).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/^'sleeping' is not a valid BackgroundRunStatus \(use one of: queued, .*completed.*\)$/) } });
    expect(await bg.request('POST', '/background/runs/nope/cancel')).toMatchObject({ status: 404, body: { detail: 'Run not found: nope' } });
    expect(await bg.request('POST', `/background/runs/${b.run_id}/resume`)).toMatchObject({ status: 409 });
    const status = (await bg.request('GET', '/background/status')).body;
    expect(status).toMatchObject({ tasks: 1, runs: 2, active_runs: 1, status_counts: { queued: 1, cancelled: 1 } });
  });
});

describe('background API: agents built from a spec', () => {
  let llm: ScriptedOpenAIServer;
  beforeAll(async () => {
    llm = await ScriptedOpenAIServer.start();
  });
  afterAll(async () => llm.close());

  it('builds a real OmniCoreAgent from model_config, system_instruction and local tools, and runs tasks on it', async () => {
    const tools = new ToolRegistry().register({ name: 'lookup', description: 'Looks up', inputSchema: z.object({}), execute: () => 'found' });
    bg = await backgroundServer(new ScriptedAgent(), { backgroundStartWorker: false }, { localToolsRegistry: { research: tools } });
    const spec = {
      agent_id: 'researcher',
      system_instruction: 'You research.',
      model_config: { provider: 'openai', model: 'scripted', base_url: llm.baseUrl, api_key: 'sk-secret-key', max_retries: 0 },
      local_tools_ref: 'research',
    };
    const registered = await bg.request('POST', '/background/agents', { spec });
    expect(registered.status).toBe(200);
    expect(registered.body).toMatchObject({ agent_id: 'researcher', name: 'researcher', model_config: { api_key: '***', provider: 'openai' } });
    expect(JSON.stringify((await bg.request('GET', '/background/agents')).body)).not.toContain('sk-secret-key');
    await bg.request('POST', '/background/tasks', manualTask({ agent_id: 'researcher' }));
    llm.enqueue({ text: 'researched answer' });
    const done = await bg.request('POST', '/background/tasks/digest/run', { wait: true });
    expect(done.body).toMatchObject({ status: 'completed', result_preview: 'researched answer' });
    const sent = llm.requests.at(-1)?.body;
    expect(sent?.messages?.[0]).toMatchObject({ role: 'system', content: 'You research.' });
    expect(JSON.stringify(sent?.tools)).toContain('lookup');
    expect(JSON.stringify(sent?.messages?.at(-1))).toContain(`run_id: ${done.body.run_id}`);
    // The agent's own trace (model calls) is recorded under the run id too, beside the lifecycle trace.
    let agentTrace: { status: number; body: any } = { status: 0, body: null };
    for (let i = 0; i < 50 && !JSON.stringify(agentTrace.body ?? '').includes('model_response'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      agentTrace = await bg.request('GET', `/telemetry/runs/${done.body.run_id}/trace`);
    }
    expect(agentTrace.status).toBe(200);
    expect(agentTrace.body.trace.run_id).toBe(done.body.run_id);
    expect(JSON.stringify(agentTrace.body)).toContain('model_response');
  });

  it('fails the run with "agent missing" when a spec has no model_config', async () => {
    bg = await backgroundServer(new ScriptedAgent(), { backgroundStartWorker: false });
    await bg.request('POST', '/background/agents', { spec: { agent_id: 'empty' } });
    await bg.request('POST', '/background/tasks', manualTask({ agent_id: 'empty' }));
    const done = await bg.request('POST', '/background/tasks/digest/run', { wait: true });
    expect(done.body).toMatchObject({ status: 'failed', error: 'agent missing' });
  });
});

describe('background API: schedules at the edges of time', () => {
  it('refuses intervals past ten years and dates past year 9000 with a 422 naming the field', async () => {
    const server = serve(new ScriptedAgent(), { backgroundStartWorker: false });
    for (const [schedule, field] of [
      [{ type: 'interval', seconds: 1e13 }, 'seconds'],
      [{ type: 'interval', seconds: 60, start_at: '9999-12-31T23:59:59Z' }, 'start_at'],
      [{ type: 'once', run_at: '9500-01-01T00:00:00Z' }, 'run_at'],
    ] as const) {
      const res = await server.app.inject({ method: 'POST', url: '/background/tasks', payload: manualTask({ task_id: `edge-${field}`, schedule }) });
      expect(res.statusCode, JSON.stringify(schedule)).toBe(422);
      expect(JSON.stringify(res.json().detail)).toContain(field);
    }
    await server.stop();
  });
});
