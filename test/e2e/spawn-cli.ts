/**
 * Helpers for end-to-end tests that spawn the real `omniserve` CLI (`node bin/omniserve.js ...`) and talk to it
 * over loopback. Every wait is bounded; every spawned process is remembered so `stopAllClis()` can end it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_BIN = fileURLToPath(new URL('../../bin/omniserve.js', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/agents/', import.meta.url));

/** Variables that would make a test depend on the developer's shell: removed from every child's environment. */
const INHERITED_PREFIXES = ['OMNICOREAGENT_', 'LLM_'];
const PROVIDER_KEYS = [
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'GOOGLE_GENERATIVE_AI_API_KEY',
  'GEMINI_API_KEY',
  'GROQ_API_KEY',
  'MISTRAL_API_KEY',
  'DEEPSEEK_API_KEY',
  'OPENROUTER_API_KEY',
];

/** The parent's environment without server/LLM settings, plus `extra` (an `undefined` value removes a variable). */
export function childEnv(extra: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (INHERITED_PREFIXES.some((prefix) => name.startsWith(prefix)) || PROVIDER_KEYS.includes(name)) continue;
    env[name] = value;
  }
  // Request logs are noise here; the tests read stdout for the banner only.
  env['OMNICOREAGENT_SERVE_REQUEST_LOGGING'] = 'false';
  env['OMNICOREAGENT_SERVE_LOG_LEVEL'] = 'WARNING';
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Node.js options before the CLI script (the store benchmark's `--profile` passes `--cpu-prof`). */
  readonly nodeArgs?: readonly string[];
}

const running = new Set<CliProcess>();

/** A running CLI process whose output is collected as it arrives. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<CliResult>;
  #stdout = '';
  #stderr = '';
  #result: CliResult | undefined;

  constructor(args: readonly string[], options: CliOptions = {}) {
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: childEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.#stdout += chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.#stderr += chunk));
    this.exited = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('close', (code, signal) => {
        this.#result = { code, signal, stdout: this.#stdout, stderr: this.#stderr };
        running.delete(this);
        resolve(this.#result);
      });
    });
    running.add(this);
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  get hasExited(): boolean {
    return this.#result !== undefined;
  }

  /** Waits for exit; SIGKILLs the process and throws when it takes longer than `timeoutMs`. */
  async waitForExit(timeoutMs = 15_000): Promise<CliResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`omniserve did not exit within ${timeoutMs} ms\nstdout:\n${this.#stdout}\nstderr:\n${this.#stderr}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.hasExited) return;
    this.child.kill('SIGTERM');
    try {
      await this.waitForExit(graceMs);
    } catch {
      // waitForExit already sent SIGKILL; the close event follows.
      await this.exited;
    }
  }
}

/** Ends every CLI process a test started and has not reaped; for `afterEach`. */
export async function stopAllClis(): Promise<void> {
  await Promise.all([...running].map((cli) => cli.stop()));
}

/** Runs the CLI to completion (bounded) and returns its exit status and output. */
export async function runCli(args: readonly string[], options: CliOptions = {}, timeoutMs = 20_000): Promise<CliResult> {
  return new CliProcess(args, options).waitForExit(timeoutMs);
}

/** A port that was free a moment ago: bind port 0 on loopback, read it, release it. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `GET <baseUrl>/ready` until it answers `ready: true`. Fails early, with the process's output, when the
 * CLI exits first, and after `timeoutMs` otherwise.
 */
export async function waitForReady(cli: CliProcess, baseUrl: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (cli.hasExited) {
      const result = await cli.exited;
      throw new Error(`omniserve exited (code ${result.code}) before it was ready\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
    }
    try {
      const response = await fetch(`${baseUrl}/ready`, { signal: AbortSignal.timeout(2_000) });
      const body = (await response.json()) as { ready?: unknown };
      if (body.ready === true) return;
      last = JSON.stringify(body);
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  cli.child.kill('SIGKILL');
  throw new Error(`omniserve was not ready within ${timeoutMs} ms (last: ${last})\nstdout:\n${cli.stdout}\nstderr:\n${cli.stderr}`);
}

export interface ServingCli {
  readonly cli: CliProcess;
  readonly baseUrl: string;
}

/** Starts `omniserve <args> --port <free port> --host 127.0.0.1` and waits until it is ready. */
export async function startServing(args: readonly string[], options: CliOptions = {}): Promise<ServingCli> {
  const port = await freePort();
  const cli = new CliProcess([...args, '--port', String(port), '--host', '127.0.0.1'], options);
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForReady(cli, baseUrl);
  return { cli, baseUrl };
}

export interface SseFrame {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: unknown;
}

/** Parses an SSE response body frame by frame as bytes arrive (comments are skipped). */
export async function* readSseFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<SseFrame> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const frame = parseFrame(block);
      if (frame !== undefined) yield frame;
    }
  }
}

/** Parses a whole SSE body that has already been read. */
export function parseSseText(text: string): SseFrame[] {
  return text
    .split('\n\n')
    .map(parseFrame)
    .filter((frame): frame is SseFrame => frame !== undefined);
}

function parseFrame(block: string): SseFrame | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  return { event, id, data: JSON.parse(data.join('\n')) as unknown };
}

/** `POST <baseUrl><path>` with a JSON body. */
export async function postJson(baseUrl: string, path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    ...init,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
    body: JSON.stringify(body),
  });
}
