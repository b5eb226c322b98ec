import { jsonSchema, tool, type ToolSet } from 'ai';
import { scrubSecrets } from '../llm/scrub-secrets.ts';
import type { McpConnectionManager } from './mcp/mcp-connection-manager.ts';
import type { Workspace } from '../workspace/workspace.ts';
import type { RegisteredTool, ToolRegistry } from './tool-registry.ts';

export interface ToolSetOptions {
  readonly localTools: ToolRegistry;
  readonly mcp: McpConnectionManager | null;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly sessionId: string;
  readonly runId: string;
  readonly workspace?: Workspace;
  /** Tools the agent itself provides (the workspace tools); a local or MCP tool of the same name wins. */
  readonly builtinTools?: readonly RegisteredTool[];
  /** Called with the tool call id of every call that ended in an error, so the run records `tool_error`. */
  readonly onToolFailure: (toolCallId: string, message: string) => void;
}

export interface ToolOrigin {
  readonly type: 'local' | 'mcp';
  readonly server?: string;
}

/**
 * Wraps local and MCP tools for the model. A tool that throws, times out or gets bad arguments answers the model
 * with an error text instead of failing the run: the model can then correct itself or tell the user.
 */
export function buildToolSet(options: ToolSetOptions): { tools: ToolSet; origins: Map<string, ToolOrigin> } {
  const tools: ToolSet = {};
  const origins = new Map<string, ToolOrigin>();

  const addRegistered = (local: RegisteredTool) => {
    origins.set(local.name, { type: 'local' });
    tools[local.name] = tool({
      description: local.description,
      inputSchema: jsonSchema(local.jsonSchema as Parameters<typeof jsonSchema>[0]),
      execute: (input: unknown, { toolCallId }) =>
        guarded(options, local.name, toolCallId, async (signal) => {
          const checked = local.checkArguments(input);
          if (!checked.ok) throw new ToolArgumentsError(checked.message);
          const { sessionId, runId, workspace } = options;
          return local.execute(checked.value, { signal, sessionId, runId, ...(workspace ? { workspace } : {}) });
        }),
    });
  };
  for (const local of options.localTools.list()) addRegistered(local);

  for (const remote of options.mcp?.listTools() ?? []) {
    if (tools[remote.name] !== undefined) continue; // a local tool of the same name wins
    origins.set(remote.name, { type: 'mcp', server: remote.server });
    const mcp = options.mcp!;
    tools[remote.name] = tool({
      description: remote.description,
      inputSchema: jsonSchema(remote.inputSchema as Parameters<typeof jsonSchema>[0]),
      execute: (input: unknown, { toolCallId }) =>
        guarded(options, remote.name, toolCallId, async (signal) => {
          const result = await mcp.callTool(remote.name, input as Record<string, unknown>, { signal, timeoutMs: options.timeoutMs });
          if (result.isError) throw new Error(result.text || 'the MCP server reported an error');
          return result.text;
        }),
    });
  }
  // Last: a tool the user configured, locally or on an MCP server, is what they meant by that name.
  for (const builtin of options.builtinTools ?? []) {
    if (tools[builtin.name] === undefined) addRegistered(builtin);
  }
  return { tools, origins };
}

class ToolArgumentsError extends Error {
  override name = 'ToolArgumentsError';
}

async function guarded(
  options: ToolSetOptions,
  name: string,
  toolCallId: string,
  body: (signal: AbortSignal) => Promise<unknown>,
): Promise<unknown> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([options.signal, timeout]);
  let onAbort: (() => void) | undefined;
  // Racing the abort makes a tool that ignores its signal still give up the run's turn on time.
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([body(signal), aborted]);
  } catch (error) {
    if (options.signal.aborted) throw error; // the run itself was cancelled: stop, do not answer the model
    const message = timeout.aborted
      ? `Tool "${name}" timed out after ${options.timeoutMs / 1000} seconds`
      : error instanceof ToolArgumentsError
        ? `Tool "${name}" got invalid arguments: ${error.message}`
        : `Tool "${name}" failed: ${scrubSecrets(error instanceof Error ? error.message : String(error))}`;
    options.onToolFailure(toolCallId, message);
    return `Error: ${message}`;
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    aborted.catch(() => undefined);
  }
}
