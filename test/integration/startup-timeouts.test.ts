/**
 * Start-up checks that are allowed to take longer than Fastify's own 10 s ready timeout (a task store connect
 * timeout the user raised, the S3 bucket check) must end with our message, naming the variable and the host, not
 * with Fastify's "onReady hook timed out". Both talk to a loopback server that accepts connections and never
 * answers, so each check runs until its own timeout.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OmniServe } from '../../src/app/omni-serve.ts';
import { ScriptedAgent } from '../../src/background/testing/scripted-agent.ts';
import { ConfigError } from '../../src/core/errors.ts';

const PASSWORD = 'silent-pw-0123456789';
const SECRET_KEY = 'silent-secret-key-0123456789abcdef';

let silent: Server;
let port: number;
const sockets = new Set<Socket>();

beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  }).listen(0, '127.0.0.1');
  await once(silent, 'listening');
  port = (silent.address() as { port: number }).port;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
});

async function startFailure(env: NodeJS.ProcessEnv): Promise<unknown> {
  const server = new OmniServe(new ScriptedAgent(), { shutdownGraceSeconds: 0 }, { env, logger: false });
  return server.start('127.0.0.1', 0).then(
    () => server.stop().then(() => new Error('expected start-up to fail')),
    (error: unknown) => error,
  );
}

function problemsOf(error: unknown): string {
  expect(error, String(error)).toBeInstanceOf(ConfigError);
  return (error as ConfigError).problems.join('\n');
}

describe('start-up checks longer than Fastify\'s ready timeout', () => {
  it.concurrent('a task store connect timeout above 10 s ends with the store\'s message', async () => {
    const error = await startFailure({
      OMNICOREAGENT_BACKGROUND_TASK_STORE_URL: `postgres://app:${PASSWORD}@127.0.0.1:${port}/omniserve`,
      OMNICOREAGENT_BACKGROUND_TASK_STORE_CONNECT_TIMEOUT: '10.5',
    });
    const text = problemsOf(error);
    expect(text).toContain('OMNICOREAGENT_BACKGROUND_TASK_STORE_URL');
    expect(text).toContain(`127.0.0.1:${port}`);
    expect(text).not.toContain(PASSWORD);
  });

  it.concurrent('an S3 endpoint that never answers ends with the bucket check\'s message', async () => {
    const error = await startFailure({
      OMNICOREAGENT_WORKSPACE_BACKEND: 's3',
      AWS_S3_BUCKET: 'silent-bucket',
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
      AWS_ACCESS_KEY_ID: 'silent-access-key',
      AWS_SECRET_ACCESS_KEY: SECRET_KEY,
    });
    const text = problemsOf(error);
    expect(text).toContain('AWS_S3_BUCKET');
    expect(text).toContain('silent-bucket');
    expect(text).toContain(`127.0.0.1:${port}`);
    expect(text).not.toContain(SECRET_KEY);
  });
});
