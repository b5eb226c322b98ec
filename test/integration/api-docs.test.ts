/**
 * The API docs: `/openapi.json` describes every route from the same schemas that validate requests, and the Swagger
 * UI and ReDoc pages load nothing from another host (the browser test in test/browser opens them for real).
 */
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ERROR_CATALOGUE } from '../../src/core/errors.ts';
import { API_ROUTES } from '../../src/http/routes/index.ts';
import type { OmniServe } from '../../src/app/omni-serve.ts';
import type { OmniServeOptions } from '../../src/config/serve-config.ts';
import { serve } from '../support/serve-fixture.ts';

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const lightAgent = { name: 'DocsAgent', run: async (query: string) => `echo ${query}` };
/** Spec 3: routes that stay at the root whatever the API prefix. */
const ROOT_PATHS = ['/prometheus'];
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

interface Operation {
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Record<string, unknown> }> };
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
  security?: unknown[];
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  security?: unknown[];
}

async function withServer<T>(options: OmniServeOptions, use: (server: OmniServe) => Promise<T>): Promise<T> {
  const server = serve(lightAgent, options);
  try {
    return await use(server);
  } finally {
    await server.stop();
  }
}

async function openApi(server: OmniServe): Promise<OpenApiDocument> {
  const res = await server.app.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  return res.json<OpenApiDocument>();
}

/** `/sessions/:session_id` -> `/sessions/{session_id}`, with the prefix unless the route stays at the root. */
function documentedPath(route: (typeof API_ROUTES)[number], prefix: string): string {
  return (route.prefixed === false ? '' : prefix) + route.path.replace(/:(\w+)/g, '{$1}');
}

function jsonSchemaOf(operation: Operation, status: string): Record<string, unknown> | undefined {
  return operation.responses?.[status]?.content?.['application/json']?.schema as Record<string, unknown> | undefined;
}

