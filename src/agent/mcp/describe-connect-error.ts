import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { isHttpServerConfig, type McpServerConfig } from './mcp-server-config.ts';

/** Long enough for an exception message, short enough for a `/ready` body. */
const MAX_DETAIL_CHARS = 500;

/** Thrown by the connection manager's own bound on connect + tool listing. */
export class McpConnectTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'McpConnectTimeoutError';
  }
}

/**
 * Turns what the SDK, fetch or spawn threw into one line an operator can act on: which program or URL, what went
 * wrong, and for a stdio server what it printed before dying. The SDK's own messages ("fetch failed",
 * "Connection closed") name neither.
 */
export function describeConnectError(config: McpServerConfig, error: unknown, stderrTail: string): string {
  const stderr = summarizeStderr(stderrTail);
  const withStderr = (text: string): string => (stderr === '' ? text : `${text}; stderr: ${stderr}`);
  if (isHttpServerConfig(config)) {
    if (error instanceof McpConnectTimeoutError) return `${config.url} did not complete the MCP handshake within ${error.timeoutMs} ms`;
    if (error instanceof StreamableHTTPError) {
      const body = error.message.replace(/^Streamable HTTP error: /, '');
      return clip(`${config.url} answered${error.code === undefined ? '' : ` HTTP ${error.code}`}: ${body}`);
    }
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
    if (error instanceof TypeError && cause !== undefined) return clip(`cannot reach ${config.url}: ${cause}`);
    return clip(`${config.url}: ${messageOf(error)}`);
  }
  const program = JSON.stringify(config.command);
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  if (code === 'ENOENT') return `cannot start ${program}: no such command or file (check command, PATH and cwd)`;
  if (code === 'EACCES') return `cannot start ${program}: permission denied`;
  if (error instanceof McpConnectTimeoutError) {
    return withStderr(`${program} did not complete the MCP handshake within ${error.timeoutMs} ms (is it an MCP stdio server?)`);
  }
  if (error instanceof McpError && error.code === ErrorCode.ConnectionClosed) {
    return withStderr(`${program} exited or closed stdout before completing the MCP handshake`);
  }
  return withStderr(clip(`${program}: ${messageOf(error)}`));
}

/** Why a server that was connected went away, for status(). */
export function describeDisconnect(stderrTail: string): string {
  const stderr = summarizeStderr(stderrTail);
  return stderr === '' ? 'connection closed' : `connection closed; stderr: ${stderr}`;
}

/** Keeps the message lines of a crash report and drops stack frames, which say little to an operator. */
function summarizeStderr(tail: string): string {
  const lines = tail.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('at '));
  const joined = lines.join(' | ');
  return joined.length > MAX_DETAIL_CHARS ? `...${joined.slice(-MAX_DETAIL_CHARS)}` : joined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function clip(text: string): string {
  return text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}...` : text;
}
