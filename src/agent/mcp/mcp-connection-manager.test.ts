import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpTestServerStdioConfig, startMcpHttpTestServer, type McpHttpTestServer } from '../../testing/mcp-test-server.ts';
import { McpConnectionManager, type McpConnectionManagerOptions } from './mcp-connection-manager.ts';

const CLIENT: McpConnectionManagerOptions = { clientName: 'omniserve-test', clientVersion: '0.0.0' };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'omni-mcp-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

function readPid(file: string): number {
  return Number(readFileSync(file, 'utf8'));
}

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('McpConnectionManager with a stdio and an HTTP server, plus two broken ones', () => {
  let http: McpHttpTestServer;
  let manager: McpConnectionManager;
  let pidFile: string;
  let deadUrl: string;

  beforeAll(async () => {
    http = await startMcpHttpTestServer();
    pidFile = join(dir, 'main.pid');
    deadUrl = `http://127.0.0.1:${await closedPort()}/mcp`;
    manager = new McpConnectionManager(
      [
        mcpTestServerStdioConfig('local', { pidFile }),
        { name: 'remote', transport: 'streamable_http', url: http.url },
        { name: 'unreachable', transport: 'http', url: deadUrl },
        { name: 'missing', command: join(dir, 'no-such-program') },
      ],
      CLIENT,
    );
  });

  afterAll(async () => {
    await manager.close();
    await http.close();
  });

  it('reports not_connected before connectAll', () => {
    expect(manager.status()).toEqual({
      local: { status: 'not_connected', error: null, tools: 0 },
      remote: { status: 'not_connected', error: null, tools: 0 },
      unreachable: { status: 'not_connected', error: null, tools: 0 },
      missing: { status: 'not_connected', error: null, tools: 0 },
    });
    expect(manager.listTools()).toEqual([]);
  });

  it('connects the good servers and records why the bad ones failed, without throwing', async () => {
    await manager.connectAll();
    const status = manager.status();
    expect(status['local']).toEqual({ status: 'connected', error: null, tools: 4 });
    expect(status['remote']).toEqual({ status: 'connected', error: null, tools: 4 });
    expect(status['unreachable']?.status).toBe('failed');
    expect(status['unreachable']?.error).toMatch(new RegExp(`^cannot reach ${deadUrl}: .*ECONNREFUSED`));
    expect(status['missing']).toEqual({
      status: 'failed',
      error: `cannot start ${JSON.stringify(join(dir, 'no-such-program'))}: no such command or file (check command, PATH and cwd)`,
      tools: 0,
    });
  });

  it('lists both servers\' tools with their JSON Schemas, renaming the second server\'s duplicates', () => {
    const tools = manager.listTools();
    expect(tools.map((tool) => `${tool.server}:${tool.name}`)).toEqual([
      'local:add', 'local:echo', 'local:slow', 'local:fail',
      'remote:remote__add', 'remote:remote__echo', 'remote:remote__slow', 'remote:remote__fail',
    ]);
    const add = tools.find((tool) => tool.name === 'remote__add');
    expect(add).toMatchObject({
      originalName: 'add',
      description: 'Adds two numbers and returns the sum as text.',
      inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
    });
    expect(tools.find((tool) => tool.name === 'echo')?.inputSchema).toMatchObject({
      type: 'object', properties: { text: { type: 'string' } }, required: ['text'],
    });
  });

  it('calls add on each server, routing the renamed tool to its own server', async () => {
    const before = http.calls.length;
    await expect(manager.callTool('add', { a: 2, b: 3 })).resolves.toEqual({
      content: [{ type: 'text', text: '5' }], isError: false, text: '5',
    });
    expect(http.calls.length).toBe(before);
    const remote = await manager.callTool('remote__add', { a: 40, b: 2 });
    expect(remote.text).toBe('42');
    expect(http.calls.slice(before)).toEqual([{ name: 'add', arguments: { a: 40, b: 2 } }]);
  });

  it('returns isError for a failing tool, whether it reports the error or throws', async () => {
    const reported = await manager.callTool('fail', { message: 'nope' });
    expect(reported).toMatchObject({ isError: true, text: 'nope' });
    const thrown = await manager.callTool('remote__fail', { message: 'boom', mode: 'throw' });
    expect(thrown.isError).toBe(true);
    expect(thrown.text).toContain('boom');
  });

  it('gives up on a slow tool after timeoutMs', async () => {
    const started = Date.now();
    await expect(manager.callTool('slow', { ms: 5_000 }, { timeoutMs: 150 })).rejects.toThrow(
      'MCP tool "slow" (server "local") did not answer within 150 ms',
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(manager.callTool('remote__slow', { ms: 10 }, { timeoutMs: 2_000 })).resolves.toMatchObject({ text: 'waited 10 ms' });
  });

  it('stops waiting when the signal aborts, rejecting with the abort reason', async () => {
    for (const name of ['slow', 'remote__slow']) {
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 100);
      await expect(manager.callTool(name, { ms: 5_000 }, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
      expect(Date.now() - started).toBeLessThan(2_000);
    }
    // The connection survives a cancelled call.
    await expect(manager.callTool('echo', { text: 'still here' })).resolves.toMatchObject({ text: 'still here' });
  });

  it('rejects an unknown tool name with the names that exist', async () => {
    await expect(manager.callTool('nope', {})).rejects.toThrow(/^Unknown MCP tool "nope"; available: add, echo, slow, fail, remote__add/);
  });

  it('leaves connected servers alone when connectAll runs again', async () => {
    const pid = readPid(pidFile);
    await manager.connectAll();
    expect(readPid(pidFile)).toBe(pid);
    expect(manager.status()['local']?.status).toBe('connected');
    expect(manager.status()['unreachable']?.status).toBe('failed');
    await expect(manager.callTool('add', { a: 1, b: 1 })).resolves.toMatchObject({ text: '2' });
  });
});

describe('McpConnectionManager lifecycle', () => {
  it('ends the stdio child on close()', async () => {
    const pidFile = join(dir, 'close.pid');
    const manager = new McpConnectionManager([mcpTestServerStdioConfig('local', { pidFile })], CLIENT);
    await manager.connectAll();
    const pid = readPid(pidFile);
    expect(isAlive(pid)).toBe(true);
    await manager.close();
    expect(isAlive(pid)).toBe(false);
    expect(manager.status()['local']).toEqual({ status: 'disconnected', error: null, tools: 0 });
    expect(manager.listTools()).toEqual([]);
  });

  it('marks a server disconnected when its process dies, and reconnects it on the next connectAll', async () => {
    const pidFile = join(dir, 'crash.pid');
    const manager = new McpConnectionManager([mcpTestServerStdioConfig('local', { pidFile })], CLIENT);
    try {
      await manager.connectAll();
      const pid = readPid(pidFile);
      process.kill(pid, 'SIGKILL');
      await waitFor(() => manager.status()['local']?.status === 'disconnected', 'the disconnect');
      expect(manager.status()['local']).toMatchObject({ error: expect.stringMatching(/^connection closed/), tools: 0 });
      expect(manager.listTools()).toEqual([]);
      await expect(manager.callTool('add', { a: 1, b: 2 })).rejects.toThrow(
        /^MCP tool "add" is unavailable: server "local" is disconnected \(connection closed/,
      );
      await manager.connectAll();
      expect(manager.status()['local']).toEqual({ status: 'connected', error: null, tools: 4 });
      expect(readPid(pidFile)).not.toBe(pid);
      await expect(manager.callTool('add', { a: 1, b: 2 })).resolves.toMatchObject({ text: '3' });
    } finally {
      await manager.close();
    }
  });

  it('fails a server that never completes the handshake after connectTimeoutMs, and close() still ends it', async () => {
    const pidFile = join(dir, 'mute.pid');
    const script = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`;
    const manager = new McpConnectionManager([{ name: 'mute', command: process.execPath, args: ['-e', script] }], {
      ...CLIENT,
      connectTimeoutMs: 400,
    });
    const started = Date.now();
    await manager.connectAll();
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(manager.status()['mute']).toEqual({
      status: 'failed',
      error: `${JSON.stringify(process.execPath)} did not complete the MCP handshake within 400 ms (is it an MCP stdio server?)`,
      tools: 0,
    });
    const pid = readPid(pidFile);
    await manager.close();
    expect(isAlive(pid)).toBe(false);
  });

  it('quotes what a stdio server printed to stderr when it dies during start-up', async () => {
    const manager = new McpConnectionManager(
      [{ name: 'crashy', command: process.execPath, args: ['-e', 'console.error("missing API key FOO"); process.exit(3)'] }],
      CLIENT,
    );
    await manager.connectAll();
    await manager.close();
    expect(manager.status()['crashy']?.status).toBe('failed');
    expect(manager.status()['crashy']?.error).toBe(
      `${JSON.stringify(process.execPath)} exited or closed stdout before completing the MCP handshake; stderr: missing API key FOO`,
    );
  });

  it('shares one attempt between concurrent connectAll calls, and ends the HTTP session on close()', async () => {
    const http = await startMcpHttpTestServer();
    const manager = new McpConnectionManager([{ name: 'remote', transport: 'http', url: http.url }], CLIENT);
    try {
      await Promise.all([manager.connectAll(), manager.connectAll()]);
      expect(manager.status()['remote']?.status).toBe('connected');
      expect(http.openSessions()).toBe(1);
      await manager.close();
      await waitFor(() => http.openSessions() === 0, 'the session to end');
    } finally {
      await manager.close();
      await http.close();
    }
  });
});
