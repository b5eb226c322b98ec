import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ERROR_CATALOGUE, type ErrorCode } from '../core/errors.ts';
import { PACKAGE_VERSION } from '../core/version.ts';
import type { RouteDefinition } from './route-definition.ts';
import type { ServeContext } from './serve-context.ts';

const require = createRequire(import.meta.url);

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json['$schema'];
  return json;
}

const DETAIL_BODY = { type: 'object', properties: { detail: {} }, required: ['detail'] };
const ENVELOPE_BODY = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
  additionalProperties: true,
};
const VALIDATION_BODY = {
  type: 'object',
  properties: {
    detail: {
      type: 'array',
      items: {
        type: 'object',
        properties: { type: { type: 'string' }, loc: { type: 'array', items: {} }, msg: { type: 'string' }, input: {} },
        required: ['type', 'loc', 'msg'],
      },
    },
  },
  required: ['detail'],
};

type ResponseDocs = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

function errorBody(code: ErrorCode): Record<string, unknown> {
  if (code === 'VALIDATION_FAILED') return VALIDATION_BODY;
  return ERROR_CATALOGUE[code].shape === 'detail' ? DETAIL_BODY : ENVELOPE_BODY;
}

/**
 * Documents `code` under its status. Two errors sharing a status (a run's own 500 and an unexpected one) are both
 * described, and their bodies documented as `anyOf` when they differ.
 */
function withError(response: ResponseDocs, code: ErrorCode): ResponseDocs {
  const spec = ERROR_CATALOGUE[code];
  const key = String(spec.status);
  const body = errorBody(code);
  const previous = response[key];
  if (previous === undefined) return { ...response, [key]: { description: spec.description, ...body } };
  const { description, ...previousBody } = previous;
  if (typeof description === 'string' && description.includes(spec.description)) return response;
  const bodies = Array.isArray(previousBody['anyOf']) && Object.keys(previousBody).length === 1 ? (previousBody['anyOf'] as unknown[]) : [previousBody];
  const merged = bodies.some((known) => isDeepStrictEqual(known, body)) ? bodies : [...bodies, body];
  return {
    ...response,
    [key]: { description: `${String(description)} / ${spec.description}`, ...(merged.length === 1 ? merged[0] as object : { anyOf: merged }) },
  };
}

/** The route's OpenAPI description, generated from the same zod schemas that validate its requests. */
export function routeDocs(route: RouteDefinition): Record<string, unknown> {
  let response: ResponseDocs =
    route.kind === 'json'
      ? { 200: { description: 'Success', ...toJsonSchema(route.response, 'output') } }
      : { 200: { description: 'Server-sent events', content: { 'text/event-stream': { schema: { type: 'string' } } } } };
  // Any route can fail unexpectedly, be refused while the server drains, and any body can be too large:
  // documented everywhere, not per route.
  const codes: ErrorCode[] = [...route.errors, ...(route.body ? (['PAYLOAD_TOO_LARGE'] as const) : []), 'SHUTTING_DOWN', 'INTERNAL'];
  for (const code of codes) response = withError(response, code);
  return {
    summary: route.summary,
    tags: [...route.tags],
    ...(route.body ? { body: toJsonSchema(route.body, 'input') } : {}),
    ...(route.query ? { querystring: toJsonSchema(route.query, 'input') } : {}),
    ...(route.params ? { params: toJsonSchema(route.params, 'input') } : {}),
    response,
  };
}

/** The probes stay open whatever the configuration: no token asked, never rate limited (spec 7.1, 7.2). */
function isProbe(url: string, config: ServeContext['config']): boolean {
  return url === `${config.apiPrefix}/health` || url === `${config.apiPrefix}/ready` || url === '/prometheus';
}

/** Errors the server-wide checks can answer any other route with: 401 with auth on, 429 with rate limiting on. */
function configuredErrors(config: ServeContext['config']): ErrorCode[] {
  return [...(config.authEnabled ? (['UNAUTHORIZED'] as const) : []), ...(config.rateLimitEnabled ? (['RATE_LIMITED'] as const) : [])];
}

/**
 * Content-Security-Policy of the docs pages: everything from this server (plus inline styles and `data:` images,
 * which the UIs use), so even a link or image buried in a bundle cannot make the browser contact another host. No
 * `upgrade-insecure-requests`: on a plain-http server reached by IP it would break the pages' own assets.
 */
const DOCS_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
  // ReDoc runs its search index in a worker built from a blob.
  "worker-src 'self' blob:",
].join('; ');

/** The one asset the ReDoc bundle fetches from a CDN (the Redocly logo in the sidebar footer); it hides on error. */
const REDOC_CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';

/**
 * `/openapi.json`, Swagger UI at `/docs` and ReDoc at `/redoc`, all at the root whatever the API prefix, every
 * asset from installed packages: nothing in the pages points at another host, so they work behind a firewall.
 * `/openapi.json` is served even when both UIs are off (as the reference does); each UI alone can be switched off.
 */
export async function registerApiDocs(app: FastifyInstance, context: ServeContext): Promise<void> {
  const { config, agent } = context;
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `${agent.name} API`, version: PACKAGE_VERSION, description: `HTTP API of the ${agent.name} agent, served by OmniServe.` },
      components: config.authEnabled
        ? { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } }
        : {},
      ...(config.authEnabled ? { security: [{ bearerAuth: [] }] } : {}),
    },
    transform: ({ schema, url }) => {
      if (schema === undefined || schema.hide === true) return { schema, url };
      if (isProbe(url, config)) return { schema: config.authEnabled ? { ...schema, security: [] } : schema, url };
      let response = (schema.response ?? {}) as ResponseDocs;
      for (const code of configuredErrors(config)) response = withError(response, code);
      return { schema: { ...schema, response }, url };
    },
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  if (config.enableDocs) {
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      // Swagger UI's default validator badge is an image from validator.swagger.io: off, it would only fail offline.
      uiConfig: { validatorUrl: null, deepLinking: true },
      staticCSP: DOCS_CSP,
      transformSpecificationClone: true,
    });
  }

  if (config.enableRedoc) {
    const bundlePath = require.resolve('redoc/bundles/redoc.standalone.js');
    let bundle: string | null = null;
    app.get('/redoc', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').header('content-security-policy', DOCS_CSP).send(redocPage(`${agent.name} API`)),
    );
    app.get('/redoc/redoc.standalone.js', { schema: { hide: true } }, async (_request, reply) => {
      // `data:,` is not an image, so the logo's own error handler hides it without any request leaving the machine.
      bundle ??= (await readFile(bundlePath, 'utf8')).replaceAll(REDOC_CDN_LOGO, 'data:,');
      return reply.type('application/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(bundle);
    });
  }
}

function redocPage(title: string): string {
  const safe = title.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${safe} - ReDoc</title>
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<redoc spec-url="/openapi.json"></redoc>
<script src="/redoc/redoc.standalone.js"></script>
</body>
</html>
`;
}
