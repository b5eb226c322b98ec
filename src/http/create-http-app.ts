import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { z } from 'zod';
import { OmniError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { registerApiDocs, routeDocs } from './api-docs.ts';
import { answerClientError, handleError } from './error-handler.ts';
import { PROMETHEUS_CONTENT_TYPE } from './metrics/serve-metrics.ts';
import { createBearerAuth } from './middleware/bearer-auth.ts';
import { createCors } from './middleware/cors.ts';
import { createPublicPaths } from './middleware/public-paths.ts';
import { createRateLimit } from './middleware/rate-limit.ts';
import { createRequestLogging } from './middleware/request-logging.ts';
import { createRequestMetrics } from './middleware/request-metrics.ts';
import { createRequestTimeout, type RequestTimeout } from './middleware/request-timeout.ts';
import type { RouteDefinition, RouteInput } from './route-definition.ts';
import type { ServeContext } from './serve-context.ts';
import { SSE_HEADERS, SseStream } from './sse/sse-stream.ts';
import { toValidationDetails } from './validation-detail.ts';

export interface HttpAppOptions {
  readonly context: ServeContext;
  readonly routes: readonly RouteDefinition[];
  /** A pino logger (or `false`); request logs are structured JSON with a request id. */
  readonly logger: FastifyBaseLogger | false;
  /**
   * Milliseconds Fastify lets plugins and `onReady` hooks run before failing with its own timeout error (its
   * `pluginTimeout`, 10 s unless given). Start-up checks with longer timeouts of their own need more, or their
   * message is never seen.
   */
  readonly startupTimeoutMs?: number;
}

const LOG_LEVELS: Record<string, string> = {
  CRITICAL: 'fatal', ERROR: 'error', WARNING: 'warn', INFO: 'info', DEBUG: 'debug', TRACE: 'trace',
};

const PROMETHEUS_PATH = '/prometheus';

// A random process prefix and a counter: unique across processes, and no random bytes drawn per request.
const REQUEST_ID_PREFIX = `${newId('req')}_`;
let requestCount = 0;
function nextRequestId(): string {
  requestCount += 1;
  return REQUEST_ID_PREFIX + requestCount.toString(36);
}

export function pinoLevel(level: string): string {
  return LOG_LEVELS[level] ?? 'info';
}

/** Builds the Fastify app: middleware, routes from the route table, one validator (zod), one error handler. */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const { context } = options;
  const { config } = context;
  const app = Fastify({
    ...(options.logger === false ? { logger: false } : { loggerInstance: options.logger }),
    // Fastify's own two lines per request are replaced by the request-logging middleware's one.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    bodyLimit: config.bodyLimitBytes,
    ...(options.startupTimeoutMs === undefined ? {} : { pluginTimeout: options.startupTimeoutMs }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : nextRequestId();
    },
    return503OnClosing: true,
    // Router-level failures (a bad URL encoding, a parameter past maxParamLength) go through the error catalogue too.
    frameworkErrors: (error, request, reply) => {
      void handleError(error, request, reply);
    },
    // Requests Node cannot even parse (a malformed request line, a bad Content-Length) get the catalogue's body.
    clientErrorHandler: answerClientError,
    forceCloseConnections: false,
    // Exact paths only: the public-path check relies on the router never resolving a variant spelling.
    // maxParamLength: long enough for any id the schemas accept, so a too-long id gets the schema's 422.
    routerOptions: { ignoreDuplicateSlashes: false, ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 1024 },
  });

  // Requests are validated by the routes' zod schemas; Fastify gets the JSON Schemas only to document them.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(async () => {
    throw new OmniError('ROUTE_NOT_FOUND', 'Not Found');
  });

  const timeout = registerMiddleware(app, context);

  // Plugins load in order: the docs plugin must see every route, so the routes go in a plugin registered after it.
  app.register(fp(async (root) => registerApiDocs(root, context)));
  app.register(async (api) => {
    api.get(
      PROMETHEUS_PATH,
      {
        schema: {
          summary: 'Prometheus metrics of this server (text exposition format)',
          tags: ['metrics'],
          response: { 200: { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await context.metrics.render()),
    );
    for (const route of options.routes) {
      api.route({
        method: route.method,
        url: (route.prefixed === false ? '' : config.apiPrefix) + route.path,
        schema: routeDocs(route),
        // Before the body is even parsed: a switched-off feature answers every request the same way.
        ...(route.available === undefined ? {} : { onRequest: async () => route.available!(context) }),
        handler: async (request, reply) => dispatch(route, request, reply, context, timeout),
      });
    }
  });
  return app;
}

/**
 * The middleware of spec 7, outermost first: metrics -> CORS -> request logging -> rate limit -> auth -> timeout
 * -> error handler -> routes. Fastify runs onRequest hooks in the order they are added (plugins' hooks included,
 * since `addHook` and `register` queue in call order), after routing and before the body is read. A hook that
 * answers (a CORS preflight, a 429, a 401) skips every later hook and the route, while what the earlier hooks
 * set up (metrics' and logging's close listeners, the CORS and rate-limit headers) still applies to that answer.
 * So preflights never reach the rate limiter or auth, requests that will fail auth still count against the rate
 * limit, and every 401/429/504 is counted and logged. Errors thrown by any hook or route go to the one error
 * handler (`setErrorHandler`), which is innermost by construction. Returns the timeout, which run routes disarm.
 */
function registerMiddleware(app: FastifyInstance, context: ServeContext): RequestTimeout | null {
  const { config } = context;
  const metrics = createRequestMetrics({ metrics: context.metrics, uncounted: [PROMETHEUS_PATH] });
  app.addHook('onRequest', metrics.onRequest);
  app.addHook('onSend', metrics.onSend);

  if (config.corsEnabled) {
    app.register(
      createCors({
        origins: config.corsOrigins,
        methods: config.corsMethods,
        headers: config.corsHeaders,
        credentials: config.corsCredentials,
      }),
    );
  }

  if (config.requestLogging) {
    const logging = createRequestLogging();
    app.addHook('onRequest', logging.onRequest);
    app.addHook('onSend', logging.onSend);
  }

  const publicPaths = createPublicPaths({
    apiPrefix: config.apiPrefix,
    publicPaths: config.publicPaths,
    enableDocs: config.enableDocs,
    enableRedoc: config.enableRedoc,
  });
  if (config.rateLimitEnabled) {
    app.addHook(
      'onRequest',
      createRateLimit({
        requests: config.rateLimitRequests,
        windowSeconds: config.rateLimitWindow,
        trustedProxies: config.trustedProxies,
        isExempt: publicPaths.isExempt,
      }),
    );
  }

  if (config.authEnabled) {
    if (config.authToken === null || config.authToken.trim() === '') {
      throw new TypeError('OMNICOREAGENT_SERVE_AUTH_TOKEN is required when OMNICOREAGENT_SERVE_AUTH_ENABLED=true');
    }
    app.addHook('onRequest', createBearerAuth({ token: config.authToken, isPublic: publicPaths.isPublic }));
  }

  if (config.requestTimeout <= 0) return null;
  const timeout = createRequestTimeout({ timeoutSeconds: config.requestTimeout });
  app.addHook('onRequest', timeout.onRequest);
  app.addHook('onSend', timeout.onSend);
  return timeout;
}

async function dispatch(
  route: RouteDefinition,
  request: FastifyRequest,
  reply: FastifyReply,
  context: ServeContext,
  timeout: RequestTimeout | null,
) {
  // Past the request timeout the middleware has answered 504 already: the work is told to stop, nothing else is sent.
  const timedOut = () => timeout?.timedOut(request) === true;
  let signal: AbortSignal | undefined;
  const input: RouteInput = {
    params: parsePart('path', route.params, request.params),
    query: parsePart('query', route.query, request.query),
    body: parsePart('body', route.body, request.body),
    headers: request.headers,
    // Built on first use: most routes never read it, and abort signals are costly on a hot path.
    get signal() {
      signal ??= requestSignal(reply, timeout?.signal(request));
      return signal;
    },
  };
  // Validation comes first: a bad body is a 422 and never waits for, or takes, a run slot.
  let release: () => void = () => {};
  if (route.startsRun) {
    try {
      release = await context.admission.acquire(input.signal);
    } catch (error) {
      if (timedOut()) return reply;
      throw error;
    }
    // From here the run's own timeout applies: it also aborts the model call, and answers 504 itself.
    timeout?.disarm(request);
  }
  if (route.kind === 'json') {
    try {
      const result = await route.handle(input, context);
      return timedOut() ? reply : reply.send(result);
    } catch (error) {
      if (timedOut()) return reply;
      throw error;
    } finally {
      release();
    }
  }
  let sse: SseStream;
  try {
    await route.prepare?.(input, context);
    sse = new SseStream({ heartbeatMs: context.config.sseHeartbeatSeconds * 1000 });
  } catch (error) {
    release();
    throw error;
  }
  // Each SSE route registers its own shutdown ending (endOnShutdown), which knows the stream's terminal frames.
  void route
    .stream(input, context, sse)
    .catch((error: unknown) => {
      request.log.error({ err: error }, 'stream failed');
      sse.send('error', { error: error instanceof Error ? error.message : String(error) });
    })
    .finally(() => {
      release();
      sse.end();
    });
  return reply.headers(SSE_HEADERS).send(sse.body);
}

/** Aborted when the client goes away before the answer is complete, or when the request's deadline passes. */
function requestSignal(reply: FastifyReply, deadline: AbortSignal | undefined): AbortSignal {
  const controller = new AbortController();
  const gone = () => !reply.raw.writableFinished && (reply.raw.destroyed || reply.raw.closed);
  if (gone()) controller.abort(new Error('client disconnected'));
  else {
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) controller.abort(new Error('client disconnected'));
    });
  }
  return deadline === undefined ? controller.signal : AbortSignal.any([controller.signal, deadline]);
}

function parsePart<T>(part: 'body' | 'query' | 'path', schema: z.ZodType<T> | undefined, value: unknown): T {
  if (schema === undefined) return undefined as T;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new OmniError('VALIDATION_FAILED', 'Request validation failed', {
    detail: toValidationDetails(part, value, parsed.error.issues),
  });
}
