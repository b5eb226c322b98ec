import { randomUUID } from 'node:crypto';
import type { LanguageModel, ModelMessage } from 'ai';
import { readLlmEnvironment } from '../config/llm-environment.ts';
import { ConfigError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { PACKAGE_VERSION } from '../core/version.ts';
import { createLanguageModel } from '../llm/create-language-model.ts';
import { describeProviderError } from '../llm/describe-provider-error.ts';
import type { ModelConfig } from '../llm/model-config.ts';
import { MemorySessionStore } from '../stores/memory/memory-session-store.ts';
import type { SessionStore, StoredMessage } from '../stores/types.ts';
import { buildToolSet } from './agent-tool-set.ts';
import { AgentRunError } from './agent-run-error.ts';
import { resolveAgentConfig, type AgentConfig, type ResolvedAgentConfig } from './agent-config.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { McpConnectionManager } from './mcp/mcp-connection-manager.ts';
import { validateMcpServerConfigs, type McpServerConfig } from './mcp/mcp-server-config.ts';
import { runLoop } from './run-loop.ts';
import { RunRecorder, toEventError } from './run-recorder.ts';
import type {
  AgentMetrics,
  AgentRunOptions,
  AgentRunResult,
  McpServerStatus,
  ServableAgent,
  ToolDescription,
} from './servable-agent.ts';
import { ToolRegistry } from './tool-registry.ts';
import { streamRun, type AgentStreamPart } from './stream-run.ts';
import { workspaceTools } from './workspace-tools.ts';

export interface OmniCoreAgentOptions {
  readonly name: string;
  readonly systemInstruction?: string;
  /** Which provider and model to call; credentials come from `apiKey`, `LLM_API_KEY` or the provider's variable. */
  readonly modelConfig?: ModelConfig;
  /** A ready AI SDK model, for providers outside the built-in list. Takes the place of `modelConfig`. */
  readonly languageModel?: LanguageModel;
  readonly localTools?: ToolRegistry;
  readonly mcpTools?: readonly McpServerConfig[];
  readonly agentConfig?: AgentConfig;
  /** Where conversations are kept; in memory unless a durable store is given. */
  readonly sessionStore?: SessionStore;
}

export interface RunStreamOptions extends Omit<AgentRunOptions, 'onEvent'> {}

/** An LLM agent: a model, an instruction, tools (local and MCP), and per-session memory. */
export class OmniCoreAgent implements ServableAgent {
  readonly name: string;
  readonly systemInstruction: string | undefined;
  readonly modelConfig: ModelConfig | undefined;
  readonly agentConfig: ResolvedAgentConfig;
  readonly localTools: ToolRegistry;
  readonly mcpTools: readonly McpServerConfig[];
  readonly #model: ReturnType<typeof createLanguageModel>;
  #sessions: SessionStore;
  /** True when the caller chose the session store: the server's durable one is then declined. */
  readonly #ownSessionStore: boolean;
  readonly #sessionLocks = new KeyedMutex();
  // Created on first connect: the MCP SDK is only loaded by agents that configure MCP servers.
  #mcp: McpConnectionManager | null = null;
  #mcpConnecting: Promise<void> | null = null;
  #totals = { runs: 0, requestTokens: 0, responseTokens: 0, time: 0 };

  constructor(options: OmniCoreAgentOptions) {
    const problems: string[] = [];
    if (typeof options?.name !== 'string' || options.name.trim() === '') problems.push('OmniCoreAgent needs a non-empty name');
    if (options?.modelConfig === undefined && options?.languageModel === undefined) {
      problems.push('OmniCoreAgent needs modelConfig ({ provider, model }) or a languageModel');
    }
    let agentConfig: ResolvedAgentConfig | undefined;
    let mcpTools: McpServerConfig[] = [];
    let model: ReturnType<typeof createLanguageModel> | undefined;
    for (const build of [
      () => (agentConfig = resolveAgentConfig(options?.agentConfig)),
      () => (mcpTools = validateMcpServerConfigs(options?.mcpTools ?? [])),
      () => {
        if (options?.languageModel !== undefined) {
          const id = typeof options.languageModel === 'string' ? options.languageModel : options.languageModel.modelId;
          const languageModel = options.languageModel;
          model = { load: async () => languageModel, provider: 'custom', modelId: id, callSettings: { maxRetries: 2 } };
        } else if (options?.modelConfig !== undefined) {
          model = createLanguageModel(options.modelConfig, readLlmEnvironment());
        }
      },
    ]) {
      try {
        build();
      } catch (error) {
        if (error instanceof ConfigError) problems.push(...error.problems);
        else throw error;
      }
    }
    if (problems.length > 0 || agentConfig === undefined || model === undefined) throw new ConfigError(problems);

    this.name = options.name;
    this.systemInstruction = options.systemInstruction;
    this.modelConfig = options.modelConfig;
    this.agentConfig = agentConfig;
    this.localTools = options.localTools ?? new ToolRegistry();
    this.mcpTools = mcpTools;
    this.#model = model;
    this.#sessions = options.sessionStore ?? new MemorySessionStore();
    this.#ownSessionStore = options.sessionStore !== undefined;
  }

  /** Keeps conversations in the server's durable store, unless this agent was given a `sessionStore` of its own. */
  attachSessionStore(store: SessionStore): void {
    if (!this.#ownSessionStore) this.#sessions = store;
  }

  generateSessionId(): string {
    return randomUUID();
  }

  /** Connects every configured MCP server; a server that fails is reported by `mcpServerStatus`, not thrown. */
  async connectMcpServers(): Promise<void> {
    if (this.mcpTools.length === 0) return;
    this.#mcpConnecting ??= this.#connectMcp().finally(() => (this.#mcpConnecting = null));
    await this.#mcpConnecting;
  }

  async #connectMcp(): Promise<void> {
    if (this.#mcp === null) {
      const { McpConnectionManager } = await import('./mcp/mcp-connection-manager.ts');
      this.#mcp ??= new McpConnectionManager(this.mcpTools, { clientName: 'omnicoreagent', clientVersion: PACKAGE_VERSION });
    }
    await this.#mcp.connectAll();
  }

  /** Loads the model provider's client ahead of the first run, so the first request pays no loading cost. */
  async warmUp(): Promise<void> {
    await this.#model.load();
  }

  mcpServerStatus(): Record<string, McpServerStatus> {
    const out: Record<string, McpServerStatus> = {};
    if (this.#mcp === null) {
      for (const server of this.mcpTools) out[server.name] = { status: 'not_connected', error: null };
      return out;
    }
    for (const [name, state] of Object.entries(this.#mcp.status())) out[name] = { status: state.status, error: state.error };
    return out;
  }

  async run(query: string, options: AgentRunOptions): Promise<AgentRunResult> {
    return this.#execute(query, options);
  }

  /** The same run as `run`, yielding text deltas, tool calls and tool results as they happen, then the result. */
  runStream(query: string, options: RunStreamOptions): AsyncIterable<AgentStreamPart> {
    const { signal, ...rest } = options;
    return streamRun((onEvent, runSignal) => this.#execute(query, { ...rest, onEvent, signal: runSignal }), signal);
  }

  async #execute(query: string, options: AgentRunOptions): Promise<AgentRunResult> {
    if (typeof query !== 'string') throw new TypeError('query must be a string');
    const sessionId = options?.sessionId || this.generateSessionId();
    const runId = options?.runId ?? newId('run');
    const signal = options?.signal ?? new AbortController().signal;
    if (this.mcpTools.length > 0 && (this.#mcp === null || Object.values(this.#mcp.status()).some((s) => s.status === 'not_connected'))) {
      await this.connectMcpServers();
    }
    return this.#sessionLocks.run(sessionId, async () => {
      const recorder = new RunRecorder({ agentName: this.name, sessionId, runId, onEvent: options?.onEvent });
      const started = performance.now();
      recorder.record('agent_start', { input: { query } });
      recorder.record('user_message', { actor: { type: 'user', id: null, name: null }, input: { content: query } });
      const history = await this.#sessions.loadHistory(sessionId);
      const userMessage: ModelMessage = { role: 'user', content: query };
      const messages = [...history.map(toModelMessage), userMessage];
      const failedToolCalls = new Map<string, string>();
      const workspace = options?.workspace;
      const { tools, origins } = buildToolSet({
        localTools: this.localTools,
        mcp: this.#mcp,
        timeoutMs: this.agentConfig.toolCallTimeoutSeconds * 1000,
        signal,
        sessionId,
        runId,
        ...(workspace ? { workspace } : {}),
        ...(workspace && this.agentConfig.workspaceTools ? { builtinTools: workspaceTools(workspace, recorder) } : {}),
        onToolFailure: (id, message) => failedToolCalls.set(id, message),
      });
      try {
        const out = await runLoop({
          model: await this.#model.load(),
          provider: this.#model.provider,
          modelId: this.#model.modelId,
          callSettings: this.#model.callSettings,
          system: this.systemInstruction,
          messages,
          tools,
          toolOrigins: origins,
          failedToolCalls,
          limits: this.agentConfig,
          signal,
          recorder,
        });
        const now = new Date().toISOString();
        await this.#sessions.appendMessages(sessionId, [
          { role: 'user', content: query, timestamp: now },
          ...out.responseMessages.map((m) => ({ role: m.role, content: m.content, timestamp: now })),
        ]);
        const seconds = (performance.now() - started) / 1000;
        this.#count(out.usage.prompt_tokens, out.usage.completion_tokens, seconds);
        recorder.record('final_answer', { output: { response: out.text } });
        recorder.record('agent_end', {
          output: { status: 'success', termination_reason: out.terminationReason },
          durationMs: seconds * 1000,
          tokenUsage: out.usage,
        });
        return {
          response: out.text,
          sessionId,
          agentName: this.name,
          metric: {
            request_tokens: out.usage.prompt_tokens,
            response_tokens: out.usage.completion_tokens,
            total_tokens: out.usage.total_tokens,
            total_time: round(seconds),
          },
          traceId: recorder.traceId,
          runId,
          status: 'success',
          terminationReason: out.terminationReason,
        };
      } catch (error) {
        const seconds = (performance.now() - started) / 1000;
        this.#count(0, 0, seconds);
        const cancelled = signal.aborted;
        const failure = cancelled
          ? new AgentRunError('The run was cancelled', { cancelled: true, cause: error })
          : new AgentRunError(describeProviderError(error, this.#model.provider), { cause: error });
        recorder.record(cancelled ? 'runtime_error' : 'model_error', { error: toEventError(failure) });
        recorder.record('agent_end', {
          output: { status: cancelled ? 'cancelled' : 'error' },
          durationMs: seconds * 1000,
          error: toEventError(failure),
        });
        throw failure;
      }
    });
  }

  async getSessionHistory(sessionId: string): Promise<StoredMessage[]> {
    return [...(await this.#sessions.loadHistory(sessionId))];
  }

  async clearSessionHistory(sessionId: string): Promise<void> {
    await this.#sessions.clearSession(sessionId);
  }

  listAllAvailableTools(): ToolDescription[] {
    const local = this.localTools.list().map((t) => ({
      name: t.name,
      description: t.description,
      inputSchema: t.jsonSchema,
      type: 'local',
    }));
    const remote = (this.#mcp?.listTools() ?? []).map((t) => ({
      name: t.name,
      description: t.description,
      inputSchema: t.inputSchema,
      type: 'mcp',
    }));
    return [...local, ...remote];
  }

  getMetrics(): AgentMetrics {
    const t = this.#totals;
    return {
      total_requests: t.runs,
      total_request_tokens: t.requestTokens,
      total_response_tokens: t.responseTokens,
      total_tokens: t.requestTokens + t.responseTokens,
      total_time: round(t.time),
      average_time: t.runs === 0 ? 0 : round(t.time / t.runs),
    };
  }

  async cleanup(): Promise<void> {
    await this.#mcp?.close();
  }

  #count(requestTokens: number, responseTokens: number, seconds: number): void {
    this.#totals = {
      runs: this.#totals.runs + 1,
      requestTokens: this.#totals.requestTokens + requestTokens,
      responseTokens: this.#totals.responseTokens + responseTokens,
      time: this.#totals.time + seconds,
    };
  }
}

function toModelMessage(message: StoredMessage): ModelMessage {
  return { role: message.role, content: message.content } as ModelMessage;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
