import { z } from 'zod';
import { MAX_SESSION_ID_LENGTH } from '../core/id-limits.ts';

/** Request and response schemas of the run and info endpoints; the OpenAPI document is generated from these. */

export const RunRequest = z
  .object({
    query: z.string().describe('The message for the agent.'),
    session_id: z
      .string()
      .max(MAX_SESSION_ID_LENGTH)
      .nullish()
      .describe('Continue this conversation; a new session is created when absent.'),
  })
  .describe('RunRequest');

export const RunResponse = z
  .object({
    response: z.string().nullable(),
    session_id: z.string(),
    agent_name: z.string(),
    metric: z.record(z.string(), z.unknown()).nullable(),
    trace_id: z.string().nullable(),
    run_id: z.string().nullable(),
    status: z.string().optional(),
    termination_reason: z.string().nullable().optional(),
  })
  .describe('RunResponse');

export const HealthResponse = z.object({
  status: z.literal('healthy'),
  agent_name: z.string(),
  uptime: z.number().describe('Seconds since the server started.'),
  version: z.string(),
});

export const McpServerState = z.object({
  status: z.enum(['connected', 'disconnected', 'failed', 'not_connected']),
  error: z.string().nullable().optional(),
});

export const ReadinessResponse = z.object({
  ready: z.boolean(),
  agent_name: z.string(),
  initialized: z.boolean(),
  mcp_connected: z.boolean(),
  mcp_servers: z.record(z.string(), McpServerState).optional(),
  draining: z.boolean().optional().describe('True once shutdown has begun.'),
});

export const ToolsResponse = z.object({
  tools: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      inputSchema: z.record(z.string(), z.unknown()),
      type: z.string(),
    }),
  ),
  total: z.number().int(),
});

export const MetricsResponse = z.object({
  total_requests: z.number().int(),
  total_request_tokens: z.number().int(),
  total_response_tokens: z.number().int(),
  total_tokens: z.number().int(),
  total_time: z.number(),
  average_time: z.number(),
});

export const SessionParams = z.object({ session_id: z.string().min(1).max(MAX_SESSION_ID_LENGTH) });

export const SessionHistoryResponse = z.object({
  session_id: z.string(),
  messages: z.array(z.unknown()),
  count: z.number().int(),
});

export const SessionClearedResponse = z.object({ status: z.literal('cleared'), session_id: z.string() });
