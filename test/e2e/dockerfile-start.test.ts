/**
 * The generated image's start command works. No Docker engine runs here, so the test does what the image would do,
 * with what the Dockerfile says: it generates the Dockerfile for the cookbook agent, reads its `ENV`, `WORKDIR`,
 * `CMD`/`ENTRYPOINT` and `HEALTHCHECK` from the text, and runs that exact command with that environment in a
 * directory laid out like the image's `/app` (the build context after `npm ci`: the agent file, and
 * `node_modules` holding `omnicoreagent` with its `.bin/omniserve` link). A deployment adds its secrets and port:
 * the model's URL and key (a ScriptedOpenAIServer in this process) and `OMNICOREAGENT_SERVE_PORT`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedOpenAIServer } from '../../src/testing/scripted-openai-server.ts';
import { freePort, postJson, REPO_ROOT, runCli } from './spawn-cli.ts';

const AGENT_FILE = 'cookbook/omniserve/cli_agent.ts';

// ---------------------------------------------------------------------------------------------------------------
// Reading a Dockerfile: just enough of the format for the instructions the generator writes.

interface DockerfileFacts {
  readonly env: Readonly<Record<string, string>>;
  readonly workdir: string;
  /** ENTRYPOINT followed by CMD, both in exec form: the argv the container starts with. */
  readonly start: readonly string[];
  readonly healthcheck: readonly string[];
}

/** Instructions with their arguments; comment lines dropped and `\` continuations joined, as Docker reads them. */
function instructions(text: string): { keyword: string; args: string }[] {
  const logical: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (pending === '' && /^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  return logical
    .map((line) => /^\s*([A-Za-z]+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim() }));
}

/** `KEY=value KEY2="quoted \"value\""` pairs of an `ENV` instruction. */
function envPairs(args: string): [string, string][] {
  const pairs: [string, string][] = [];
  const pair = /([A-Za-z_][A-Za-z0-9_]*)=(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*/gy;
  let match: RegExpExecArray | null;
  while (pair.lastIndex < args.length && (match = pair.exec(args)) !== null) {
    pairs.push([match[1]!, match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!]);
  }
  if (pair.lastIndex !== args.length) throw new Error(`ENV not in KEY=value form: ${args}`);
  return pairs;
}

/** The JSON array of an exec-form instruction; shell form has no argv to run without a shell, so it is refused. */
function execForm(keyword: string, args: string): string[] {
  if (!args.startsWith('[')) throw new Error(`${keyword} is not in exec form: ${args}`);
  const argv = JSON.parse(args) as unknown;
  if (!Array.isArray(argv) || !argv.every((item) => typeof item === 'string')) throw new Error(`${keyword} is not a string array`);
  return argv;
}

function readDockerfile(text: string): DockerfileFacts {
  const env: Record<string, string> = {};
  let workdir = '/';
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  let healthcheck: string[] = [];
  for (const { keyword, args } of instructions(text)) {
    if (keyword === 'ENV') for (const [name, value] of envPairs(args)) env[name] = value;
    else if (keyword === 'WORKDIR') workdir = args;
    else if (keyword === 'ENTRYPOINT') entrypoint = execForm(keyword, args);
    else if (keyword === 'CMD') cmd = execForm(keyword, args);
    else if (keyword === 'HEALTHCHECK') healthcheck = execForm(keyword, args.slice(args.indexOf(' CMD ') + 5));
  }
  return { env, workdir, start: [...entrypoint, ...cmd], healthcheck };
}

// ---------------------------------------------------------------------------------------------------------------
// The image's /app, on disk: the build context as `COPY . /app` and `npm ci` leave it.

function buildContext(): string {
  const context = mkdtempSync(join(tmpdir(), 'omniserve-image-'));
  mkdirSync(join(context, dirname(AGENT_FILE)), { recursive: true });
  copyFileSync(join(REPO_ROOT, AGENT_FILE), join(context, AGENT_FILE));
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/zod/package.json'), 'utf8')) as { version: string };
  const manifest = { name: 'units-assistant', private: true, type: 'module', dependencies: { omnicoreagent: `file:${REPO_ROOT}`, zod: version } };
  writeFileSync(join(context, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(context, 'package-lock.json'), '{}\n');
  // What `npm ci` makes of those dependencies: the packages, and a link per `bin` entry in node_modules/.bin.
  mkdirSync(join(context, 'node_modules/.bin'), { recursive: true });
  symlinkSync(REPO_ROOT, join(context, 'node_modules/omnicoreagent'), 'dir');
  symlinkSync(join(REPO_ROOT, 'node_modules/zod'), join(context, 'node_modules/zod'), 'dir');
  const { bin } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  for (const [name, target] of Object.entries(bin)) symlinkSync(join('../omnicoreagent', target), join(context, 'node_modules/.bin', name));
  return context;
}

/** A process started from an argv, its output collected. */
class Started {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout = '';
  stderr = '';

  constructor(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv) {
    this.child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('close', (code, signal) => resolve({ code, signal }));
    });
  }

  get output(): string {
    return `stdout:\n${this.stdout}\nstderr:\n${this.stderr}`;
  }
}

