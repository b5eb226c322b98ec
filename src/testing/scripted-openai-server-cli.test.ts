import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('./scripted-openai-server-cli.ts', import.meta.url));

let child: ChildProcess | undefined;

afterEach(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

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
    const cli = startCli(['--port', '0']);

    const baseUrl = await firstLine(cli);
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const response = await fetch(`${baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'ping' }] }),
    });
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe('echo: ping');

    cli.kill('SIGTERM');
    const [code] = await once(cli, 'exit');
    expect(code).toBe(0);
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
