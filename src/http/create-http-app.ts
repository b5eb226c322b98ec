import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { z } from 'zod';
import { OmniError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { registerApiDocs, routeDocs } from './api-docs.ts';
import { handleError } from './error-handler.ts';
import type { RouteDefinition, RouteInput } from './route-definition.ts';
import type { ServeContext } from './serve-context.ts';
import { SSE_HEADERS, SseStream } from './sse/sse-stream.ts';
import { toValidationDetails } from './validation-detail.ts';

export interface HttpAppOptions {
  readonly context: ServeContext;
  readonly routes: readonly RouteDefinition[];
  /** A pino logger (or `false`); request logs are structured JSON with a request id. */
  readonly logger: FastifyBaseLogger | false;
}

const LOG_LEVELS: Record<string, string> = {
  CRITICAL: 'fatal', ERROR: 'error', WARNING: 'warn', INFO: 'info', DEBUG: 'debug', TRACE: 'trace',
};

export function pinoLevel(level: string): string {
  return LOG_LEVELS[level] ?? 'info';
}

/** Builds the Fastify app: routes from the route table, one validator (zod), one error handler. */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const { context } = options;
  const { config } = context;
  const app = Fastify({
    ...(options.logger === false ? { logger: false } : { loggerInstance: options.logger }),
    logController: new LogController({ disableRequestLogging: !config.requestLogging, requestIdLogLabel: 'request_id' }),
    bodyLimit: config.bodyLimitBytes,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : newId('req');
    },
    return503OnClosing: true,
    forceCloseConnections: false,
    routerOptions: { ignoreDuplicateSlashes: false, ignoreTrailingSlash: false, caseSensitive: true },
  });

  // Requests are validated by the routes' zod schemas; Fastify gets the JSON Schemas only to document them.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(async (_request, reply) => reply.status(404).send({ detail: 'Not Found' }));

  if (config.requestLogging) {
    app.addHook('onSend', async (request, reply) => {
      reply.header('x-process-time', (reply.elapsedTime / 1000).toFixed(3));
      reply.header('x-request-id', request.id);
    });
  }

  // Plugins load in order: the docs plugin must see every route, so the routes go in a plugin registered after it.
  app.register(fp(async (root) => registerApiDocs(root, context)));
  app.register(async (api) => {
    for (const route of options.routes) {
      api.route({
        method: route.method,
        url: (route.prefixed === false ? '' : config.apiPrefix) + route.path,
        schema: routeDocs(route),
        handler: async (request, reply) => dispatch(route, request, reply, context),
      });
    }
  });
  return app;
}

async function dispatch(route: RouteDefinition, request: FastifyRequest, reply: FastifyReply, context: ServeContext) {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client disconnected'));
  });
  const input: RouteInput = {
    params: parsePart('path', route.params, request.params),
    query: parsePart('query', route.query, request.query),
    body: parsePart('body', route.body, request.body),
    headers: request.headers,
    signal: controller.signal,
  };
  // Validation comes first: a bad body is a 422 and never waits for, or takes, a run slot.
  const release = route.startsRun ? await context.admission.acquire(controller.signal) : () => undefined;
  if (route.kind === 'json') {
    try {
      return reply.send(await route.handle(input, context));
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
  const handle = { close: (reason: string) => sse.comment(reason) };
  context.openStreams.add(handle);
  void route
    .stream(input, context, sse)
    .catch((error: unknown) => {
      request.log.error({ err: error }, 'stream failed');
      sse.send('error', { error: error instanceof Error ? error.message : String(error) });
    })
    .finally(() => {
      release();
      context.openStreams.delete(handle);
      sse.end();
    });
  return reply.headers(SSE_HEADERS).send(sse.body);
}

function parsePart<T>(part: 'body' | 'query' | 'path', schema: z.ZodType<T> | undefined, value: unknown): T {
  if (schema === undefined) return undefined as T;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new OmniError('VALIDATION_FAILED', 'Request validation failed', {
    detail: toValidationDetails(part, value, parsed.error.issues),
  });
}

