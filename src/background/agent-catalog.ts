import type { ServableAgent } from '../agent/servable-agent.ts';
import { OmniError } from '../core/errors.ts';
import { describeAgent, redactAgent, type DescribableAgent } from './agent-spec-conversion.ts';
import { nowIso, type BackgroundContext } from './background-context.ts';
import { RecordExistsError, RunAbortedError } from './background-errors.ts';
import type { BackgroundAgent, RegisterAgentRequest } from './background-records.ts';
import { ACTIVE_STATUSES } from './run-record.ts';

/** Agents background tasks run on (spec 6.4): the served agent, and agents described by a spec. */
export class AgentCatalog {
  readonly #context: BackgroundContext;
  #served: ServableAgent | null = null;

  constructor(context: BackgroundContext) {
    this.#context = context;
  }

  /**
   * Registers a live agent instance (the served one) under `agentId`, recording what it tells about itself
   * (name, instruction, model config without keys, agent config, MCP servers).
   */
  async registerInstance(agent: ServableAgent, agentId: string, replace: boolean): Promise<BackgroundAgent> {
    const { store, resolver } = this.#context;
    this.#served ??= agent;
    const existing = await store.getAgent(agentId);
    if (existing !== null && !replace) throw new OmniError('CONFLICT', `Agent already registered: ${agentId}`);
    const now = nowIso(this.#context);
    const record: BackgroundAgent = {
      agent_id: agentId,
      name: typeof agent.name === 'string' && agent.name !== '' ? agent.name : agentId,
      ...describeAgent(agent as DescribableAgent),
      local_tools_ref: null,
      workspace_config: null,
      metadata: { source: 'served_agent' },
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
    await this.#save(record, replace);
    resolver.setLive(agentId, agent);
    return redactAgent(record);
  }

  /** `POST /background/agents`. */
  async register(request: RegisterAgentRequest): Promise<BackgroundAgent> {
    const { spec } = request;
    if (spec === null) {
      if (this.#served === null) throw new OmniError('VALIDATION_FAILED', 'spec is required: this server has no served agent to register', { detail: 'spec is required: this server has no served agent to register' });
      return this.registerInstance(this.#served, request.agent_id ?? this.#context.defaultAgentId, request.replace);
    }
    if (request.agent_id !== null && request.agent_id !== spec.agent_id) {
      throw new OmniError('VALIDATION_FAILED', 'agent_id must match spec.agent_id when spec is provided');
    }
    const { store, resolver } = this.#context;
    const existing = await store.getAgent(spec.agent_id);
    if (existing !== null && !request.replace) throw new OmniError('CONFLICT', `Agent already registered: ${spec.agent_id}`);
    const now = nowIso(this.#context);
    const record: BackgroundAgent = { ...spec, name: spec.name ?? spec.agent_id, created_at: existing?.created_at ?? now, updated_at: now };
    const problems = resolver.check(record);
    if (problems.length > 0) {
      throw new OmniError('VALIDATION_FAILED', problems.join('; '), {
        detail: problems.map((msg) => ({ type: 'value_error', loc: ['body', 'spec', fieldOf(msg)], msg, input: null })),
      });
    }
    await this.#save(record, request.replace);
    // A spec registered under a live agent's id replaces it: runs now use the spec.
    resolver.dropLive(spec.agent_id);
    return redactAgent(record);
  }

  async list(): Promise<{ agents: BackgroundAgent[]; count: number }> {
    const agents = (await this.#context.store.listAgents()).map(redactAgent);
    return { agents, count: agents.length };
  }

  async get(agentId: string): Promise<BackgroundAgent> {
    const agent = await this.#context.store.getAgent(agentId);
    if (agent === null) throw new OmniError('NOT_FOUND', `Agent not found: ${agentId}`);
    return redactAgent(agent);
  }

  /**
   * Deletes an agent. With unfinished runs it answers 409 unless `force`, which cancels them. Its tasks are paused
   * (saying why), not deleted: registering the agent again and resuming them brings them back.
   */
  async delete(agentId: string, force: boolean): Promise<{ status: 'deleted' }> {
    const { store, resolver, executor, sink, workerId } = this.#context;
    if ((await store.getAgent(agentId)) === null) throw new OmniError('NOT_FOUND', `Agent not found: ${agentId}`);
    const active = await store.listRuns({ agentId, statuses: ACTIVE_STATUSES });
    if (active.length > 0 && !force) throw new OmniError('CONFLICT', `Agent has active runs: ${agentId}`);
    const now = nowIso(this.#context);
    for (const run of active) {
      const cancel = await store.requestCancel(run.run_id, now, workerId);
      if (cancel !== null) sink.publish(cancel);
      if (cancel !== null && !cancel.cancelledNow) executor.abort(run.run_id, new RunAbortedError('cancelled', 'The run was cancelled'));
    }
    for (const task of await store.listTasks({ agentId })) {
      await store.setSchedulePaused(task.task_id, true, `agent deleted: ${agentId}`, now);
    }
    await store.deleteAgent(agentId);
    resolver.dropLive(agentId);
    return { status: 'deleted' };
  }

  async #save(record: BackgroundAgent, replace: boolean): Promise<void> {
    try {
      await this.#context.store.saveAgent(record, { replace });
    } catch (error) {
      if (error instanceof RecordExistsError) throw new OmniError('CONFLICT', `Agent already registered: ${record.agent_id}`);
      throw error;
    }
  }
}

/** The spec field a build problem is about, from its wording (`modelConfig.x`, `mcpTools[0]`, `agentConfig.y`). */
function fieldOf(message: string): string {
  if (/^mcpTools|MCP/i.test(message)) return 'mcp_tools';
  if (/^agentConfig/.test(message)) return 'agent_config';
  if (/^local_tools_ref/.test(message)) return 'local_tools_ref';
  return 'model_config';
}
