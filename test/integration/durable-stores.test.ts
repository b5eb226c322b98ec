/**
 * The server on a durable backend (spec 2.3): at start-up it opens the store and hands it to the agent (conversation
 * memory), to telemetry (events and traces) and to the background manager (agents, tasks, runs), so all of them
 * survive a restart. One SQLite file stands for any SQL backend here; the SQL adapters themselves have their own
 * conformance suites.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OmniServe } from '../../src/app/omni-serve.ts';
import { MemorySessionStore } from '../../src/stores/memory/memory-session-store.ts';
import { scriptedAgent, useScriptedModel } from '../support/serve-fixture.ts';

const model = useScriptedModel();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omni-durable-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function durableServer(file: string, agent = scriptedAgent(model.llm)): OmniServe {
  const server = new OmniServe(
    agent,
    { backgroundTaskStoreUrl: `sqlite:///${join(dir, file)}`, workspaceDir: join(dir, 'workspace'), shutdownGraceSeconds: 0 },
    { env: {}, logger: false },
  );
  return model.tracked(server);
}

describe('a server on a durable store', () => {
  it('keeps conversations, telemetry and background tasks across a restart', async () => {
    const first = durableServer('restart.db');
    model.llm.enqueue({ text: 'remembered answer' });
    const run = await first.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'remember me', session_id: 'sess-1' } });
    expect(run.statusCode).toBe(200);
    const task = { task_id: 'kept', query: 'later', schedule: { type: 'manual' } };
    expect((await first.app.inject({ method: 'POST', url: '/background/tasks', payload: task })).statusCode).toBe(200);
    const events = (await first.app.inject({ method: 'GET', url: '/events/sess-1/list' })).json();
    expect(events.count).toBeGreaterThan(0);
    await first.stop();

    const second = durableServer('restart.db');
    const history = (await second.app.inject({ method: 'GET', url: '/sessions/sess-1/history' })).json();
    expect(history.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
    expect((await second.app.inject({ method: 'GET', url: '/background/tasks/kept' })).json()).toMatchObject({ task_id: 'kept', query: 'later' });
    expect((await second.app.inject({ method: 'GET', url: '/events/sess-1/list' })).json()).toEqual(events);
    const status = (await second.app.inject({ method: 'GET', url: '/background/status' })).json();
    expect(status).toMatchObject({ initialized: true, agents: 1, tasks: 1 });
  });

  it('keeps the conversations of agents built from a spec in the durable store too', async () => {
    const first = durableServer('spec-agent.db');
    const spec = { agent_id: 'built', model_config: { provider: 'openai', model: 'scripted', base_url: model.llm.baseUrl, api_key: 'test-key', max_retries: 0 } };
    expect((await first.app.inject({ method: 'POST', url: '/background/agents', payload: { spec } })).statusCode).toBe(200);
    const task = { task_id: 'talk', agent_id: 'built', query: 'say something', schedule: { type: 'manual' } };
    expect((await first.app.inject({ method: 'POST', url: '/background/tasks', payload: task })).statusCode).toBe(200);
    model.llm.enqueue({ text: 'said by the built agent' });
    const run = await first.app.inject({ method: 'POST', url: '/background/tasks/talk/run', payload: { wait: true } });
    expect(run.json()).toMatchObject({ status: 'completed' });
    const session = run.json().session_id as string;
    await first.stop();

    const second = durableServer('spec-agent.db');
    const history = (await second.app.inject({ method: 'GET', url: `/sessions/${encodeURIComponent(session)}/history` })).json();
    expect(history.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
  });

  it('leaves an agent that was given its own session store with that store', async () => {
    const own = new MemorySessionStore();
    const server = durableServer('own.db', scriptedAgent(model.llm, { sessionStore: own }));
    model.llm.enqueue({ text: 'kept in my own store' });
    await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'hello', session_id: 'sess-2' } });
    expect((await own.loadHistory('sess-2')).map((m) => m.role)).toEqual(['user', 'assistant']);
    await server.stop();

    const other = durableServer('own.db');
    expect((await other.app.inject({ method: 'GET', url: '/sessions/sess-2/history' })).json().count).toBe(0);
  });
});
