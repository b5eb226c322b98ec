import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ERROR_CATALOGUE } from '../core/errors.ts';
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

/** The route's OpenAPI description, generated from the same zod schemas that validate its requests. */
export function routeDocs(route: RouteDefinition): Record<string, unknown> {
  const response: Record<string, unknown> =
    route.kind === 'json'
      ? { 200: { description: 'Success', ...toJsonSchema(route.response, 'output') } }
      : { 200: { description: 'Server-sent events', content: { 'text/event-stream': { schema: { type: 'string' } } } } };
  for (const code of route.errors) {
    const spec = ERROR_CATALOGUE[code];
    const body = code === 'VALIDATION_FAILED' ? VALIDATION_BODY : spec.shape === 'detail' ? DETAIL_BODY : ENVELOPE_BODY;
    const key = String(spec.status);
    const previous = response[key] as { description?: string } | undefined;
    const description = previous?.description ? `${previous.description} / ${spec.description}` : spec.description;
    response[key] = { description, ...body };
  }
  return {
    summary: route.summary,
    tags: [...route.tags],
    ...(route.body ? { body: toJsonSchema(route.body, 'input') } : {}),
    ...(route.query ? { querystring: toJsonSchema(route.query, 'input') } : {}),
    ...(route.params ? { params: toJsonSchema(route.params, 'input') } : {}),
    response,
  };
}

/**
 * `/openapi.json`, Swagger UI at `/docs` and ReDoc at `/redoc`, all at the root whatever the API prefix, every
 * asset from installed packages: nothing in the pages points at another host, so they work behind a firewall.
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
  });
  if (!config.enableDocs && !config.enableRedoc) return;

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  if (config.enableDocs) {
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      // The default validator badge loads an image from another host; behind a firewall it would only fail.
      uiConfig: { validatorUrl: null, deepLinking: true },
      staticCSP: true,
      transformSpecificationClone: true,
    });
  }

  if (config.enableRedoc) {
    const bundlePath = require.resolve('redoc/bundles/redoc.standalone.js');
    let bundle: Buffer | null = null;
    app.get('/redoc', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(redocPage(`${agent.name} API`)),
    );
    app.get('/redoc/redoc.standalone.js', { schema: { hide: true } }, async (_request, reply) => {
      bundle ??= await readFile(bundlePath);
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
