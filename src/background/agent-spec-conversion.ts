import type { AgentConfig } from '../agent/agent-config.ts';
import type { McpServerConfig } from '../agent/mcp/mcp-server-config.ts';
import type { OmniCoreAgentOptions } from '../agent/omni-core-agent.ts';
import type { ToolRegistry } from '../agent/tool-registry.ts';
import type { ModelConfig } from '../llm/model-config.ts';
import type { BackgroundAgent } from './background-records.ts';

/**
 * Between the wire form of an agent (snake_case, spec 6.1) and `OmniCoreAgent`'s options (camelCase). Both spellings
 * are read, so a model config copied from either side works.
 */

const MODEL_KEYS: Readonly<Record<string, keyof ModelConfig>> = {
  provider: 'provider', model: 'model', temperature: 'temperature', max_tokens: 'maxTokens', maxTokens: 'maxTokens',
  top_p: 'topP', topP: 'topP', base_url: 'baseUrl', baseUrl: 'baseUrl', api_key: 'apiKey', apiKey: 'apiKey',
  max_retries: 'maxRetries', maxRetries: 'maxRetries',
};
const AGENT_CONFIG_KEYS: Readonly<Record<string, keyof AgentConfig>> = {
  max_steps: 'maxSteps', maxSteps: 'maxSteps', tool_call_timeout_seconds: 'toolCallTimeoutSeconds',
  toolCallTimeoutSeconds: 'toolCallTimeoutSeconds', request_limit: 'requestLimit', requestLimit: 'requestLimit',
  total_tokens_limit: 'totalTokensLimit', totalTokensLimit: 'totalTokensLimit',
  workspace_tools: 'workspaceTools', workspaceTools: 'workspaceTools',
};
const SECRET_KEYS = new Set(['api_key', 'apiKey']);

/** `camelCase` options for an agent built from its spec; unknown keys are passed through to be reported. */
export function toAgentOptions(spec: BackgroundAgent, localTools: ToolRegistry | undefined): OmniCoreAgentOptions {
  return {
    name: spec.name,
    ...(spec.system_instruction === null ? {} : { systemInstruction: spec.system_instruction }),
    ...(spec.model_config === null ? {} : { modelConfig: renameKeys(spec.model_config, MODEL_KEYS) as unknown as ModelConfig }),
    agentConfig: renameKeys(spec.agent_config, AGENT_CONFIG_KEYS) as AgentConfig,
    mcpTools: spec.mcp_tools as unknown as McpServerConfig[],
    ...(localTools === undefined ? {} : { localTools }),
  };
}

/** What an agent instance tells about itself, for its registration record (spec 6.4); no credentials. */
export interface DescribableAgent {
  readonly name?: string;
  readonly systemInstruction?: string | undefined;
  readonly modelConfig?: ModelConfig | undefined;
  readonly agentConfig?: object;
  readonly mcpTools?: readonly object[];
}

export function describeAgent(agent: DescribableAgent): Pick<BackgroundAgent, 'system_instruction' | 'model_config' | 'agent_config' | 'mcp_tools'> {
  const model = agent.modelConfig;
  return {
    system_instruction: typeof agent.systemInstruction === 'string' ? agent.systemInstruction : null,
    model_config: model === undefined || model === null ? null : dropSecrets(toSnake(model as unknown as Record<string, unknown>)),
    agent_config: agent.agentConfig === undefined ? {} : toSnake(agent.agentConfig as Record<string, unknown>),
    mcp_tools: Array.isArray(agent.mcpTools) ? agent.mcpTools.map((tool) => redactServer({ ...(tool as Record<string, unknown>) })) : [],
  };
}

/** The agent as the API shows it: API keys, MCP environment values and headers masked. */
export function redactAgent(agent: BackgroundAgent): BackgroundAgent {
  return {
    ...agent,
    model_config: agent.model_config === null ? null : maskSecrets(agent.model_config),
    mcp_tools: agent.mcp_tools.map((tool) => redactServer(tool)),
  };
}

function redactServer(server: Record<string, unknown>): Record<string, unknown> {
  const out = { ...server };
  for (const key of ['env', 'headers']) {
    const value = out[key];
    if (value !== null && typeof value === 'object') out[key] = Object.fromEntries(Object.keys(value).map((name) => [name, '***']));
  }
  return out;
}

function renameKeys(input: Readonly<Record<string, unknown>>, names: Readonly<Record<string, string>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).map(([key, value]) => [names[key] ?? key, value]));
}

function toSnake(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(input)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`), value]),
  );
}

function dropSecrets(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([key]) => !SECRET_KEYS.has(key)));
}

function maskSecrets(input: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).map(([key, value]) => [key, SECRET_KEYS.has(key) && value != null ? '***' : value]));
}
