import type { z } from 'zod';
import { followSessionEvents } from '../../telemetry/follow-session-events.ts';
import { findLatestSessionTrace, findRunTrace, loadTraceEvents, onlyRun, TRACE_EVENT_LIMIT } from '../../telemetry/trace-inspection.ts';
import { toWireEvent } from '../../telemetry/wire-event.ts';
import { jsonRoute, sseRoute } from '../route-definition.ts';
import type { ServeContext } from '../serve-context.ts';
import type { SseStream } from '../sse/sse-stream.ts';
import { EventListQuery, EventStreamQuery, SessionEventsResponse, SessionTraceQuery, SessionTraceResponse } from '../telemetry-schemas.ts';
import { SessionParams } from '../wire-schemas.ts';

type Params = z.infer<typeof SessionParams>;

export interface SessionStreamOptions {
  readonly sessionId: string;
  readonly runId: string | null;
  readonly afterCursor: number;
  /** The client went away. */
  readonly signal: AbortSignal;
}

/**
 * The replay-then-follow stream of spec 4.2: `session` streaming, stored events after the client's cursor, live
 * events, `session` ended. Every event frame's `id:` is its stream cursor. A stream for one run ends after that
 * run's end event; a stream of the whole session follows until the client leaves or the server drains.
 * Heartbeat comments (`sseHeartbeatSeconds`) keep idle streams open through proxies.
 */
export async function streamSessionEvents(context: ServeContext, sse: SseStream, options: SessionStreamOptions): Promise<void> {
  const { sessionId, runId } = options;
  const ended = { session_id: sessionId, run_id: runId, status: 'ended' };
  sse.send('session', { session_id: sessionId, run_id: runId, status: 'streaming' });
  const closed = new AbortController();
  const close = () => closed.abort();
  const unregister = endOnShutdown(context, sse, { session_id: sessionId, run_id: runId }, ended, close);
  // A stream of one run follows it to its end, through a drain; a stream of the whole session ends when draining starts.
  const { draining } = context.telemetry;
  if (runId === null) {
    if (draining.aborted) close();
    else draining.addEventListener('abort', close, { once: true });
  }
  const stop = AbortSignal.any([options.signal, closed.signal]);
  try {
    const events = followSessionEvents({
      store: context.telemetry.store,
      feed: context.telemetry.feed,
      sessionId,
      runId,
      afterCursor: options.afterCursor,
      signal: stop,
    });
    for await (const event of events) {
      sse.send(event.event_type, toWireEvent(event, sessionId), event.stream_cursor);
      await sse.drained();
    }
  } catch (error) {
    // A store that failed, or a client more than the buffer behind (FollowOverflowError): it can resume from its last id.
    sse.send('error', { error: error instanceof Error ? error.message : String(error), session_id: sessionId, run_id: runId });
  } finally {
    unregister();
    draining.removeEventListener('abort', close);
  }
  sse.send('session', ended);
}

/**
 * Registers the stream with the server's open streams: if it is still open when the shutdown grace period is over,
 * it gets an `error` frame with the reason, then its `session` ended frame, and ends (`onClose` runs first, so a
 * route can stop its work). Returns the function that unregisters it.
 */
export function endOnShutdown(
  context: ServeContext,
  sse: SseStream,
  ids: { readonly session_id: string; readonly run_id: string | null },
  ended: object,
  onClose: (reason: string) => void = () => undefined,
): () => void {
  const handle = {
    close: (reason: string) => {
      onClose(reason);
      sse.send('error', { error: reason, ...ids });
      sse.send('session', ended);
      sse.end();
    },
  };
  context.openStreams.add(handle);
  return () => context.openStreams.delete(handle);
}

/**
 * Where a reconnecting client resumes: after the `cursor` query value or the `Last-Event-ID` header, whichever is
 * further (a browser's EventSource resends the original URL with a newer Last-Event-ID). Anything that is not a
 * cursor (say, an event id) is ignored, which replays the whole retained stream.
 */
export function resumeCursor(cursor: number | undefined, lastEventId: string | string[] | undefined): number {
  const header = typeof lastEventId === 'string' && /^\d+$/.test(lastEventId.trim()) ? Number(lastEventId.trim()) : 0;
  return Math.max(cursor ?? 0, Number.isSafeInteger(header) ? header : 0);
}

export const sessionEventStreamRoute = sseRoute<undefined, z.infer<typeof EventStreamQuery>, Params>({
  kind: 'sse',
  method: 'GET',
  path: '/events/:session_id',
  summary: "Replay a session's events after a cursor (or Last-Event-ID), then follow them live (SSE)",
  tags: ['events'],
  params: SessionParams,
  query: EventStreamQuery,
  errors: ['VALIDATION_FAILED'],
  async stream({ params, query, headers, signal }, context, sse) {
    await streamSessionEvents(context, sse, {
      sessionId: params.session_id,
      runId: query.run_id ?? null,
      afterCursor: resumeCursor(query.cursor, headers['last-event-id']),
      signal,
    });
  },
});

export const sessionEventListRoute = jsonRoute<undefined, z.infer<typeof EventListQuery>, Params>({
  kind: 'json',
  method: 'GET',
  path: '/events/:session_id/list',
  summary: "A session's stored events, oldest first (text_delta included)",
  tags: ['events'],
  params: SessionParams,
  query: EventListQuery,
  response: SessionEventsResponse,
  errors: ['VALIDATION_FAILED'],
  async handle({ params, query }, { telemetry }) {
    const stored = await telemetry.store.readEvents({
      sessionId: params.session_id,
      ...(query.run_id === undefined ? {} : { runId: query.run_id }),
      ...(query.cursor === undefined ? {} : { afterCursor: query.cursor }),
      limit: TRACE_EVENT_LIMIT,
    });
    const events = onlyRun(stored, query.run_id);
    return { session_id: params.session_id, events, count: events.length };
  },
});

export const sessionTraceRoute = jsonRoute<undefined, z.infer<typeof SessionTraceQuery>, Params>({
  kind: 'json',
  method: 'GET',
  path: '/events/:session_id/trace',
  summary: "The session's latest trace (or the given run's), as a summary and its steps",
  tags: ['events'],
  params: SessionParams,
  query: SessionTraceQuery,
  response: SessionTraceResponse,
  errors: ['VALIDATION_FAILED'],
  async handle({ params, query }, { telemetry }) {
    const sessionId = params.session_id;
    const found =
      query.run_id === undefined ? await findLatestSessionTrace(telemetry.store, sessionId) : await findRunTrace(telemetry.store, query.run_id);
    // A trace of another session is not this session's, whatever the lookup returned.
    const trace = found !== null && found.session_id === sessionId ? found : null;
    const steps = trace === null ? [] : await loadTraceEvents(telemetry.store, trace);
    return {
      session_id: sessionId,
      summary: {
        trace_id: trace?.trace_id ?? null,
        run_id: trace?.run_id ?? null,
        status: trace?.status ?? null,
        event_count: steps.length,
        span_count: trace?.spans.length ?? 0,
      },
      steps,
    };
  },
});
