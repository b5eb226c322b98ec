/**
 * The docs pages as a new user meets them: headless Chromium (Debian's package, driven by playwright-core) opens
 * `/docs` and `/redoc` of a listening server with every request to another host blocked, and must show every
 * endpoint without having tried to reach anything but this server.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OmniServe } from '../../src/app/omni-serve.ts';
import { API_ROUTES } from '../../src/http/routes/index.ts';
import { serve } from '../support/serve-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SKIP_REASON = hasChromium ? '' : ` (skipped: ${CHROMIUM} not installed)`;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const PREFIX = '/api/v1';

/** The paths the pages must show: the documented form, with the prefix (`/api/v1/sessions/{session_id}`). */
const ENDPOINT_PATHS = [
  ...new Set(API_ROUTES.map((route) => (route.prefixed === false ? '' : PREFIX) + route.path.replace(/:(\w+)/g, '{$1}'))),
];

let server: OmniServe;
let origin: string;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!hasChromium) return;
  server = serve({ name: 'BrowserDocsAgent', run: async (query: string) => query }, { apiPrefix: PREFIX });
  origin = await server.start('127.0.0.1', 0);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 20_000 });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

interface Visit {
  readonly context: BrowserContext;
  /** Requests to anything but this server: each was aborted before it left the machine. */
  readonly blocked: string[];
  /** Console errors, among them any Content-Security-Policy refusal (an attempt blocked by the page's own policy). */
  readonly consoleErrors: string[];
}

async function visit(path: string): Promise<Visit & { readonly page: Awaited<ReturnType<BrowserContext['newPage']>> }> {
  if (browser === undefined) throw new Error('no browser');
  const context = await browser.newContext();
  const blocked: string[] = [];
  const consoleErrors: string[] = [];
  const own = new URL(origin);
  // On the context, not only the page: the same rule covers workers and popups.
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === own.protocol && url.host === own.host) return route.continue();
    blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  const response = await page.goto(`${origin}${path}`, { waitUntil: 'load' });
  expect(response?.status(), path).toBe(200);
  return { context, page, blocked, consoleErrors };
}

describe('API docs in headless Chromium, other hosts blocked', () => {
  for (const path of ['/docs', '/redoc']) {
    it.skipIf(!hasChromium)(`${path} shows every endpoint path and contacts no other host${SKIP_REASON}`, async () => {
      const { context, page, blocked, consoleErrors } = await visit(path);
      try {
        for (const endpoint of ENDPOINT_PATHS) {
          await page
            .getByText(endpoint, { exact: true })
            .filter({ visible: true })
            .first()
            .waitFor({ state: 'visible', timeout: 15_000 })
            .catch((error: unknown) => {
              throw new Error(`${path}: ${endpoint} is not visible (${error instanceof Error ? error.message : String(error)})`);
            });
        }
        // Give late loaders (fonts, images, workers) a moment to try.
        await page.waitForLoadState('networkidle');
        expect(blocked, `${path} tried to reach another host`).toEqual([]);
        expect(consoleErrors, `${path} console errors`).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
