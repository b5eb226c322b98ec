import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { DEFAULT_REQUEST_TIMEOUT_MSEC, type RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { assignToolNames } from './assign-tool-names.ts';
import { createMcpTransport, type McpTransportHandle } from './create-mcp-transport.ts';
import { describeConnectError, describeDisconnect, McpConnectTimeoutError } from './describe-connect-error.ts';
import type { McpServerConfig } from './mcp-server-config.ts';
import type { McpListedTool, McpToolInfo } from './mcp-tool-info.ts';
import { toolResultText } from './tool-result-text.ts';

export const MCP_SERVER_STATES = ['connected', 'disconnected', 'failed', 'not_connected'] as const;
export type McpServerState = (typeof MCP_SERVER_STATES)[number];

export interface McpServerStatusEntry {
  readonly status: McpServerState;
  /** Why the server failed or disconnected; null while connected or never tried. */
  readonly error: string | null;
  /** Tools callable right now (0 unless connected). */
  readonly tools: number;
}

export interface McpConnectionManagerOptions {
  /** Sent to servers in `initialize` as clientInfo. */
  readonly clientName: string;
  readonly clientVersion: string;
  /** Bound on connecting and listing tools, per server. Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** Receives what stdio servers write to stderr (it is not inherited by this process). */
  readonly onStderr?: (server: string, text: string) => void;
}

export interface McpCallToolOptions {
  readonly signal?: AbortSignal;
  /** Default: the SDK's request timeout (60 s). */
  readonly timeoutMs?: number;
}

export interface McpCallToolResult {
  /** The server's content blocks, unchanged. */
  readonly content: unknown;
  readonly isError: boolean;
  /** The content flattened to text for the model. */
  readonly text: string;
}

/** A stuck server must not stretch close() (and so shutdown) past this. */
const CLOSE_BUDGET_MS = 5_000;
/** Guards against a server whose cursors never end. */
const MAX_TOOL_PAGES = 100;

interface ServerEntry {
  readonly config: McpServerConfig;
  state: McpServerState;
  error: string | null;
  /** Last known list, kept while disconnected so tool names do not shift when a server drops out and comes back. */
  tools: readonly McpListedTool[];
  client: Client | null;
  handle: McpTransportHandle | null;
  /** Bumped by every connect and close, so late callbacks of an older client cannot overwrite newer state. */
  generation: number;
  connecting: Promise<void> | null;
}

/**
 * Owns one MCP client per configured server: connects them, tracks their health for `/ready`, offers their tools
 * under collision-free names (see `assignToolNames`) and routes tool calls. One bad server never fails the others.
 */
export class McpConnectionManager {
  readonly #entries = new Map<string, ServerEntry>();
  readonly #options: McpConnectionManagerOptions;
  readonly #connectTimeoutMs: number;
  /** Clients being shut down in the background after a failed or timed-out connect; close() waits for them. */
  readonly #closing = new Set<Promise<void>>();
  #tools: McpToolInfo[] = [];

  constructor(configs: readonly McpServerConfig[], options: McpConnectionManagerOptions) {
    this.#options = options;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    for (const config of configs) {
      if (this.#entries.has(config.name)) throw new Error(`Duplicate MCP server name "${config.name}"`);
      this.#entries.set(config.name, {
        config, state: 'not_connected', error: null, tools: [], client: null, handle: null, generation: 0, connecting: null,
      });
    }
  }

  /** Connects every server not yet connected, in parallel; failures are recorded in status(), never thrown. */
  async connectAll(): Promise<void> {
    await Promise.all([...this.#entries.values()].map((entry) => {
      if (entry.state === 'connected') return undefined;
      entry.connecting ??= this.#connect(entry).finally(() => {
        entry.connecting = null;
      });
      return entry.connecting;
    }));
  }

  status(): Record<string, McpServerStatusEntry> {
    const status: Record<string, McpServerStatusEntry> = {};
    for (const [name, entry] of this.#entries) {
      status[name] = { status: entry.state, error: entry.error, tools: entry.state === 'connected' ? entry.tools.length : 0 };
    }
    return status;
  }

  /** Tools of the connected servers, in config order. */
  listTools(): McpToolInfo[] {
    return this.#tools.filter((tool) => this.#entries.get(tool.server)?.state === 'connected');
  }

  async callTool(name: string, args: Record<string, unknown>, options: McpCallToolOptions = {}): Promise<McpCallToolResult> {
    const tool = this.#tools.find((candidate) => candidate.name === name);
    if (tool === undefined) {
      const known = this.listTools().map((candidate) => candidate.name);
      throw new Error(`Unknown MCP tool "${name}"; available: ${known.length > 0 ? known.join(', ') : 'none'}`);
    }
    const entry = this.#entries.get(tool.server);
    const client = entry?.client;
    if (entry === undefined || entry.state !== 'connected' || client === null || client === undefined) {
      const why = entry?.error === null || entry?.error === undefined ? '' : ` (${entry.error})`;
      throw new Error(`MCP tool "${name}" is unavailable: server "${tool.server}" is ${entry?.state ?? 'unknown'}${why}`);
    }
    const requestOptions: RequestOptions = {};
    if (options.signal !== undefined) requestOptions.signal = options.signal;
    if (options.timeoutMs !== undefined) requestOptions.timeout = options.timeoutMs;
    let result: Record<string, unknown>;
    try {
      result = await client.callTool({ name: tool.originalName, arguments: args }, undefined, requestOptions);
    } catch (error) {
      // The SDK reports an abort as a timeout McpError; callers expect the signal's own reason.
      if (options.signal?.aborted === true) throw options.signal.reason;
      const where = `MCP tool "${name}" (server "${tool.server}")`;
      if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
        throw new Error(`${where} did not answer within ${options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MSEC} ms`, { cause: error });
      }
      throw new Error(`${where} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return { content: result['content'] ?? result['toolResult'], isError: result['isError'] === true, text: toolResultText(result) };
  }

  /** Closes every client; stdio servers are asked to exit and killed if they do not. Safe to call twice. */
  async close(): Promise<void> {
    const closing: Promise<void>[] = [...this.#closing];
    for (const entry of this.#entries.values()) {
      if (entry.connecting !== null) closing.push(entry.connecting);
      entry.generation += 1;
      if (entry.client !== null && entry.handle !== null) closing.push(shutDown(entry.client, entry.handle));
      if (entry.state === 'connected') entry.state = 'disconnected';
      entry.client = null;
      entry.handle = null;
    }
    await Promise.allSettled(closing);
  }

  async #connect(entry: ServerEntry): Promise<void> {
    const generation = ++entry.generation;
    const name = entry.config.name;
    const handle = createMcpTransport(entry.config, (text) => this.#options.onStderr?.(name, text));
    const client = new Client({ name: this.#options.clientName, version: this.#options.clientVersion });
    // Held from the start so close() can cut a connect that is still in flight.
    entry.client = client;
    entry.handle = handle;
    client.onclose = () => {
      if (entry.generation !== generation || entry.state !== 'connected') return;
      entry.state = 'disconnected';
      entry.error = describeDisconnect(handle.stderrTail());
      entry.client = null;
      entry.handle = null;
    };
    const timeoutMs = this.#connectTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      const tools = await Promise.race([
        (async () => {
          await client.connect(handle.transport, { timeout: timeoutMs });
          return listAllTools(client, name, timeoutMs);
        })(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new McpConnectTimeoutError(timeoutMs)), timeoutMs);
        }),
      ]);
      // close() ran while this attempt was in flight, and has shut the client down.
      if (entry.generation !== generation) return;
      entry.state = 'connected';
      entry.error = null;
      entry.tools = tools;
      this.#tools = assignToolNames([...this.#entries.values()].map((candidate) => candidate.tools));
    } catch (error) {
      if (entry.generation !== generation) return;
      // Shut the half-open client down in the background: a stuck stdio child can take seconds to die, and
      // connectAll must not wait past its timeout for that. close() still waits for it.
      const closing = shutDown(client, handle).finally(() => this.#closing.delete(closing));
      this.#closing.add(closing);
      entry.client = null;
      entry.handle = null;
      entry.state = 'failed';
      entry.error = describeConnectError(entry.config, error, handle.stderrTail());
    } finally {
      clearTimeout(timer);
    }
  }
}

async function listAllTools(client: Client, server: string, timeoutMs: number): Promise<McpListedTool[]> {
  const tools: McpListedTool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_PAGES; page += 1) {
    const result = await client.listTools(cursor === undefined ? undefined : { cursor }, { timeout: timeoutMs });
    for (const tool of result.tools) {
      tools.push({ server, originalName: tool.name, description: tool.description ?? '', inputSchema: { ...tool.inputSchema } });
    }
    cursor = result.nextCursor;
    if (cursor === undefined) break;
  }
  return tools;
}

async function shutDown(client: Client, handle: McpTransportHandle): Promise<void> {
  const work = (async () => {
    await handle.terminateSession().catch(() => undefined);
    await client.close();
  })();
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<void>((done) => {
    timer = setTimeout(done, CLOSE_BUDGET_MS);
  });
  await Promise.race([work.catch(() => undefined), budget]);
  clearTimeout(timer);
}
