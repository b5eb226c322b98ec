import { OmniCoreAgent } from '../agent/omni-core-agent.ts';
import type { ServableAgent } from '../agent/servable-agent.ts';
import type { ToolRegistry } from '../agent/tool-registry.ts';
import { ConfigError } from '../core/errors.ts';
import { toAgentOptions } from './agent-spec-conversion.ts';
import type { BackgroundAgent } from './background-records.ts';
import type { SessionStore } from '../stores/types.ts';
import type { TaskStore } from './task-store.ts';

/** Builds an agent from its stored spec; `OmniCoreAgent` unless a test passes another factory. */
export type AgentFactory = (spec: BackgroundAgent, localTools: ToolRegistry | undefined) => ServableAgent;

export const buildOmniCoreAgent: AgentFactory = (spec, localTools) => new OmniCoreAgent(toAgentOptions(spec, localTools));

/** Why an agent could not be resolved; the message becomes the run's error. */
export class AgentUnavailableError extends Error {
  override name = 'AgentUnavailableError';
}

export interface AgentResolverOptions {
  readonly store: TaskStore;
  /** The server's conversation store, given to agents built from specs (read when one is built: opened later). */
  readonly sessionStore?: () => SessionStore | null;
  readonly localTools?: Readonly<Record<string, ToolRegistry>>;
  readonly factory?: AgentFactory;
}

/**
 * Finds the agent a run executes on (spec 6.3): an instance registered in this process (the served agent), else
 * one built from the stored spec's model config, kept until the spec changes. MCP servers of built agents are
 * closed by `close()`.
 */
export class AgentResolver {
  readonly #store: TaskStore;
  readonly #localTools: Readonly<Record<string, ToolRegistry>>;
  readonly #factory: AgentFactory;
  readonly #sessionStore: () => SessionStore | null;
  readonly #live = new Map<string, ServableAgent>();
  readonly #built = new Map<string, { readonly version: string; readonly agent: ServableAgent }>();

  constructor(options: AgentResolverOptions) {
    this.#store = options.store;
    this.#localTools = options.localTools ?? {};
    this.#factory = options.factory ?? buildOmniCoreAgent;
    this.#sessionStore = options.sessionStore ?? (() => null);
  }

  setLive(agentId: string, agent: ServableAgent): void {
    this.#live.set(agentId, agent);
  }

  dropLive(agentId: string): void {
    this.#live.delete(agentId);
  }

  /** Problems that would stop the spec from becoming an agent (each names its field), empty when it builds. */
  check(spec: BackgroundAgent): string[] {
    if (spec.local_tools_ref !== null && this.#localTools[spec.local_tools_ref] === undefined) {
      const known = Object.keys(this.#localTools);
      return [`local_tools_ref "${spec.local_tools_ref}" is not a registered tool set (registered: ${known.length === 0 ? 'none' : known.join(', ')})`];
    }
    if (spec.model_config === null) return [];
    try {
      this.#build(spec);
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return [...error.problems];
      return [error instanceof Error ? error.message : String(error)];
    }
  }

  /** The agent for the id; throws `AgentUnavailableError` ("agent missing", or why it could not be built). */
  async resolve(agentId: string): Promise<ServableAgent> {
    const live = this.#live.get(agentId);
    if (live !== undefined) return live;
    const spec = await this.#store.getAgent(agentId);
    if (spec === null || spec.model_config === null) throw new AgentUnavailableError('agent missing');
    const version = `${spec.updated_at}`;
    const cached = this.#built.get(agentId);
    if (cached?.version === version) return cached.agent;
    let agent: ServableAgent;
    try {
      agent = this.#build(spec);
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems.join('; ') : error instanceof Error ? error.message : String(error);
      throw new AgentUnavailableError(`agent ${agentId} could not be built: ${problems}`);
    }
    // Its conversations go where the served agent's go (a durable store survives restarts and other processes).
    const sessions = this.#sessionStore();
    if (sessions !== null) agent.attachSessionStore?.(sessions);
    if (cached !== undefined) void cached.agent.cleanup?.().catch(() => undefined);
    this.#built.set(agentId, { version, agent });
    return agent;
  }

  async close(): Promise<void> {
    const built = [...this.#built.values()];
    this.#built.clear();
    await Promise.allSettled(built.map(({ agent }) => agent.cleanup?.()));
  }

  #build(spec: BackgroundAgent): ServableAgent {
    const tools = spec.local_tools_ref === null ? undefined : this.#localTools[spec.local_tools_ref];
    return this.#factory(spec, tools);
  }
}
