/**
 * cookbook/omniserve/programmatic_api.ts: it sets every OmniServe option with a comment naming the variable that
 * overrides it, serves through `app.inject()` without listening when imported, and serves for real when run.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, createServer, MODEL, PROVIDER, SERVE_OPTIONS } from '../../cookbook/omniserve/programmatic_api.ts';
import { SERVE_ENV_VARS } from '../../src/config/env-vars.ts';
import { loadServeConfig, OMNI_SERVE_OPTION_NAMES } from '../../src/config/serve-config.ts';
import { ScriptedOpenAIServer } from '../../src/testing/scripted-openai-server.ts';
import { childEnv, freePort } from '../e2e/spawn-cli.ts';

const COOKBOOK = fileURLToPath(new URL('../../cookbook/omniserve/programmatic_api.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

let llm: ScriptedOpenAIServer;
beforeAll(async () => {
  llm = await ScriptedOpenAIServer.start();
});
afterEach(() => llm.reset());
afterAll(async () => llm.close());

describe('cookbook: programmatic API', () => {
  it('sets every OmniServe option, each with a comment naming its environment variable', () => {
    expect(Object.keys(SERVE_OPTIONS).sort()).toEqual([...OMNI_SERVE_OPTION_NAMES].sort());
    const source = readFileSync(COOKBOOK, 'utf8');
    for (const { field, name } of SERVE_ENV_VARS) {
      expect(source, `${field} // ${name}`).toMatch(new RegExp(`^\\s*${field}: .*// ${name}\\b`, 'm'));
    }
    // Valid as written: the same config the constructor builds, without any environment.
    expect(loadServeConfig(SERVE_OPTIONS, {})).toMatchObject({ host: '127.0.0.1', maxConcurrentRuns: 8, shutdownGraceSeconds: 20 });
  });

  it('builds the agent from the provider/model constants and serves it through inject() without listening', async () => {
    const agent = createAgent({ baseUrl: llm.baseUrl, apiKey: 'test-key', maxRetries: 0 });
    expect(agent.modelConfig).toMatchObject({ provider: PROVIDER, model: MODEL });
    const server = createServer(agent, { env: {}, logger: false });
    try {
      expect(server.config.corsOrigins).toEqual(['http://localhost:3000']);
      expect(server.app.server.listening).toBe(false);
      const health = await server.app.inject({ method: 'GET', url: '/health' });
      expect(health.json()).toMatchObject({ status: 'healthy', agent_name: 'ProgrammaticAssistant' });
      llm.enqueue({ text: 'Hello from the cookbook.' });
      const run = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'hi' } });
      expect(run.statusCode).toBe(200);
      expect(run.json()).toMatchObject({ response: 'Hello from the cookbook.', agent_name: 'ProgrammaticAssistant' });
      expect(llm.requests.at(-1)?.body?.model).toBe(MODEL);
      expect(server.app.server.listening).toBe(false);
    } finally {
      await server.stop();
    }
  });

  it('the environment overrides what the file sets', () => {
    const server = createServer(createAgent({ apiKey: 'test-key' }), { env: { OMNICOREAGENT_SERVE_MAX_CONCURRENT_RUNS: '3' }, logger: false });
    expect(server.config.maxConcurrentRuns).toBe(3);
  });

  it('serves when run directly, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', COOKBOOK], {
      cwd: REPO_ROOT,
      env: childEnv({ LLM_API_KEY: 'test-key', LLM_BASE_URL: llm.baseUrl, OMNICOREAGENT_SERVE_PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      let ready = false;
      while (!ready && Date.now() < deadline && child.exitCode === null) {
        ready = await fetch(`http://127.0.0.1:${port}/ready`)
          .then(async (res) => ((await res.json()) as { ready?: boolean }).ready === true)
          .catch(() => false);
        if (!ready) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(ready, output).toBe(true);
      expect(output).toContain(`is serving at http://127.0.0.1:${port}`);
      llm.enqueue({ text: 'Served for real.' });
      const res = await fetch(`http://127.0.0.1:${port}/run/sync`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'hi' }),
      });
      expect(await res.json()).toMatchObject({ response: 'Served for real.' });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
