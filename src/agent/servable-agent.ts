import type { SessionStore } from '../stores/types.ts';
import type { Workspace } from '../workspace/workspace.ts';
import type { TelemetryEvent } from '../telemetry/telemetry-event.ts';

/** What the server passes to `agent.run`. */
export interface AgentRunOptions {
  readonly sessionId: string;
  readonly runId?: string;
  /** Aborts the run, its model call and its tool calls (client disconnect, timeout, shutdown). */
  readonly signal?: AbortSignal;
  /** Receives every telemetry event of the run as it happens (including `text_delta`). */
  readonly onEvent?: (event: TelemetryEvent) => void;
  /** The run's files (background runs), already confined to the run's directory; offered to tools. */
  readonly workspace?: Workspace;
}

/** Token and time totals of one run, or of an agent's lifetime (`getMetrics`). Wire form. */
export interface RunMetric {
  readonly request_tokens: number;
  readonly response_tokens: number;
  readonly total_tokens: number;
  /** Seconds. */
  readonly total_time: number;
}

export interface AgentRunResult {
  readonly response: string;
  readonly sessionId: string;
  readonly agentName: string;
  readonly metric: RunMetric | null;
  readonly traceId: string | null;
  readonly runId: string | null;
  /** `success` unless the run ended otherwise. */
  readonly status?: string;
  readonly terminationReason?: string | null;
}

export interface AgentMetrics {
  readonly total_requests: number;
  readonly total_request_tokens: number;
  readonly total_response_tokens: number;
  readonly total_tokens: number;
  readonly total_time: number;
  readonly average_time: number;
}

export interface ToolDescription {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
  readonly type: 'local' | 'mcp' | string;
}

export interface McpServerStatus {
  readonly status: 'connected' | 'disconnected' | 'failed' | 'not_connected';
  readonly error?: string | null;
}

/**
 * What OmniServe needs from an agent. `OmniCoreAgent` implements all of it; a lighter object with only `name` and
 * `run` is served too, and every missing member degrades to an empty answer (spec 12).
 */
export interface ServableAgent {
  readonly name?: string;
  run(query: string, options: AgentRunOptions): Promise<unknown>;
  generateSessionId?(): string;
  getSessionHistory?(sessionId: string): unknown[] | Promise<unknown[]>;
  clearSessionHistory?(sessionId: string): unknown;
  listAllAvailableTools?(): ToolDescription[] | Promise<ToolDescription[]>;
  getMetrics?(): Partial<AgentMetrics> | null | Promise<Partial<AgentMetrics> | null>;
  connectMcpServers?(): Promise<void>;
  /** Loads what the first run would otherwise load (the model client); called once at start-up. */
  warmUp?(): Promise<void>;
  /** Per configured MCP server, its connection state (for `/ready`). */
  mcpServerStatus?(): Record<string, McpServerStatus>;
  /** False while the agent is still starting. Absent means initialized. */
  readonly initialized?: boolean;
  /**
   * Offered, at start-up and before any run, the session store of the server's durable backend (spec 2.3), so
   * conversations survive restarts and are shared by every process. An agent that keeps its memory elsewhere (it
   * was given its own store) ignores it.
   */
  attachSessionStore?(store: SessionStore): void;
  cleanup?(): Promise<void>;
}
