import { PACKAGE_VERSION } from '../../core/version.ts';
import { jsonRoute } from '../route-definition.ts';
import { HealthResponse, MetricsResponse, ReadinessResponse, ToolsResponse } from '../wire-schemas.ts';

export const healthRoute = jsonRoute({
  kind: 'json',
  method: 'GET',
  path: '/health',
  summary: 'Liveness: the process answers',
  tags: ['health'],
  response: HealthResponse,
  errors: [],
  async handle(_input, { agent, state }) {
    return {
      status: 'healthy',
      agent_name: agent.name,
      uptime: (performance.now() - state.startedAt) / 1000,
      version: PACKAGE_VERSION,
    };
  },
});

export const readyRoute = jsonRoute({
  kind: 'json',
  method: 'GET',
  path: '/ready',
  summary: 'Readiness: start-up finished, agent initialised, every MCP server connected (always 200; read `ready`)',
  tags: ['health'],
  response: ReadinessResponse,
  errors: [],
  async handle(_input, { agent, state }) {
    const servers = agent.mcpServers();
    const mcpConnected = Object.values(servers).every((s) => s.status === 'connected');
    const initialized = agent.initialized;
    return {
      ready: state.startupComplete && !state.draining && initialized && mcpConnected,
      agent_name: agent.name,
      initialized,
      mcp_connected: mcpConnected,
      ...(Object.keys(servers).length > 0 ? { mcp_servers: servers } : {}),
      ...(state.draining ? { draining: true } : {}),
    };
  },
});

export const toolsRoute = jsonRoute({
  kind: 'json',
  method: 'GET',
  path: '/tools',
  summary: 'The tools the agent can call (local and MCP)',
  tags: ['agent'],
  response: ToolsResponse,
  errors: [],
  async handle(_input, { agent }) {
    const tools = await agent.tools();
    return { tools, total: tools.length };
  },
});

export const metricsRoute = jsonRoute({
  kind: 'json',
  method: 'GET',
  path: '/metrics',
  summary: "The agent's token and time totals",
  tags: ['agent'],
  response: MetricsResponse,
  errors: [],
  async handle(_input, { agent }) {
    return agent.metrics();
  },
});
