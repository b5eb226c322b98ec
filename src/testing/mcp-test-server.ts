import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { McpStdioServerConfig } from '../agent/mcp/mcp-server-config.ts';

/**
 * A small real MCP server for tests: `add`, `echo`, `slow` (for timeouts and aborts) and `fail` (an error result).
 * It runs over stdio as its own process (see `mcpTestServerStdioConfig`) or over Streamable HTTP in-process
 * (`startMcpHttpTestServer`).
 */
export const MCP_TEST_SERVER_SCRIPT: string = fileURLToPath(import.meta.url);

/** One tool call the server received. */
export interface McpTestToolCall {
  readonly name: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

export interface McpTestServerOptions {
  /** Called with every tool call, before the tool runs. */
  readonly onCall?: (call: McpTestToolCall) => void;
}

/** A fresh server with the four test tools; one per connection, since an McpServer serves a single transport. */
export function createMcpTestServer(options: McpTestServerOptions = {}): McpServer {
  const server = new McpServer({ name: 'omniserve-mcp-test-server', version: '1.0.0' });
  const record = (name: string, args: Record<string, unknown>): void => options.onCall?.({ name, arguments: { ...args } });
  server.registerTool(
    'add',
    { description: 'Adds two numbers and returns the sum as text.', inputSchema: { a: z.number(), b: z.number() } },
    (args) => {
      record('add', args);
      return { content: [{ type: 'text', text: String(args.a + args.b) }] };
    },
  );
  server.registerTool(
    'echo',
    { description: 'Returns the given text unchanged.', inputSchema: { text: z.string() } },
    (args) => {
      record('echo', args);
      return { content: [{ type: 'text', text: args.text }] };
    },
  );
  server.registerTool(
    'slow',
    { description: 'Waits the given milliseconds, then answers.', inputSchema: { ms: z.number().int().min(0) } },
    async (args, extra) => {
      record('slow', args);
      const { ms } = args;
      await sleep(ms, extra.signal);
      return { content: [{ type: 'text', text: `waited ${ms} ms` }] };
    },
  );
  server.registerTool(
    'fail',
    {
      description: 'Always fails: returns an error result, or throws when mode is "throw".',
      inputSchema: { message: z.string().optional(), mode: z.enum(['result', 'throw']).optional() },
    },
    (args) => {
      record('fail', args);
      const { message = 'the fail tool failed as asked', mode = 'result' } = args;
      if (mode === 'throw') throw new Error(message);
      return { content: [{ type: 'text', text: message }], isError: true };
    },
  );
  return server;
}

export interface McpStdioTestServerOptions {
  /** The child writes its pid here once started, so a test can check that it exits or kill it to simulate a crash. */
  readonly pidFile?: string;
}

/** An `mcpTools` entry that spawns this file as a stdio MCP server through tsx. */
export function mcpTestServerStdioConfig(name = 'test-stdio', options: McpStdioTestServerOptions = {}): McpStdioServerConfig {
  const args = ['--import', tsxLoader(), MCP_TEST_SERVER_SCRIPT, '--stdio'];
  if (options.pidFile !== undefined) args.push('--pid-file', options.pidFile);
  return { name, transport: 'stdio', command: process.execPath, args };
}

/** tsx resolved from this package, so the child finds it whatever its working directory. */
function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

export interface McpHttpTestServer {
  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  readonly url: string;
  /** Every tool call received so far, across sessions, oldest first. */
  readonly calls: readonly McpTestToolCall[];
  /** Sessions initialized and not yet ended by the client (DELETE) or by close(). */
  openSessions(): number;
  close(): Promise<void>;
}

/** Serves the test tools over Streamable HTTP (with sessions) on an ephemeral loopback port. */
export async function startMcpHttpTestServer(): Promise<McpHttpTestServer> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const calls: McpTestToolCall[] = [];
  const serverOptions: McpTestServerOptions = { onCall: (call) => calls.push(call) };
  const http = createServer((req, res) => {
    handle(req, res, sessions, serverOptions).catch((error: unknown) => {
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, String(error));
      else res.end();
    });
  });
  await new Promise<void>((done, fail) => {
    http.once('error', fail);
    http.listen(0, '127.0.0.1', () => done());
  });
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    calls,
    openSessions: () => sessions.size,
    close: async () => {
      await Promise.allSettled([...sessions.values()].map((transport) => transport.close()));
      sessions.clear();
      // Open SSE streams would keep close() waiting forever.
      http.closeAllConnections();
      await new Promise<void>((done) => http.close(() => done()));
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  sessions: Map<string, StreamableHTTPServerTransport>,
  serverOptions: McpTestServerOptions,
): Promise<void> {
  if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/mcp') {
    sendJsonRpcError(res, 404, -32000, 'Not found: the MCP endpoint is /mcp');
    return;
  }
  const sessionId = req.headers['mcp-session-id'];
  const body = req.method === 'POST' ? await readJson(req) : undefined;
  const existing = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
  if (existing !== undefined) {
    await existing.handleRequest(req, res, body);
    return;
  }
  if (sessionId !== undefined || req.method !== 'POST' || !isInitializeRequest(body)) {
    sendJsonRpcError(res, sessionId === undefined ? 400 : 404, -32000, 'No valid session; start with an initialize request');
    return;
  }
  const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => {
      sessions.set(id, transport);
    },
  });
  transport.onclose = () => {
    if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
  };
  await createMcpTestServer(serverOptions).connect(transport);
  await transport.handleRequest(req, res, body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    // A cancelled call must not keep the server busy (or a test process alive) for the rest of the wait.
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      done();
    }, { once: true });
  });
}

async function runStdio(argv: readonly string[]): Promise<void> {
  const pidFileAt = argv.indexOf('--pid-file');
  const pidFile = pidFileAt === -1 ? undefined : argv[pidFileAt + 1];
  await createMcpTestServer().connect(new StdioServerTransport());
  if (pidFile !== undefined) writeFileSync(pidFile, String(process.pid));
  // The SDK transport stops reading at end of input but does not exit; a client that closes our stdin means "stop".
  process.stdin.once('end', () => process.exit(0));
}

const isEntryPoint = process.argv[1] !== undefined && resolve(process.argv[1]) === MCP_TEST_SERVER_SCRIPT;
if (isEntryPoint && process.argv.includes('--stdio')) {
  runStdio(process.argv).catch((error: unknown) => {
    process.stderr.write(`mcp-test-server: ${String(error)}\n`);
    process.exit(1);
  });
}
