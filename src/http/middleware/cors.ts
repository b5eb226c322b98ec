import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

export interface CorsOptions {
  /** Allowed origins; `*` allows any. */
  readonly origins: readonly string[];
  /** Allowed methods; `*` allows all of them. */
  readonly methods: readonly string[];
  /** Allowed request headers; `*` allows whatever the preflight asks for. */
  readonly headers: readonly string[];
  readonly credentials: boolean;
}

const ALL_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];
// Always allowed by browsers; Starlette lists them next to the configured headers, and so do we.
const SAFELISTED_HEADERS = ['Accept', 'Accept-Language', 'Content-Language', 'Content-Type'];
// Without this a browser client could not read why it has to wait (Starlette exposes nothing by default).
const EXPOSED_HEADERS = ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'X-Process-Time', 'X-Request-Id'];

/** The @fastify/cors options with Starlette's semantics for the configured lists (spec 7.3). */
export function corsOptionsFor(options: CorsOptions): FastifyCorsOptions {
  const anyOrigin = options.origins.includes('*');
  return {
    // With credentials a browser refuses `*`, so the request's own origin is echoed instead (as Starlette does).
    origin: anyOrigin ? (options.credentials ? true : '*') : [...options.origins],
    methods: options.methods.includes('*') ? ALL_METHODS : options.methods.map((m) => m.toUpperCase()),
    // Left out for `*`: then the plugin allows whatever headers the preflight asks for.
    ...(options.headers.includes('*') ? {} : { allowedHeaders: [...SAFELISTED_HEADERS, ...options.headers] }),
    exposedHeaders: EXPOSED_HEADERS,
    credentials: options.credentials,
    maxAge: 600,
    optionsSuccessStatus: 200,
  };
}

function isPreflight(request: FastifyRequest): boolean {
  return (
    request.method === 'OPTIONS' &&
    request.headers.origin !== undefined &&
    request.headers['access-control-request-method'] !== undefined
  );
}

/**
 * CORS as a plugin whose onRequest hook runs where it is registered. Only a real preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) is answered here, before rate limiting and auth; any other OPTIONS request goes on
 * like every request (the reference answers it from the app, not from CORS).
 */
export function createCors(options: CorsOptions): FastifyPluginAsync {
  const simple = { ...corsOptionsFor(options), preflight: false };
  const preflight = { ...corsOptionsFor(options), preflight: true };
  return fp(async (app) => {
    await app.register(fastifyCors, {
      delegator: (request: FastifyRequest, callback: (error: Error | null, options: FastifyCorsOptions) => void) =>
        callback(null, isPreflight(request) ? preflight : simple),
    });
  });
}
