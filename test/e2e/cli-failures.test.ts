import { createServer } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, postJson, runCli, startServing, stopAllClis } from './spawn-cli.ts';

afterEach(async () => stopAllClis());

describe('CLI failures read as one actionable line', () => {
  it('says the port is in use, without a stack trace', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(['run', '--agent', join(FIXTURES, 'light-agent.ts'), '--host', '127.0.0.1', '--port', String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('the port is already in use');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it('masks a credential in an agent file that fails at import', async () => {
    const result = await runCli(['run', '--agent', join(FIXTURES, 'leaky-throwing-agent.ts')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Error loading agent file: could not authenticate');
    expect(result.stderr).not.toContain('abcdefghijklmnopqrstuvwxyz123456');
  });

  it('serves a .ts agent from a package that is not "type": "module"', async () => {
    const serving = await startServing(['run', '--agent', join(FIXTURES, 'cjs-package', 'agent.ts')]);
    const res = await postJson(serving.baseUrl, '/run/sync', { query: 'hi' });
    expect((await res.json()) as object).toMatchObject({ response: 'cjs package: hi', agent_name: 'InCjsPackage' });
  });
});
