/**
 * End-to-end tests of the `omniserve` CLI: each test spawns `node bin/omniserve.js ...` and, when it serves, talks
 * to it over loopback. The model is a ScriptedOpenAIServer in this process, reached by the child through
 * LLM_BASE_URL. Waits are bounded polls; no assertion depends on how long anything took.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROVIDERS } from '../../src/llm/model-config.ts';
import type { ChatCompletionMessage } from '../../src/testing/scripted-openai-server.ts';
import { useScriptedModel } from '../support/serve-fixture.ts';
import {
  CliProcess,
  FIXTURES,
  REPO_ROOT,
  freePort,
  parseSseText,
  postJson,
  readSseFrames,
  runCli,
  startServing,
  stopAllClis,
  type SseFrame,
} from './spawn-cli.ts';

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const fixture = (name: string): string => join(FIXTURES, name);
const lines = (text: string): string[] => text.split('\n').map((line) => line.trimEnd());

interface RunBody {
  readonly response: string | null;
  readonly agent_name: string;
  readonly session_id: string;
  readonly run_id: string | null;
}

/**
 * A POST through a keep-alive `http.Agent`, which, unlike fetch, keeps its idle socket until the server closes it.
 * `onHeaders` runs once the response has started; resolves with the whole body.
 */
function keepAlivePost(agent: HttpAgent, url: string, body: unknown, onHeaders: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      onHeaders();
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve(text)).on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function waitForOutput(cli: CliProcess, text: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cli.stdout.includes(text)) {
    if (Date.now() > deadline || cli.hasExited) throw new Error(`stdout never contained ${JSON.stringify(text)}:\n${cli.stdout}\n${cli.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// ----------------------------------------------------------------------------------------------------------------
// Commands that exit on their own. They share nothing, so they run concurrently; each is bounded by runCli.

describe.concurrent('omniserve commands that exit', () => {
  afterAll(stopAllClis);

  it('--version prints exactly the package version', async ({ expect }) => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`omniserve, version ${PACKAGE_VERSION}\n`);
  });

  it('--help lists run, quickstart, config and generate-dockerfile', async ({ expect }) => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['run', 'quickstart', 'config', 'generate-dockerfile']) expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('run without --agent exits 1 and points at --agent and quickstart', async ({ expect }) => {
    const result = await runCli(['run']);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toContain("Error: Please specify an agent file with --agent or use 'omniserve quickstart'");
  });

  it('run with an agent path that does not exist is a usage error (exit 2)', async ({ expect }) => {
    const result = await runCli(['run', '--agent', fixture('does-not-exist.ts')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('does-not-exist.ts');
  });

  it('an unknown option is a usage error (exit 2)', async ({ expect }) => {
    const result = await runCli(['run', '--agent', fixture('light-agent.ts'), '--no-such-option']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--no-such-option');
  });

  it('--port abc is a usage error (exit 2)', async ({ expect }) => {
    const result = await runCli(['run', '--agent', fixture('light-agent.ts'), '--port', 'abc']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('abc');
  });

  describe('config is validated before the agent file is imported', () => {
    const cases = [
      { label: '--port 0', args: ['--port', '0'], env: {}, variable: 'OMNICOREAGENT_SERVE_PORT' },
      { label: '--workers 2', args: ['--workers', '2'], env: {}, variable: 'OMNICOREAGENT_SERVE_WORKERS' },
      { label: '--rate-limit 0', args: ['--rate-limit', '0'], env: {}, variable: 'OMNICOREAGENT_SERVE_RATE_LIMIT_REQUESTS' },
      { label: 'OMNICOREAGENT_SERVE_PORT=0', args: [], env: { OMNICOREAGENT_SERVE_PORT: '0' }, variable: 'OMNICOREAGENT_SERVE_PORT' },
    ];
    it.for(cases)('$label: exit 1, the variable is named, the agent file never ran', async ({ args, env, variable }, { expect }) => {
      const dir = mkdtempSync(join(tmpdir(), 'omniserve-marker-'));
      const marker = join(dir, 'imported');
      try {
        const result = await runCli(['run', '--agent', fixture('side-effect-agent.ts'), '--host', '127.0.0.1', ...args], {
          env: { ...env, AGENT_IMPORT_MARKER: marker },
        });
        expect(result.code).toBe(1);
        expect(result.stderr.startsWith('Error: Invalid OmniServe config:')).toBe(true);
        expect(result.stderr).toContain(variable);
        expect(existsSync(marker)).toBe(false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('agent file loading failures (spec 1.6)', () => {
    const load = async (file: string, env: Record<string, string> = {}) =>
      runCli(['run', '--agent', fixture(file), '--host', '127.0.0.1', '--port', String(await freePort())], { env });

    it('a file exporting neither agent nor createAgent', async ({ expect }) => {
      const result = await load('no-export-agent.ts');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("Error: Agent file must define an 'agent' variable or 'create_agent()' function");
    });

    it('a file that throws while it is imported', async ({ expect }) => {
      const result = await load('throwing-agent.ts');
      expect(result.code).toBe(1);
      expect(lines(result.stderr)).toContain('Error: Error loading agent file: the agent file exploded at import');
    });

    it('an OmniCoreAgent with an unknown provider names the allowed providers', async ({ expect }) => {
      const result = await load('unknown-provider-agent.ts', { LLM_API_KEY: 'test' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^Error: /);
      expect(result.stderr).toContain('no-such-provider');
      for (const provider of PROVIDERS) expect(result.stderr).toContain(provider);
    });

    it('a missing API key names LLM_API_KEY', async ({ expect }) => {
      const result = await load('ts-agent.ts', { LLM_BASE_URL: 'http://127.0.0.1:9/v1' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^Error: /);
      expect(result.stderr).toContain('LLM_API_KEY');
    });
  });

  describe('config', () => {
    it('--env-example prints a template with the LLM key', async ({ expect }) => {
      const result = await runCli(['config', '--env-example']);
      expect(result.code).toBe(0);
      expect(lines(result.stdout)).toContain('export LLM_API_KEY=your_api_key_here');
    });

    it('--show masks the auth token', async ({ expect }) => {
      const result = await runCli(['config', '--show'], {
        env: { OMNICOREAGENT_SERVE_AUTH_ENABLED: 'true', OMNICOREAGENT_SERVE_AUTH_TOKEN: 'abcdefghijkl' },
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Current OmniServe Configuration:');
      expect(lines(result.stdout)).toContain('  auth_token: ****');
      expect(result.stdout).not.toMatch(/abcd|ijkl/);
    });

    it('--show shows the task store and workspace the server would use', async ({ expect }) => {
      const result = await runCli(['config', '--show'], {
        env: {
          OMNICOREAGENT_BACKGROUND_TASK_STORE_URL: 'postgres://app:hunter22@db:5432/bg',
          OMNICOREAGENT_WORKSPACE_BACKEND: 's3',
          AWS_S3_BUCKET: 'runs-bucket',
        },
      });
      expect(result.code).toBe(0);
      expect(lines(result.stdout)).toContain('  background_task_store: sql (selected by OMNICOREAGENT_BACKGROUND_TASK_STORE_URL)');
      expect(lines(result.stdout)).toContain('  workspace_bucket: runs-bucket');
      expect(result.stdout).not.toContain('hunter22');
    });

    it('--show with an invalid environment fails and names the variable', async ({ expect }) => {
      const result = await runCli(['config', '--show'], { env: { OMNICOREAGENT_SERVE_PORT: '0' } });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('OMNICOREAGENT_SERVE_PORT');
    });

    it('config alone prints the usage hint', async ({ expect }) => {
      const result = await runCli(['config']);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('Use --show to view current config or --env-example for template\n');
    });
  });
});

// ----------------------------------------------------------------------------------------------------------------
// Serving processes: one at a time, each stopped after its test.

describe('omniserve serving over loopback', () => {
  const model = useScriptedModel({ stop: stopAllClis });

  describe('serves every accepted agent file form', () => {
    const forms = [
      { file: 'ts-agent.ts', name: 'TsAgent', response: 'echo: hi', callsModel: true },
      { file: 'mts-factory-agent.mts', name: 'MtsAgent', response: 'echo: hi', callsModel: true },
      { file: 'mjs-factory-agent.mjs', name: 'MjsAgent', response: 'echo: hi', callsModel: true },
      { file: 'light-agent.ts', name: 'LightAgent', response: 'light: hi', callsModel: false },
    ];
    it.for(forms)('$file', async ({ file, name, response, callsModel }) => {
      const { baseUrl } = await startServing(['run', '--agent', fixture(file)], { env: model.env });
      const reply = await postJson(baseUrl, '/run/sync', { query: 'hi' });
      expect(reply.status).toBe(200);
      const body = (await reply.json()) as RunBody;
      expect(body).toMatchObject({ response, agent_name: name });
      expect(body.run_id).toMatch(/^run_/);
      expect(model.llm.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(callsModel ? 1 : 0);
    });
  });

  it('the agent file is imported once the config is valid (the marker mechanism works)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omniserve-marker-'));
    const marker = join(dir, 'imported');
    try {
      await startServing(['run', '--agent', fixture('side-effect-agent.ts')], { env: { AGENT_IMPORT_MARKER: marker } });
      expect(existsSync(marker)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('POST /run streams text deltas over a real socket while the model is still answering', async () => {
    const text = 'Streaming works one word at a time';
    model.llm.enqueue({ text, chunkDelayMs: 150 });
    const { baseUrl } = await startServing(['run', '--agent', fixture('ts-agent.ts')], { env: model.env });
    const response = await postJson(baseUrl, '/run', { query: 'stream please' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');

    const frames: SseFrame[] = [];
    let modelFinishedAtFirstDelta: boolean | undefined;
    for await (const frame of readSseFrames(response.body!)) {
      if (frame.event === 'text_delta' && modelFinishedAtFirstDelta === undefined) {
        modelFinishedAtFirstDelta = model.llm.requests[0]?.finished;
      }
      frames.push(frame);
    }

    expect(frames[0]).toMatchObject({ event: 'session', data: { status: 'started' } });
    const completeAt = frames.findIndex((f) => f.event === 'complete');
    expect(completeAt).toBeGreaterThan(0);
    const deltas = frames.slice(0, completeAt).filter((f) => f.event === 'text_delta');
    expect(deltas.length).toBeGreaterThanOrEqual(2);
    expect(deltas.map((f) => (f.data as { output: { delta: string } }).output.delta).join('')).toBe(text);
    // The first delta reached the client before the model's response was complete: streamed, not buffered.
    expect(modelFinishedAtFirstDelta).toBe(false);
    expect(frames[completeAt]!.data).toMatchObject({ response: text, agent_name: 'TsAgent' });
    expect(frames.at(-1)).toMatchObject({ event: 'session', data: { status: 'ended' } });
  });

  it('a client that disconnects from POST /run mid-stream aborts the model call', async () => {
    model.llm.enqueue({ text: Array.from({ length: 40 }, (_, i) => `word${i}`).join(' '), chunkDelayMs: 250 });
    const { cli, baseUrl } = await startServing(['run', '--agent', fixture('ts-agent.ts')], { env: model.env });
    const client = new AbortController();
    const response = await postJson(baseUrl, '/run', { query: 'talk slowly' }, { signal: client.signal });
    const frames = readSseFrames(response.body!);
    const first = await frames.next();
    expect(first.value).toMatchObject({ event: 'session', data: { status: 'started' } });
    // Wait until the model is mid-answer, then hang up.
    for await (const frame of frames) if (frame.event === 'text_delta') break;
    client.abort();

    await model.llm.waitFor((requests) => requests[0]?.aborted === true, 10_000);
    expect(model.llm.requests[0]).toMatchObject({ aborted: true, finished: false });
    // The server survived the disconnect and still answers.
    expect(cli.hasExited).toBe(false);
    const after = await postJson(baseUrl, '/run/sync', { query: 'still there?' });
    expect(((await after.json()) as RunBody).response).toBe('echo: still there?');
  });

  it('quickstart serves an agent built from flags and prints a curl sample', async () => {
    const { cli, baseUrl } = await startServing(['quickstart', '--provider', 'openai', '--model', 'some-model'], { env: model.env });
    const reply = await postJson(baseUrl, '/run/sync', { query: 'hello quickstart' });
    expect(reply.status).toBe(200);
    expect(await reply.json()).toMatchObject({ response: 'echo: hello quickstart', agent_name: 'QuickAgent' });
    expect(model.llm.requests[0]?.body?.model).toBe('some-model');
    await waitForOutput(cli, 'curl -X POST');
    expect(cli.stdout).toContain(`${baseUrl}/run/sync`);
  });

  it('a light agent (name + run only) still streams session, complete, session over POST /run', async () => {
    const { baseUrl } = await startServing(['run', '--agent', fixture('light-agent.ts')]);
    const response = await postJson(baseUrl, '/run', { query: 'hi' });
    const frames: SseFrame[] = [];
    for await (const frame of readSseFrames(response.body!)) frames.push(frame);
    expect(frames.map((f) => f.event)).toEqual(['session', 'complete', 'session']);
    expect(frames[1]!.data).toMatchObject({ response: 'light: hi', agent_name: 'LightAgent' });
    expect(frames[2]!.data).toMatchObject({ status: 'ended' });
  });

  it('SIGTERM makes a serving process exit 0', async () => {
    const { cli } = await startServing(['run', '--agent', fixture('ts-agent.ts')], { env: model.env });
    cli.child.kill('SIGTERM');
    const result = await cli.waitForExit(15_000);
    expect(result.code).toBe(0);
  });

  // A keep-alive client (like a proxy's connection pool) does not close its socket after the stream: the server must,
  // or shutdown would wait for the whole grace period (60 s here).
  it('SIGTERM during a POST /run stream lets the run finish, then exits 0', async () => {
    model.llm.enqueue({ text: 'one two three', chunkDelayMs: 100 });
    const { cli, baseUrl } = await startServing(['run', '--agent', fixture('ts-agent.ts')], {
      env: { ...model.env, OMNICOREAGENT_SERVE_SHUTDOWN_GRACE_SECONDS: '60' },
    });
    const agent = new HttpAgent({ keepAlive: true });
    try {
      // SIGTERM as soon as the response has started, while the model is still streaming.
      const text = await keepAlivePost(agent, `${baseUrl}/run`, { query: 'stream' }, () => cli.child.kill('SIGTERM'));
      const frames = parseSseText(text);
      expect(frames.find((f) => f.event === 'complete')?.data).toMatchObject({ response: 'one two three' });
      expect(frames.at(-1)).toMatchObject({ event: 'session', data: { status: 'ended' } });
      expect((await cli.waitForExit(15_000)).code).toBe(0);
    } finally {
      agent.destroy();
    }
  });

  // Known bug (reported, src/app/omni-serve.ts): a connection that is open but has not sent a request yet (a client's
  // pre-connected or spare keep-alive socket; undici opens one right after an aborted fetch) is not "idle" to Node,
  // so stop() waits the whole shutdown grace period for it. Flip to `it` once shutdown closes such sockets.
  it('SIGTERM is not held up by an open connection that never sent a request', async () => {
    const { cli, baseUrl } = await startServing(['run', '--agent', fixture('light-agent.ts')], {
      env: { OMNICOREAGENT_SERVE_SHUTDOWN_GRACE_SECONDS: '60' },
    });
    const socket = connect(Number(new URL(baseUrl).port), '127.0.0.1');
    try {
      await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      cli.child.kill('SIGTERM');
      expect((await cli.waitForExit(8_000)).code).toBe(0);
    } finally {
      socket.destroy();
    }
  });

  describe('cookbook/omniserve/cli_agent.ts', () => {
    const agentFile = join(REPO_ROOT, 'cookbook/omniserve/cli_agent.ts');
    const toolMessages = (messages: readonly ChatCompletionMessage[] | undefined) =>
      (messages ?? []).filter((m) => m.role === 'tool').map((m) => ({ id: m['tool_call_id'], content: String(m.content) }));

    it('lists its tools', async () => {
      const { baseUrl } = await startServing(['run', '--agent', agentFile], { env: model.env });
      const body = (await (await fetch(`${baseUrl}/tools`)).json()) as { tools: { name: string; type: string }[]; total: number };
      expect(body.total).toBe(2);
      expect(body.tools.map((t) => [t.name, t.type])).toEqual([
        ['convert_units', 'local'],
        ['date_calculator', 'local'],
      ]);
    });

    it('runs each tool the model calls and sends the results back to the model', async () => {
      model.llm.enqueue(
        {
          toolCalls: [
            { id: 'call_km', name: 'convert_units', arguments: { value: 5, from: 'km', to: 'mi' } },
            { id: 'call_temp', name: 'convert_units', arguments: { value: 100, from: 'C', to: 'F' } },
            { id: 'call_bad', name: 'convert_units', arguments: { value: 1, from: 'kg', to: 'm' } },
            { id: 'call_month', name: 'date_calculator', arguments: { operation: 'add', date: '2024-01-31', amount: 1, unit: 'months' } },
            { id: 'call_diff', name: 'date_calculator', arguments: { operation: 'difference', date: '2024-01-01', other_date: '2024-12-25' } },
          ],
        },
        { text: '5 km is about 3.11 miles; one month after 2024-01-31 is 2024-02-29.' },
      );
      const { baseUrl } = await startServing(['run', '--agent', agentFile], { env: model.env });
      const reply = await postJson(baseUrl, '/run/sync', { query: 'How far is 5 km in miles, and what is one month after Jan 31 2024?' });
      expect(reply.status).toBe(200);
      const body = (await reply.json()) as RunBody;
      expect(body.response).toBe('5 km is about 3.11 miles; one month after 2024-01-31 is 2024-02-29.');

      const chats = model.llm.requests.filter((r) => r.path === '/v1/chat/completions');
      expect(chats).toHaveLength(2);
      expect(chats[0]!.body?.model).toBe('gpt-4o-mini');
      const results = new Map(toolMessages(chats[1]!.body?.messages).map((m) => [m.id, m.content]));
      expect(results.get('call_km')).toContain('3.106855961');
      expect(results.get('call_temp')).toContain('212');
      expect(results.get('call_bad')).toMatch(/cannot convert kg \(mass\) to m \(length\)/);
      expect(results.get('call_month')).toContain('2024-02-29');
      expect(results.get('call_diff')).toContain('"days":359');

      const history = (await (await fetch(`${baseUrl}/sessions/${body.session_id}/history`)).json()) as { count: number };
      expect(history.count).toBeGreaterThanOrEqual(2);
    });
  });
});
