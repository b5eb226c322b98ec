export { OmniCoreAgent, type OmniCoreAgentOptions, type RunStreamOptions } from './agent/omni-core-agent.ts';
export { ToolRegistry, type LocalToolDefinition, type ToolContext, type JsonSchema } from './agent/tool-registry.ts';
export type { AgentConfig } from './agent/agent-config.ts';
export type { AgentStreamPart } from './agent/stream-run.ts';
export { AgentRunError } from './agent/agent-run-error.ts';
export type {
  ServableAgent,
  AgentRunOptions,
  AgentRunResult,
  AgentMetrics,
  RunMetric,
  ToolDescription,
  McpServerStatus,
} from './agent/servable-agent.ts';
export type { McpServerConfig } from './agent/mcp/mcp-server-config.ts';
export type { ModelConfig } from './llm/model-config.ts';
export { PROVIDERS } from './llm/model-config.ts';
export { OmniServe, type OmniServeExtras } from './app/omni-serve.ts';
export { loadServeConfig, type OmniServeConfig, type OmniServeOptions } from './config/serve-config.ts';
export { ConfigError, OmniError, ERROR_CATALOGUE, type ErrorCode } from './core/errors.ts';
export type { TelemetryEvent } from './telemetry/telemetry-event.ts';
export type { SessionStore, StoredMessage } from './stores/types.ts';
export { MemorySessionStore } from './stores/memory/memory-session-store.ts';