describe('/openapi.json', () => {
  it('is OpenAPI 3.1 with the package version and the agent in the title', async () => {
    await withServer({}, async (server) => {
      const doc = await openApi(server);
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.info.version).toBe(PACKAGE_VERSION);
      expect(doc.info.title).toBe('DocsAgent API');
    });
  });

  it('lists every route with its request schema, its 200 schema and each error it can answer with', async () => {
    await withServer({}, async (server) => {
      const doc = await openApi(server);
      for (const route of API_ROUTES) {
        const path = documentedPath(route, '');
        const operation = doc.paths[path]?.[route.method.toLowerCase()];
        expect(operation, `${route.method} ${path}`).toBeDefined();
        if (operation === undefined) continue;
        const ok = operation.responses?.['200'];
        expect(ok?.description, `${route.method} ${path} 200`).toBeTruthy();
        if (route.kind === 'json') {
          const expected = z.toJSONSchema(route.response, { io: 'output', unrepresentable: 'any' }) as { type?: unknown };
          expect(jsonSchemaOf(operation, '200'), `${route.method} ${path} 200 schema`).toMatchObject({ type: expected.type });
        } else {
          expect(ok?.content?.['text/event-stream']).toBeDefined();
        }
        for (const code of route.errors) {
          const { status, description } = ERROR_CATALOGUE[code];
          expect(operation.responses?.[String(status)]?.description, `${route.method} ${path} ${code}`).toContain(description);
          expect(jsonSchemaOf(operation, String(status)), `${route.method} ${path} ${status} schema`).toBeDefined();
        }
        expect(operation.responses?.['500']?.description).toContain(ERROR_CATALOGUE.INTERNAL.description);
        if (route.body) {
          expect(operation.requestBody?.required, `${route.method} ${path} body`).toBe(true);
          const schema = operation.requestBody?.content?.['application/json']?.schema;
          const shape = (route.body as { shape?: Record<string, unknown> }).shape ?? {};
          expect(Object.keys((schema?.['properties'] as object | undefined) ?? {})).toEqual(Object.keys(shape));
          expect(operation.responses?.['413']?.description).toContain(ERROR_CATALOGUE.PAYLOAD_TOO_LARGE.description);
        } else {
          expect(operation.requestBody, `${route.method} ${path} has no body`).toBeUndefined();
        }
        for (const name of [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1])) {
          expect(operation.parameters, `${route.method} ${path} param ${name}`).toContainEqual(
            expect.objectContaining({ name, in: 'path', required: true }),
          );
        }
      }
    });
  });

  it('is well formed: every path served, path parameters declared, every schema valid JSON Schema 2020-12', async () => {
    await withServer({}, async (server) => {
      const doc = await openApi(server);
      // Checked against the router, without running anything: some routes wait (background runs) or never end (live streams).
      await server.app.ready();
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const method of Object.keys(item).filter((key) => METHODS.includes(key))) {
          const url = path.replace(/\{(\w+)\}/g, ':$1');
          expect(server.app.hasRoute({ method: method.toUpperCase() as 'GET', url }), `${method} ${url} is a real route`).toBe(true);
        }
      }
      const ajv = new Ajv2020({ strict: false });
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, operation] of Object.entries(item)) {
          const where = `${method} ${path}`;
          expect(Object.keys(operation.responses ?? {}).length, where).toBeGreaterThan(0);
          const templated = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
          const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
          expect(declared.sort(), where).toEqual(templated.sort());
          const schemas = [
            ...Object.values(operation.responses ?? {}).flatMap((response) => Object.values(response.content ?? {}).map((c) => c.schema)),
            ...Object.values(operation.requestBody?.content ?? {}).map((c) => c.schema),
            ...(operation.parameters ?? []).map((p) => p.schema),
          ];
          for (const schema of schemas) {
            expect(schema, where).toBeDefined();
            expect(() => ajv.compile(schema as object), where).not.toThrow();
          }
        }
      }
    });
  });

  it('prefixes every API path with apiPrefix while the docs stay at the root', async () => {
    await withServer({ apiPrefix: 'api/v1/' }, async (server) => {
      const doc = await openApi(server);
      for (const route of API_ROUTES) {
        const path = documentedPath(route, '/api/v1');
        expect(doc.paths[path]?.[route.method.toLowerCase()], path).toBeDefined();
      }
      for (const path of Object.keys(doc.paths)) {
        const unprefixed = ROOT_PATHS.includes(path) || API_ROUTES.some((route) => route.prefixed === false && route.path === path);
        if (!unprefixed) expect(path).toMatch(/^\/api\/v1\//);
      }
      for (const url of ['/docs', '/redoc', '/openapi.json']) {
        expect((await server.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
        expect((await server.app.inject({ method: 'GET', url: `/api/v1${url}` })).statusCode, `/api/v1${url}`).toBe(404);
      }
    });
  });

  it('documents 401 and 429 when auth and rate limiting are on, and keeps the probes open', async () => {
    await withServer({ authEnabled: true, authToken: 'docs-secret-token', rateLimitEnabled: true }, async (server) => {
      const doc = await openApi(server);
      expect(doc.security).toEqual([{ bearerAuth: [] }]);
      const run = doc.paths['/run/sync']?.['post'];
      expect(run?.responses?.['401']?.description).toBe(ERROR_CATALOGUE.UNAUTHORIZED.description);
      expect(run?.responses?.['429']?.description).toBe(ERROR_CATALOGUE.RATE_LIMITED.description);
      for (const probe of ['/health', '/ready']) {
        const operation = doc.paths[probe]?.['get'];
        expect(operation?.security, probe).toEqual([]);
        expect(operation?.responses?.['401'], probe).toBeUndefined();
        expect(operation?.responses?.['429'], probe).toBeUndefined();
      }
    });
  });
});

describe('docs switches', () => {
  it.each([
    { options: { enableDocs: false }, gone: ['/docs', '/docs/static/swagger-ui.css', '/docs/json'], kept: ['/redoc', '/openapi.json'] },
    { options: { enableRedoc: false }, gone: ['/redoc', '/redoc/redoc.standalone.js'], kept: ['/docs', '/openapi.json'] },
    { options: { enableDocs: false, enableRedoc: false }, gone: ['/docs', '/redoc'], kept: ['/openapi.json'] },
  ])('$options: $gone answer 404, $kept still work', async ({ options, gone, kept }) => {
    await withServer(options, async (server) => {
      for (const url of gone) {
        const res = await server.app.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(404);
        expect(res.json(), url).toEqual({ detail: 'Not Found' });
      }
      for (const url of kept) expect((await server.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Nothing that would be fetched points at another host.

const ABSOLUTE = /\bhttps?:\/\/[^\s"'<>)]+/gi;

/** `src` / `href` attribute values of the tags that make a browser fetch something. */
function fetchedReferences(html: string): string[] {
  return [...html.matchAll(/<(?:script|link|img|iframe|source)\b[^>]*?\s(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1] ?? '');
}

/** `@import` targets and `url(...)` values of a stylesheet, except inline `data:` ones. */
function cssReferences(css: string): string[] {
  const imports = [...css.matchAll(/@import\s+(?:url\()?\s*["']?([^"')\s;]+)/gi)].map((m) => m[1] ?? '');
  const urls = [...css.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/gi)].map((m) => (m[1] ?? '').trim());
  return [...imports, ...urls].filter((ref) => !ref.startsWith('data:'));
}

function isSameHost(ref: string): boolean {
  return !/^(?:[a-z][a-z0-9+.-]*:)?\/\//i.test(ref);
}

/** The Content-Security-Policy's sources: only this server, inline and `data:`/`blob:` may appear. */
function cspSources(header: unknown): string[] {
  expect(typeof header).toBe('string');
  return String(header)
    .split(';')
    .map((directive) => directive.trim().split(/\s+/))
    .filter((parts) => parts[0] !== '')
    .flatMap((parts) => {
      expect(parts[0]).not.toBe('upgrade-insecure-requests');
      return parts.slice(1);
    });
}
const ALLOWED_CSP_SOURCES = ["'self'", "'none'", "'unsafe-inline'", 'data:', 'blob:'];

describe('docs pages load nothing from another host', () => {
  it('Swagger UI: the page, its scripts and styles reference only this server; validatorUrl is null', async () => {
    await withServer({}, async (server) => {
      const page = await server.app.inject({ method: 'GET', url: '/docs' });
      expect(page.statusCode).toBe(200);
      expect(page.body.match(ABSOLUTE) ?? []).toEqual([]);
      for (const source of cspSources(page.headers['content-security-policy'])) expect(ALLOWED_CSP_SOURCES).toContain(source);
      const refs = fetchedReferences(page.body);
      expect(refs.length).toBeGreaterThanOrEqual(3);
      for (const ref of refs) {
        expect(isSameHost(ref), ref).toBe(true);
        const asset = await server.app.inject({ method: 'GET', url: new URL(ref, 'http://server/docs').pathname });
        expect(asset.statusCode, ref).toBe(200);
        if (ref.endsWith('.css')) for (const inner of cssReferences(asset.body)) expect(isSameHost(inner), `${ref}: ${inner}`).toBe(true);
        if (ref.endsWith('.js')) expect(asset.body.match(/\b(?:src|href)\s*[:=]\s*["']https?:\/\//g) ?? [], ref).toEqual([]);
      }

      // Run the initializer as the page would, and read the configuration it gives Swagger UI.
      const initializer = await server.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
      let config: Record<string, unknown> | undefined;
      const window: { onload?: () => void; location: { href: string } } = { location: { href: 'http://127.0.0.1:8000/docs' } };
      const SwaggerUIBundle = Object.assign(
        (given: Record<string, unknown>) => {
          config = given;
          return { initOAuth: () => undefined };
        },
        { presets: { apis: {} }, plugins: { DownloadUrl: {} } },
      );
      runInNewContext(initializer.body, {
        window,
        document: { createElement: () => ({ href: '' }), querySelector: () => null, body: {} },
        SwaggerUIBundle,
        SwaggerUIStandalonePreset: {},
        MutationObserver: class { observe(): void {} disconnect(): void {} },
      });
      window.onload?.();
      expect(config).toBeDefined();
      expect(config?.['validatorUrl']).toBeNull();
      expect(isSameHost(String(config?.['url']).replace('http://127.0.0.1:8000', ''))).toBe(true);
    });
  });

  it('ReDoc: the page and its bundle reference only this server (the bundled CDN logo is neutralised)', async () => {
    await withServer({}, async (server) => {
      const page = await server.app.inject({ method: 'GET', url: '/redoc' });
      expect(page.statusCode).toBe(200);
      expect(page.body.match(ABSOLUTE) ?? []).toEqual([]);
      expect(page.body).toContain('spec-url="/openapi.json"');
      for (const source of cspSources(page.headers['content-security-policy'])) expect(ALLOWED_CSP_SOURCES).toContain(source);
      const refs = fetchedReferences(page.body);
      expect(refs).toEqual(['/redoc/redoc.standalone.js']);
      const bundle = await server.app.inject({ method: 'GET', url: '/redoc/redoc.standalone.js' });
      expect(bundle.statusCode).toBe(200);
      expect(bundle.body.length).toBeGreaterThan(100_000);
      // Element sources set to another host are what a browser would fetch; URLs in licences and links are not.
      expect(bundle.body.match(/\b(?:src|srcset)\s*[:=]\s*["']https?:\/\/[^"']*/g) ?? []).toEqual([]);
      expect(cssReferences(bundle.body).filter((ref) => !isSameHost(ref) && !ref.includes('w3.org'))).toEqual([]);
    });
  });
});
