import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('./scripted-openai-server-cli.ts', import.meta.url));

let child: ChildProcess | undefined;

const directories: string[] = [];
afterEach(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function scriptFile(content: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'scripted-cli-'));
  directories.push(directory);
  const path = join(directory, 'script.json');
  writeFileSync(path, content);
  return path;
}

async function chat(baseUrl: string, content: string): Promise<{ content: string | null; tool_calls?: { function: { name: string; arguments: string } }[] }> {
  const response = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content }] }),
  });
  const body = (await response.json()) as { choices: { message: { content: string | null; tool_calls?: { function: { name: string; arguments: string } }[] } }[] };
  return body.choices[0]!.message;
}

function startCli(args: string[]): ChildProcess {
  child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return child;
}

async function firstLine(cli: ChildProcess): Promise<string> {
  let buffered = '';
  for await (const chunk of cli.stdout ?? []) {
    buffered += String(chunk);
    const newline = buffered.indexOf('\n');
    if (newline >= 0) return buffered.slice(0, newline);
  }
  throw new Error(`the CLI exited before printing its URL: ${buffered}`);
}

describe('scripted-openai-server-cli', () => {
  it('prints its base URL, echoes, and exits 0 on SIGTERM', async () => {
    const cli = startCli(['--port', '19540']);

    const baseUrl = await firstLine(cli);
    expect(baseUrl).toBe('http://127.0.0.1:19540/v1');
    expect((await chat(baseUrl, 'ping')).content).toBe('echo: ping');

    cli.kill('SIGTERM');
    const [code] = await once(cli, 'exit');
    expect(code).toBe(0);
  });

  it('answers from --script in order, saying on stderr which reply it used, then echoes', async () => {
    const script = scriptFile(JSON.stringify([
      { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-2001' } }] },
      { text: 'ORD-2001 was delivered on 2025-06-06.' },
    ]));
    const cli = startCli(['--port', '19541', '--script', script]);
    let stderr = '';
    cli.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    const baseUrl = await firstLine(cli);

    const first = await chat(baseUrl, 'Where is ORD-2001?');
    expect(first.tool_calls?.map((call) => [call.function.name, JSON.parse(call.function.arguments)])).toEqual([['lookup_order', { order_id: 'ORD-2001' }]]);
    expect((await chat(baseUrl, 'and?')).content).toBe('ORD-2001 was delivered on 2025-06-06.');
    expect((await chat(baseUrl, 'after the script')).content).toBe('echo: after the script');
    // stderr is another pipe: its lines may arrive a moment after the answers.
    for (let waited = 0; !stderr.includes('script finished') && waited < 5_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stderr).toBe(
      'scripted reply 1/2: tool calls: lookup_order\nscripted reply 2/2: text: "ORD-2001 was delivered on 2025-06-06."\n' +
        'script finished: echoing from now on\n',
    );
  });

  it('refuses a script that is not a list of replies with exit code 2, naming the reply', async () => {
    const cli = startCli(['--port', '19542', '--script', scriptFile('[{"text": "ok"}, {"tool_calls": []}]')]);
    let stderr = '';
    cli.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    const [code] = await once(cli, 'exit');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^--script: .*script\.json: reply 2 must have "text", "toolCalls", "error" or "hang"/);
  });

  it('refuses a bad port with exit code 2', async () => {
    const cli = startCli(['--port', 'eighty']);
    let stderr = '';
    cli.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));

    const [code] = await once(cli, 'exit');

    expect(code).toBe(2);
    expect(stderr).toContain('--port must be an integer 0-65535, got "eighty"');
  });
});
