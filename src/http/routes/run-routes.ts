import type { z } from 'zod';
import { OmniError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { eventRunId, toWireEvent } from '../../telemetry/wire-event.ts';
import { executeRun } from '../handlers/execute-run.ts';
import { jsonRoute, sseRoute } from '../route-definition.ts';
import type { ServeContext } from '../serve-context.ts';
import { RunRequest, RunResponse } from '../wire-schemas.ts';

type RunBody = z.infer<typeof RunRequest>;

function resolveSession(context: ServeContext, body: RunBody): string {
  return body.session_id ? body.session_id : context.agent.newSessionId();
}

export const runSyncRoute = jsonRoute<RunBody>({
  kind: 'json',
  method: 'POST',
  path: '/run/sync',
  summary: 'Run the agent and wait for its answer',
  tags: ['runs'],
  body: RunRequest,
  response: RunResponse,
  errors: ['VALIDATION_FAILED', 'RUN_FAILED', 'RUN_TIMEOUT', 'SERVER_BUSY'],
  startsRun: true,
  async handle({ body, signal }, context) {
    const sessionId = resolveSession(context, body);
    const runId = newId('run');
    const result = await executeRun(context, { query: body.query, sessionId, runId, clientSignal: signal });
    return context.agent.toRunResponse(result, sessionId, runId);
  },
});

export const runStreamRoute = sseRoute<RunBody>({
  kind: 'sse',
  method: 'POST',
  path: '/run',
  summary: 'Run the agent and stream its events (SSE)',
  tags: ['runs'],
  body: RunRequest,
  errors: ['VALIDATION_FAILED', 'SERVER_BUSY'],
  startsRun: true,
  async stream({ body, signal }, context, sse) {
    const sessionId = resolveSession(context, body);
    const runId = newId('run');
    sse.send('session', { session_id: sessionId, status: 'started' });
    try {
      const result = await executeRun(context, {
        query: body.query,
        sessionId,
        runId,
        clientSignal: signal,
        onEvent: (event) => {
          if (eventRunId(event) !== runId) return; // an agent may report other runs' events: not this stream's
          sse.send(event.event_type, toWireEvent(event, sessionId), event.stream_cursor ?? event.event_id);
        },
      });
      sse.send('complete', { ...context.agent.toRunResponse(result, sessionId, runId), session_id: sessionId });
    } catch (error) {
      const message =
        error instanceof OmniError && error.code === 'RUN_TIMEOUT'
          ? 'Request timed out'
          : error instanceof Error
            ? error.message
            : String(error);
      sse.send('error', { error: message, session_id: sessionId, run_id: runId });
    } finally {
      sse.send('session', { session_id: sessionId, status: 'ended' });
    }
  },
});
