import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isHttpServerConfig, type McpServerConfig } from './mcp-server-config.ts';

/** Enough of a crashing server's stderr to explain why, without holding a chatty server's whole log. */
const STDERR_TAIL_CHARS = 2_000;

export interface McpTransportHandle {
  readonly transport: Transport;
  /** The last lines a stdio server wrote to stderr ('' for HTTP), to explain a failed start or a crash. */
  stderrTail(): string;
  /** Ends an HTTP session politely (DELETE) so the server can free it; a no-op for stdio. */
  terminateSession(): Promise<void>;
}

/** Builds the SDK transport an `mcpTools` entry describes. Nothing is started until the client connects. */
export function createMcpTransport(config: McpServerConfig, onStderr?: (text: string) => void): McpTransportHandle {
  if (isHttpServerConfig(config)) {
    const transport = new StreamableHTTPClientTransport(
      new URL(config.url),
      config.headers === undefined ? {} : { requestInit: { headers: { ...config.headers } } },
    );
    return {
      transport,
      stderrTail: () => '',
      terminateSession: async () => {
        if (transport.sessionId !== undefined) await transport.terminateSession();
      },
    };
  }
  // Piped rather than inherited: a server's stderr is kept for the error message and handed to onStderr, instead of
  // interleaving with the service's own structured logs.
  const transport = new StdioClientTransport({
    command: config.command,
    stderr: 'pipe',
    ...(config.args === undefined ? {} : { args: [...config.args] }),
    ...(config.env === undefined ? {} : { env: { ...config.env } }),
    ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
  });
  let tail = '';
  transport.stderr?.on('data', (chunk: Buffer | string) => {
    const text = chunk.toString();
    tail = (tail + text).slice(-STDERR_TAIL_CHARS);
    onStderr?.(text);
  });
  return { transport, stderrTail: () => tail.trim(), terminateSession: async () => {} };
}
