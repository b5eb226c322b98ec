import type { FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify';
import type { ServeMetrics } from '../metrics/serve-metrics.ts';
import { whenClosed } from './when-closed.ts';

export interface RequestMetricsOptions {
  readonly metrics: Pick<ServeMetrics, 'requestStarted' | 'requestFinished'>;
  /** Route templates whose requests are not counted (`/prometheus`: scrapes would count themselves). */
  readonly uncounted: readonly string[];
  /** Milliseconds on a monotonic clock. */
  readonly now?: () => number;
}

export interface RequestMetrics {
  readonly onRequest: onRequestHookHandler;
  readonly onSend: onSendHookHandler;
}

interface Timing {
  readonly start: number;
  respondedAt?: number;
}

/**
 * Counts every request (spec 8.1) by its route template, never its concrete path. The duration is the time to the
 * start of the response (for a stream, not its whole life); a request is active until its connection is done with
 * it, and one the client abandons before any answer counts as an error.
 */
export function createRequestMetrics(options: RequestMetricsOptions): RequestMetrics {
  const now = options.now ?? (() => performance.now());
  const uncounted = new Set(options.uncounted);
  const timings = new WeakMap<FastifyRequest, Timing>();
  return {
    async onRequest(request, reply) {
      const route = request.is404 ? undefined : request.routeOptions.url;
      if (route !== undefined && uncounted.has(route)) return;
      const timing: Timing = { start: now() };
      timings.set(request, timing);
      options.metrics.requestStarted();
      whenClosed(reply, () => {
        const status = reply.raw.headersSent ? reply.raw.statusCode : 499;
        options.metrics.requestFinished(route, status, ((timing.respondedAt ?? now()) - timing.start) / 1000);
      });
    },
    async onSend(request, _reply, payload) {
      const timing = timings.get(request);
      if (timing !== undefined) timing.respondedAt ??= now();
      return payload;
    },
  };
}
