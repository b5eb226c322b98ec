/**
 * The generated image's start command works. No Docker engine runs here, so the test does what the image would do,
 * with what the Dockerfile says: it generates the Dockerfile for the cookbook agent, reads its `ENV`, `WORKDIR`,
 * `CMD`/`ENTRYPOINT` and `HEALTHCHECK` from the text, and runs that exact command with that environment in a
 * directory laid out like the image's `/app` (the build context after `npm ci`: the agent file, and
 * `node_modules` holding `omnicoreagent` with its `.bin/omniserve` link). A deployment adds its secrets and port:
 * the model's URL and key (a ScriptedOpenAIServer in this process) and `OMNICOREAGENT_SERVE_PORT`. The server writes
 * under its working directory (`.omnicoreagent/` for a SQLite store), so the test also reads from the Dockerfile who
 * owns WORKDIR when CMD runs and, when it may switch users (as root), runs the command as the image's user there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedOpenAIServer } from '../../src/testing/scripted-openai-server.ts';
import { postJson, REPO_ROOT, runCli } from './spawn-cli.ts';

const AGENT_FILE = 'cookbook/omniserve/cli_agent.ts';

// ---------------------------------------------------------------------------------------------------------------
// Reading a Dockerfile: just enough of the format for the instructions the generator writes.

interface DockerfileFacts {
  readonly env: Readonly<Record<string, string>>;
  readonly workdir: string;
  /** ENTRYPOINT followed by CMD, both in exec form: the argv the container starts with. */
  readonly start: readonly string[];
  readonly healthcheck: readonly string[];
  /** The user CMD runs as, and the owner WORKDIR has by then, as uid:gid. */
  readonly runtimeUser: string;
  readonly workdirOwner: string;
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

/**
 * Ownership as the instructions leave it: WORKDIR creates a missing directory as root, `chown` in a RUN changes it,
 * and `COPY --chown` is taken not to change an existing destination directory, since that depends on the builder.
 */
class Owners {
  readonly #uids = new Map([['root', '0']]);
  readonly #gids = new Map([['root', '0']]);
  readonly #owners = new Map<string, string>();
  user = '0:0';

  run(command: string): void {
    for (const step of command.split(/&&|;/).map((part) => part.trim().split(/\s+/))) {
      const option = (name: string) => step[step.indexOf(name) + 1];
      const name = step[step.length - 1]!;
      if (step[0] === 'groupadd') this.#gids.set(name, option('--gid')!);
      if (step[0] === 'useradd') {
        this.#uids.set(name, option('--uid')!);
        const group = option('--gid');
        if (group !== undefined) this.#gids.set(name, this.#gids.get(group) ?? group);
      }
      if (step[0] === 'mkdir') for (const dir of step.slice(1).filter((arg) => !arg.startsWith('-'))) this.create(dir);
      if (step[0] === 'chown') {
        const [owner, ...paths] = step.slice(1).filter((arg) => !arg.startsWith('-'));
        for (const path of paths) this.#owners.set(path, this.resolve(owner!));
      }
    }
  }

  create(dir: string): void {
    if (!this.#owners.has(dir)) this.#owners.set(dir, this.user);
  }

  ownerOf(dir: string): string {
    return this.#owners.get(dir) ?? '0:0';
  }

  resolve(spec: string): string {
    const [user, group] = spec.split(':');
    return `${this.#uids.get(user!) ?? user}:${group === undefined ? (this.#gids.get(user!) ?? '0') : (this.#gids.get(group) ?? group)}`;
  }
}

function readDockerfile(text: string): DockerfileFacts {
  const env: Record<string, string> = {};
  const owners = new Owners();
  let workdir = '/';
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  let healthcheck: string[] = [];
  for (const { keyword, args } of instructions(text)) {
    if (keyword === 'ENV') for (const [name, value] of envPairs(args)) env[name] = value;
    else if (keyword === 'WORKDIR') owners.create((workdir = args));
    else if (keyword === 'RUN') owners.run(args);
    else if (keyword === 'USER') owners.user = owners.resolve(args);
    else if (keyword === 'ENTRYPOINT') entrypoint = execForm(keyword, args);
    else if (keyword === 'CMD') cmd = execForm(keyword, args);
    else if (keyword === 'HEALTHCHECK') healthcheck = execForm(keyword, args.slice(args.indexOf(' CMD ') + 5));
  }
  return { env, workdir, start: [...entrypoint, ...cmd], healthcheck, runtimeUser: owners.user, workdirOwner: owners.ownerOf(workdir) };
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

interface ImageUser {
  readonly uid: number;
  readonly gid: number;
}

function imageUser(uidGid: string): ImageUser {
  const [uid, gid] = uidGid.split(':').map(Number);
  return { uid: uid!, gid: gid! };
}

/** A free loopback port in 19000-19499, the range these tests may use. */
async function portInRange(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 19000 + Math.floor(Math.random() * 500);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer().once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port in 19000-19499');
}

/** A process started from an argv, its output collected. */
class Started {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout = '';
  stderr = '';

  constructor(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv, user?: ImageUser) {
    this.child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], ...user });
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
  model = await ScriptedOpenAIServer.start({ port: await portInRange() });
});
afterAll(async () => {
  if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  await model.close();
});

