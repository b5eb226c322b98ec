import type { z } from 'zod';
import { OmniError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { FollowOverflowError, followSessionEvents } from '../../telemetry/follow-session-events.ts';
import type { RunTelemetry } from '../../telemetry/run-telemetry.ts';
import {
  SERVE_EVENT_TYPES,
  traceStatusOfRun,
  type ServeRequestOutcome,
  type ServeRequestTelemetry,
} from '../../telemetry/serve-request-telemetry.ts';
import { toWireEvent } from '../../telemetry/wire-event.ts';
import { executeRun } from '../handlers/execute-run.ts';
import { jsonRoute, sseRoute } from '../route-definition.ts';
import { endOnShutdown } from './event-routes.ts';
import type { RunResponseBody } from '../served-agent.ts';
import type { ServeContext } from '../serve-context.ts';
import type { SseStream } from '../sse/sse-stream.ts';
import { RunRequest, RunResponse } from '../wire-schemas.ts';

type RunBody = z.infer<typeof RunRequest>;

function resolveSession(context: ServeContext, body: RunBody): string {
  return body.session_id ? body.session_id : context.agent.newSessionId();
}

/** The serve layer's request trace and the run's own telemetry, for one run. */
interface ObservedRun {
  readonly request: ServeRequestTelemetry;
  readonly run: RunTelemetry;
}

function observe(context: ServeContext, path: string, body: RunBody, sessionId: string, runId: string, streaming: boolean): ObservedRun {
  const request = context.telemetry.startServeRequest({
    sessionId,
    runId,
    method: 'POST',
    path: context.config.apiPrefix + path,
    queryLength: body.query.length,
    streaming,
    agentName: context.agent.name,
  });
  return { request, run: context.telemetry.watchRun({ sessionId, runId }) };
}

/** Closes both traces with the outcome; resolves true once the request's end event is stored (bounded wait). */
async function close(observed: ObservedRun, outcome: ServeRequestOutcome): Promise<boolean> {
  const agentTraceId = observed.run.traceIds[0] ?? outcome.agentTraceId ?? null;
  const [, stored] = await Promise.all([observed.run.finish(outcome.status), observed.request.finish({ ...outcome, agentTraceId })]);
  return stored;
}

/**
 * Spec 5.4 / 13.7: a timeout, a cancelled run (`cancelledBy` says why: the client left, the server shut down), or a
 * failed one; never "completed".
 */
function failureOutcome(error: unknown, cancelledBy: string | null): ServeRequestOutcome {
  if (error instanceof OmniError && error.code === 'RUN_TIMEOUT') return { status: 'timeout', error: { type: 'TimeoutError', message: error.message } };
  if (cancelledBy !== null) return { status: 'cancelled', error: { type: 'CancelledError', message: cancelledBy } };
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const type = cause instanceof Error ? cause.name : 'Error';
  return { status: 'failed', error: { type, message: error instanceof Error ? error.message : String(error) } };
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
    const observed = observe(context, '/run/sync', body, sessionId, runId, false);
    let result: unknown;
    try {
      result = await executeRun(context, { query: body.query, sessionId, runId, clientSignal: signal, onEvent: observed.run.onEvent });
    } catch (error) {
      await close(observed, failureOutcome(error, signal.aborted ? 'Client disconnected' : null));
      throw error;
    }
    const response = context.agent.toRunResponse(result, sessionId, runId);
    await close(observed, { status: traceStatusOfRun(response.status), agentTraceId: response.trace_id });
    return response;
  },
});

/**
 * Forwards the run's stored events to the `/run` stream as they are stored, each with its stream cursor as `id:`,
 * so a client that loses this connection resumes through `/events/{session_id}?run_id=` with Last-Event-ID.
 * The serve layer's own events are left out here (they are on `/events`). A client too slow for the live
 * events gets an `error` frame and the end of the stream, and can resume the same way; the run goes on. If the
 * store fails, an `error` frame says so and the stream goes on to the run's result.
 */
async function forwardRunEvents(
  context: ServeContext,
  sse: SseStream,
  ids: { readonly sessionId: string; readonly runId: string },
  afterCursor: number,
  signal: AbortSignal,
): Promise<'done' | 'failed'> {
  try {
    const events = followSessionEvents({ store: context.telemetry.store, feed: context.telemetry.feed, ...ids, afterCursor, signal });
    for await (const event of events) {
      if (SERVE_EVENT_TYPES.includes(event.event_type)) continue;
      sse.send(event.event_type, toWireEvent(event, ids.sessionId), event.stream_cursor);
      await sse.drained();
    }
    return 'done';
  } catch (error) {
    sse.send('error', { error: error instanceof Error ? error.message : String(error), session_id: ids.sessionId, run_id: ids.runId });
    // A store failure leaves the stream going (the run's result still comes); an overflow ends it.
    if (!(error instanceof FollowOverflowError)) return 'done';
    sse.send('session', { session_id: ids.sessionId, status: 'ended' });
    sse.end();
    return 'failed';
  }
}

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
    // A stream still open when the shutdown grace period is over ends with its terminal frames; its run is cancelled.
    const shutdown = new AbortController();
    const unregister = endOnShutdown(context, sse, { session_id: sessionId, run_id: runId }, { session_id: sessionId, status: 'ended' }, (reason) =>
      shutdown.abort(reason),
    );
    try {
      await streamRun(context, sse, body, { client: signal, shutdown: shutdown.signal }, sessionId, runId);
    } finally {
      unregister();
    }
  },
});

/** The body of `POST /run` after its `session` started frame: the run, its events, and the closing frames. */
async function streamRun(
  context: ServeContext,
  sse: SseStream,
  body: RunBody,
  signals: { readonly client: AbortSignal; readonly shutdown: AbortSignal },
  sessionId: string,
  runId: string,
): Promise<void> {
  const signal = AbortSignal.any([signals.client, signals.shutdown]);
  // The position before the run starts: the forwarder replays from here, so no event of the run can be missed.
  const position = await context.telemetry.latestCursor(sessionId);
  const stopForwarding = new AbortController();
  const forwarding = forwardRunEvents(context, sse, { sessionId, runId }, position, AbortSignal.any([signal, stopForwarding.signal]));
  const observed = observe(context, '/run', body, sessionId, runId, true);
  let response: RunResponseBody | null = null;
  let failure: unknown = null;
  let stored: boolean;
  try {
    const result = await executeRun(context, { query: body.query, sessionId, runId, clientSignal: signal, onEvent: observed.run.onEvent });
    response = context.agent.toRunResponse(result, sessionId, runId);
    stored = await close(observed, { status: traceStatusOfRun(response.status), agentTraceId: response.trace_id });
  } catch (error) {
    failure = error;
    const cancelledBy = signals.client.aborted ? 'SSE stream closed' : signals.shutdown.aborted ? String(signals.shutdown.reason) : null;
    stored = await close(observed, failureOutcome(error, cancelledBy));
  }
  // The forwarder ends at the request's end event; if the store could not take it, stop waiting for it.
  if (!stored) stopForwarding.abort();
  if ((await forwarding) === 'failed') return;
  try {
    if (response !== null) {
      sse.send('complete', { ...response, session_id: sessionId });
    } else {
      const message =
        failure instanceof OmniError && failure.code === 'RUN_TIMEOUT'
          ? 'Request timed out'
          : failure instanceof Error
            ? failure.message
            : String(failure);
      sse.send('error', { error: message, session_id: sessionId, run_id: runId });
    }
  } finally {
    sse.send('session', { session_id: sessionId, status: 'ended' });
  }
}
