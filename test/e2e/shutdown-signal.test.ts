/**
 * Signals to the real CLI (`node bin/omniserve.js run ...`): the first SIGTERM/SIGINT drains (in-flight requests
 * finish, new connections are refused, exit 0), a second one exits at once with 128 + the signal number. The model
 * is a ScriptedOpenAIServer in this process, reached through LLM_BASE_URL.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useScriptedModel } from '../support/serve-fixture.ts';
import { FIXTURES, postJson, startServing, stopAllClis, type CliProcess } from './spawn-cli.ts';

const model = useScriptedModel({ stop: stopAllClis });

async function modelCalled(): Promise<void> {
  await model.llm.waitFor((requests) => requests.some((r) => r.path === '/v1/chat/completions'), 10_000);
}

async function waitForStderr(cli: CliProcess, text: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cli.stderr.includes(text)) {
    if (Date.now() > deadline || cli.hasExited) throw new Error(`stderr never contained ${JSON.stringify(text)}:\n${cli.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves with the connection error code, or `connected` if a new TCP connection was accepted. */
function tryConnect(baseUrl: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

const agentArgs = ['run', '--agent', join(FIXTURES, 'ts-agent.ts')];

describe('omniserve run: shutdown signals', () => {
  it('SIGTERM during a slow /run/sync: the answer still arrives complete, new connections are refused, exit 0', async () => {
    const { cli, baseUrl } = await startServing(agentArgs, { env: model.env });
    model.llm.enqueue({ text: 'answered after the signal', delayMs: 1_500 });
    const pending = postJson(baseUrl, '/run/sync', { query: 'take your time' });
    await modelCalled();

    cli.child.kill('SIGTERM');
    await waitForStderr(cli, 'Received SIGTERM');
    expect(await tryConnect(baseUrl)).toBe('ECONNREFUSED');

    const response = await pending;
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ response: 'answered after the signal', agent_name: 'TsAgent' });
    const result = await cli.waitForExit(15_000);
    expect(result.code).toBe(0);
    expect(result.signal).toBeNull();
  });

  it('a second signal during a long drain exits at once with 128 + the signal number', async () => {
    const { cli, baseUrl } = await startServing(agentArgs, {
      env: { ...model.env, OMNICOREAGENT_SERVE_SHUTDOWN_GRACE_SECONDS: '120', OMNICOREAGENT_SERVE_REQUEST_TIMEOUT: '0' },
    });
    model.llm.enqueue({ hang: true });
    const pending = postJson(baseUrl, '/run/sync', { query: 'never answered' }).then(
      (res) => `status ${res.status}`,
      () => 'connection closed',
    );
    await modelCalled();

    cli.child.kill('SIGTERM');
    await waitForStderr(cli, 'Received SIGTERM');
    // Still draining: the hung run holds the process for the 120 s grace period.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(cli.hasExited).toBe(false);

    const sentAgain = Date.now();
    cli.child.kill('SIGTERM');
    const result = await cli.waitForExit(5_000);
    expect(Date.now() - sentAgain).toBeLessThan(5_000);
    expect(result.code).toBe(143);
    expect(result.stderr).toContain('Received SIGTERM again');
    expect(await pending).toBe('connection closed');
  });

  it('SIGINT drains too, and a second SIGINT exits at once with 130', async () => {
    const { cli, baseUrl } = await startServing(agentArgs, {
      env: { ...model.env, OMNICOREAGENT_SERVE_SHUTDOWN_GRACE_SECONDS: '120', OMNICOREAGENT_SERVE_REQUEST_TIMEOUT: '0' },
    });
    model.llm.enqueue({ hang: true });
    const pending = postJson(baseUrl, '/run/sync', { query: 'never answered' }).catch(() => undefined);
    await modelCalled();
    cli.child.kill('SIGINT');
    await waitForStderr(cli, 'Received SIGINT');
    expect(await tryConnect(baseUrl)).toBe('ECONNREFUSED');
    expect(cli.hasExited).toBe(false);
    cli.child.kill('SIGINT');
    const result = await cli.waitForExit(5_000);
    expect(result.code).toBe(130);
    await pending;
  });

  it('a run still going when the grace period ends is cut, and the process exits 0', async () => {
    const { cli, baseUrl } = await startServing(agentArgs, {
      env: { ...model.env, OMNICOREAGENT_SERVE_SHUTDOWN_GRACE_SECONDS: '0.5', OMNICOREAGENT_SERVE_REQUEST_TIMEOUT: '0' },
    });
    model.llm.enqueue({ hang: true });
    const pending = postJson(baseUrl, '/run/sync', { query: 'never answered' }).then(
      (res) => `status ${res.status}`,
      () => 'connection closed',
    );
    await modelCalled();
    cli.child.kill('SIGTERM');
    const result = await cli.waitForExit(10_000);
    expect(result.code).toBe(0);
    expect(await pending).toBe('connection closed');
  });
});