// Switching a child to the image's uid needs root; elsewhere the WORKDIR owner is still checked from the Dockerfile.
const canSwitchUser = process.getuid?.() === 0;

describe('the generated image starts, serves and stops', () => {
  // The port and prefix are spelled as a person might (the server reads ` 19001` as 19001 and `//api` as `/api`):
  // the HEALTHCHECK must read them the same way, or a healthy container is killed.
  it('runs its CMD with its ENV, answers through the model, passes its HEALTHCHECK and exits 0 on SIGTERM', async () => {
    const context = buildContext();
    const image = await startServeAndStop(context, { port: (port) => ` ${port} `, prefix: '//api/', servedAt: '/api' });
    expect(image.workdirOwner, 'WORKDIR belongs to the user CMD runs as, so the server can write under it').toBe(image.runtimeUser);
    expect(existsSync(join(context, '.omnicoreagent/omniserve.db'))).toBe(true);
  }, 90_000);

  it.skipIf(!canSwitchUser)("creates .omnicoreagent/ in WORKDIR as the image's user, with /app owned as the Dockerfile leaves it", async () => {
    const context = buildContext();
    const image = await startServeAndStop(context, { port: (port) => `+${port}`, prefix: 'api', servedAt: '/api', asImageUser: true });
    expect(statSync(join(context, '.omnicoreagent/omniserve.db')).uid).toBe(imageUser(image.runtimeUser).uid);
  }, 90_000);

  // A clone of this repository as the build context (to deploy a cookbook agent): npm does not link a package's own
  // bin into its node_modules/.bin, so the image must start the server another way.
  it('does the same when the build context is this package itself', async () => {
    expect(existsSync(join(REPO_ROOT, '.dockerignore')), 'the repository ships a .dockerignore, so generating writes nothing here').toBe(true);
    await startServeAndStop(REPO_ROOT, { port: (port) => `+${port}`, prefix: '', servedAt: '' });
  }, 90_000);
});

interface StartOptions {
  /** How the deployment spells the port it routes to. */
  readonly port: (port: number) => string;
  readonly prefix: string;
  /** Where the server then puts the API, from its documented normalisation. */
  readonly servedAt: string;
  /**
   * Lay out /app with the owners the Dockerfile gives it, run as its USER, and keep the task store in SQLite
   * under the working directory. Without it, the store stays in memory (this repository's root is shared).
   */
  readonly asImageUser?: boolean;
}

async function startServeAndStop(context: string, options: StartOptions): Promise<DockerfileFacts> {
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
  const port = await portInRange();
  const home = mkdtempSync(join(tmpdir(), 'omniserve-home-'));
  const workspace = mkdtempSync(join(tmpdir(), 'omniserve-workspace-'));
  const user = options.asImageUser === true ? imageUser(image.runtimeUser) : undefined;
  if (user !== undefined) {
    const owner = imageUser(image.workdirOwner);
    chownSync(context, owner.uid, owner.gid);
    // The image's user owns its home and /tmp/workspace; the copied files stay readable by everyone.
    for (const dir of [home, workspace]) chownSync(dir, user.uid, user.gid);
    chmodSync(context, 0o755);
  }
  const env: NodeJS.ProcessEnv = {
    // A node image's PATH, with this node first; node_modules/.bin as a project's npm scripts would see it.
    PATH: [join(context, 'node_modules/.bin'), dirname(process.execPath), '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'].join(':'),
    HOME: home,
    ...Object.fromEntries(Object.entries(image.env).map(([name, value]) => [name, local(value)])),
    OMNICOREAGENT_WORKSPACE_DIR: workspace,
    // What the deployment injects: secrets from its secret manager, the port it routes to and the API prefix.
    LLM_BASE_URL: model.baseUrl,
    LLM_API_KEY: 'injected-secret-key',
    OMNICOREAGENT_SERVE_PORT: options.port(port),
    OMNICOREAGENT_SERVE_API_PREFIX: options.prefix,
    ...(context === REPO_ROOT ? {} : { OMNICOREAGENT_BACKGROUND_TASK_STORE: 'sql' }),
    // Loopback only here; the image binds the default 0.0.0.0 so the platform can reach it.
    OMNICOREAGENT_SERVE_HOST: '127.0.0.1',
  };
  const baseUrl = `http://127.0.0.1:${port}${options.servedAt}`;

  server = new Started(image.start, context, env, user);
  await waitUntilReady(server, baseUrl);

  const health = new Started(image.healthcheck, context, env, user);
  expect((await within(health.exited, 15_000, () => `HEALTHCHECK hung\n${health.output}`)).code, health.output).toBe(0);

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

  const after = new Started(image.healthcheck, context, env, user);
  expect((await within(after.exited, 15_000, () => `HEALTHCHECK hung\n${after.output}`)).code).toBe(1);
  return image;
}
