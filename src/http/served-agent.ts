import { randomUUID } from 'node:crypto';
import type { AgentMetrics, AgentRunOptions, McpServerStatus, ServableAgent, ToolDescription } from '../agent/servable-agent.ts';
import type { SessionStore } from '../stores/types.ts';

/** The wire form of a finished run (spec 3.3). */
export interface RunResponseBody {
  response: string | null;
  session_id: string;
  agent_name: string;
  metric: Record<string, unknown> | null;
  trace_id: string | null;
  run_id: string | null;
  status?: string;
  termination_reason?: string | null;
  guardrail_result?: unknown;
  approvals?: unknown;
  budget_request?: unknown;
}

const OPTIONAL_KEYS = [
  ['status', 'status'],
  ['termination_reason', 'terminationReason'],
  ['guardrail_result', 'guardrailResult'],
  ['approvals', 'approvals'],
  ['budget_request', 'budgetRequest'],
] as const;

/**
 * The server's view of an agent: every optional member of the contract is probed here once, so a light agent
 * with only `name` and `run` is served with empty answers instead of crashing a route.
 */
export class ServedAgent {
  readonly #agent: ServableAgent;

  constructor(agent: ServableAgent) {
    if (agent === null || typeof agent !== 'object' || typeof (agent as { run?: unknown }).run !== 'function') {
      throw new TypeError('The agent must be an object with a run(query, options) method');
    }
    this.#agent = agent;
  }

  get raw(): ServableAgent {
    return this.#agent;
  }

  get name(): string {
    const name = this.#agent.name;
    return typeof name === 'string' && name !== '' ? name : 'UnknownAgent';
  }

  get initialized(): boolean {
    return this.#agent.initialized ?? true;
  }

  newSessionId(): string {
    return typeof this.#agent.generateSessionId === 'function' ? String(this.#agent.generateSessionId()) : randomUUID();
  }

  async run(query: string, options: AgentRunOptions): Promise<unknown> {
    return this.#agent.run(query, options);
  }

  /** Spec 3.3 normalisation: a mapping is read key by key (snake_case or camelCase); anything else is stringified. */
  toRunResponse(result: unknown, sessionId: string, serverRunId: string): RunResponseBody {
    if (result === null || typeof result !== 'object' || Array.isArray(result)) {
      return { response: String(result), session_id: sessionId, agent_name: this.name, metric: null, trace_id: null, run_id: serverRunId };
    }
    const r = result as Record<string, unknown>;
    const pick = (snake: string, camel: string): unknown => (r[snake] !== undefined ? r[snake] : r[camel]);
    const response = r['response'];
    const metric = r['metric'];
    const body: RunResponseBody = {
      response: response === undefined ? '' : response === null ? null : String(response),
      session_id: sessionId,
      agent_name: stringOr(pick('agent_name', 'agentName'), this.name),
      metric: metric !== null && typeof metric === 'object' ? { ...(metric as Record<string, unknown>) } : null,
      trace_id: stringOr(pick('trace_id', 'traceId'), null),
      run_id: stringOr(pick('run_id', 'runId'), serverRunId),
    };
    for (const [snake, camel] of OPTIONAL_KEYS) {
      const value = pick(snake, camel);
      if (value !== undefined) (body as unknown as Record<string, unknown>)[snake] = value;
    }
    return body;
  }

  async tools(): Promise<ToolDescription[]> {
    if (typeof this.#agent.listAllAvailableTools !== 'function') return [];
    const tools = (await this.#agent.listAllAvailableTools()) ?? [];
    return tools.map((t) => ({
      name: stringOr(t?.name, ''),
      description: stringOr(t?.description, ''),
      inputSchema: t?.inputSchema && typeof t.inputSchema === 'object' ? t.inputSchema : {},
      type: stringOr(t?.type, 'unknown'),
    }));
  }

  async metrics(): Promise<AgentMetrics> {
    const m = typeof this.#agent.getMetrics === 'function' ? ((await this.#agent.getMetrics()) ?? {}) : {};
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
    return {
      total_requests: Math.trunc(num(m.total_requests)),
      total_request_tokens: Math.trunc(num(m.total_request_tokens)),
      total_response_tokens: Math.trunc(num(m.total_response_tokens)),
      total_tokens: Math.trunc(num(m.total_tokens)),
      total_time: num(m.total_time),
      average_time: num(m.average_time),
    };
  }

  async history(sessionId: string): Promise<unknown[]> {
    if (typeof this.#agent.getSessionHistory !== 'function') return [];
    const messages = await this.#agent.getSessionHistory(sessionId);
    return Array.isArray(messages) ? messages : [];
  }

  async clearHistory(sessionId: string): Promise<void> {
    if (typeof this.#agent.clearSessionHistory === 'function') await this.#agent.clearSessionHistory(sessionId);
  }

  mcpServers(): Record<string, McpServerStatus> {
    return typeof this.#agent.mcpServerStatus === 'function' ? this.#agent.mcpServerStatus() : {};
  }

  async connect(): Promise<void> {
    await Promise.all([
      typeof this.#agent.connectMcpServers === 'function' ? this.#agent.connectMcpServers() : undefined,
      typeof this.#agent.warmUp === 'function' ? this.#agent.warmUp() : undefined,
    ]);
  }

  /** Offers the server's durable session store (an agent without `attachSessionStore` keeps its own memory). */
  attachSessionStore(store: SessionStore): void {
    if (typeof this.#agent.attachSessionStore === 'function') this.#agent.attachSessionStore(store);
  }

  async cleanup(): Promise<void> {
    if (typeof this.#agent.cleanup === 'function') await this.#agent.cleanup();
  }
}

function stringOr<T>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}
