import type { FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify';
import { pathOf } from './public-paths.ts';
import { whenClosed } from './when-closed.ts';

export interface RequestLoggingOptions {
  /** Milliseconds on a monotonic clock; tests may pass their own. */
  readonly now?: () => number;
}

export interface RequestLogging {
  readonly onRequest: onRequestHookHandler;
  readonly onSend: onSendHookHandler;
}

/**
 * Request logging (spec 7.4): one structured line per request through the request's pino logger (so it carries
 * `request_id`, taken from a valid `X-Request-Id` or generated), with method, path (query string left out: it may
 * hold secrets), route template, status, duration and client; and `X-Process-Time` (seconds, 3 decimals) and
 * `X-Request-Id` on every response that passed through it.
 */
export function createRequestLogging(options: RequestLoggingOptions = {}): RequestLogging {
  const now = options.now ?? (() => performance.now());
  const started = new WeakMap<FastifyRequest, number>();
  return {
    async onRequest(request, reply) {
      const start = now();
      started.set(request, start);
      whenClosed(reply, () => {
        // `writableEnded`: the whole response was handed over (`writableFinished` is never set under inject()).
        const finished = reply.raw.writableEnded;
        request.log.info(
          {
            method: request.method,
            path: pathOf(request.url),
            route: request.is404 ? null : (request.routeOptions.url ?? null),
            status: reply.raw.headersSent ? reply.raw.statusCode : null,
            duration_ms: Math.round((now() - start) * 1000) / 1000,
            client: request.ip,
            ...(finished ? {} : { aborted: true }),
          },
          finished ? 'request completed' : 'request aborted by the client',
        );
      });
    },
    async onSend(request, reply, payload) {
      const start = started.get(request);
      if (start !== undefined) {
        reply.header('x-process-time', ((now() - start) / 1000).toFixed(3));
        reply.header('x-request-id', request.id);
      }
      return payload;
    },
  };
}
