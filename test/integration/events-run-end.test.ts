/** A run-scoped stream always ends once the run has nothing more to give (found by a new user's trial). */
import { describe, expect, it } from 'vitest';
import type { OmniServe } from '../../src/app/omni-serve.ts';
import { parseSse, scriptedAgent, serve, useScriptedModel } from '../support/serve-fixture.ts';

const model = useScriptedModel();

async function frames(server: OmniServe, url: string, headers: Record<string, string> = {}) {
  const res = await server.app.inject({ method: 'GET', url, headers });
  expect(res.statusCode).toBe(200);
  return parseSse(res.body);
}

describe('run-scoped event streams end', () => {
  it('at once when the client already holds the run\'s last event', async () => {
    const server = model.tracked(serve(scriptedAgent(model.llm)));
    model.llm.enqueue({ text: 'done' });
    const run = (await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'q', session_id: 'E1' } })).json();
    const all = await frames(server, `/events/E1?run_id=${run.run_id}`);
    const lastId = all.filter((f) => f.id !== undefined).at(-1)!.id!;
    const resumed = await frames(server, `/events/E1?run_id=${run.run_id}`, { 'last-event-id': lastId });
    expect(resumed.map((f) => [f.event, f.data.status])).toEqual([
      ['session', 'streaming'],
      ['session', 'ended'],
    ]);
  });

  it('at once for a run id the session has never seen', async () => {
    const server = model.tracked(serve(scriptedAgent(model.llm)));
    const result = await frames(server, '/events/E2?run_id=run_00000000000000000000000000000000');
    expect(result.map((f) => f.data.status)).toEqual(['streaming', 'ended']);
  });
});