async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what())), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitUntilReady(server: Started, baseUrl: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error(`the start command exited\n${server.output}`);
    const body = await fetch(`${baseUrl}/ready`, { signal: AbortSignal.timeout(2_000) })
      .then((res) => res.json() as Promise<{ ready?: unknown }>)
      .catch(() => undefined);
    if (body?.ready === true) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not ready within ${timeoutMs} ms\n${server.output}`);
}

// ---------------------------------------------------------------------------------------------------------------

let model: ScriptedOpenAIServer;
let server: Started | undefined;

beforeAll(async () => {
  model = await ScriptedOpenAIServer.start();
});
afterAll(async () => {
  if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  await model.close();
});

describe('the generated image starts, serves and stops', () => {
  it('runs its CMD with its ENV, answers through the model, passes its HEALTHCHECK and exits 0 on SIGTERM', async () => {
    await startServeAndStop(buildContext());
  }, 90_000);

  // A clone of this repository as the build context (to deploy a cookbook agent): npm does not link a package's own
  // bin into its node_modules/.bin, so the image must start the server another way.
  it('does the same when the build context is this package itself', async () => {
    expect(existsSync(join(REPO_ROOT, '.dockerignore')), 'the repository ships a .dockerignore, so generating writes nothing here').toBe(true);
    await startServeAndStop(REPO_ROOT);
  }, 90_000);
});

async function startServeAndStop(context: string): Promise<void> {
  const seenBefore = model.requests.length;
  const out = mkdtempSync(join(tmpdir(), 'omniserve-dockerfile-'));
  const generated = await runCli(['generate-dockerfile', '--file', AGENT_FILE, '--output-dir', out], { cwd: context });
  expect(generated.code, generated.stderr).toBe(0);
  const image = readDockerfile(readFileSync(join(out, 'Dockerfile'), 'utf8'));
  expect(image.start.length).toBeGreaterThan(0);
  expect(image.env['AGENT_PATH']).toBe(`${image.workdir}/${AGENT_FILE}`);

  // Inside the image, WORKDIR is the build context: map its paths here. The workspace gets a fresh directory.
  const inImage = `${image.workdir.replace(/\/$/, '')}/`;
  const local = (value: string) => (value.startsWith(inImage) ? join(context, value.slice(inImage.length)) : value);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    // A node image's PATH, with this node first; node_modules/.bin as a project's npm scripts would see it.
    PATH: [join(context, 'node_modules/.bin'), dirname(process.execPath), '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'].join(':'),
    HOME: mkdtempSync(join(tmpdir(), 'omniserve-home-')),
    ...Object.fromEntries(Object.entries(image.env).map(([name, value]) => [name, local(value)])),
    OMNICOREAGENT_WORKSPACE_DIR: mkdtempSync(join(tmpdir(), 'omniserve-workspace-')),
    // What the deployment injects: secrets from its secret manager, and the port it routes to.
    LLM_BASE_URL: model.baseUrl,
    LLM_API_KEY: 'injected-secret-key',
    OMNICOREAGENT_SERVE_PORT: String(port),
  };
  const baseUrl = `http://127.0.0.1:${port}`;

  server = new Started(image.start, context, env);
  await waitUntilReady(server, baseUrl);

  const health = new Started(image.healthcheck, context, env);
  expect((await within(health.exited, 15_000, () => `HEALTHCHECK hung\n${health.output}`)).code).toBe(0);

  model.enqueue(
    { toolCalls: [{ id: 'call_km', name: 'convert_units', arguments: { value: 5, from: 'km', to: 'mi' } }] },
    { text: '5 km is about 3.11 miles.' },
  );
  const reply = await postJson(baseUrl, '/run/sync', { query: 'How far is 5 km in miles?' });
  expect(reply.status).toBe(200);
  expect(await reply.json()).toMatchObject({ response: '5 km is about 3.11 miles.', agent_name: 'UnitsAndDatesAssistant' });
  const chats = model.requests.slice(seenBefore).filter((request) => request.path === '/v1/chat/completions');
  expect(chats).toHaveLength(2);
  expect(chats[0]!.headers['authorization']).toBe('Bearer injected-secret-key');
  expect(JSON.stringify(chats[1]!.body?.messages)).toContain('3.106855961');

  server.child.kill('SIGTERM');
  const exit = await within(server.exited, 20_000, () => `no exit after SIGTERM\n${server!.output}`);
  // The signal reached the server itself (the shell exec'd into it), which drained and exited on its own.
  expect(server.stderr).toContain('Received SIGTERM');
  expect(exit).toEqual({ code: 0, signal: null });

  const after = new Started(image.healthcheck, context, env);
  expect((await within(after.exited, 15_000, () => `HEALTHCHECK hung\n${after.output}`)).code).toBe(1);
}
