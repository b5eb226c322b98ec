import { describe, expect, it } from 'vitest';
import { createPublicPaths, pathOf } from './public-paths.ts';

const base = { apiPrefix: '', publicPaths: [], enableDocs: true, enableRedoc: true };

describe('createPublicPaths', () => {
  it('makes the reference paths public, /prometheus only at the root', () => {
    const paths = createPublicPaths({ ...base, apiPrefix: '/api' });
    for (const url of ['/docs', '/redoc', '/openapi.json', '/prometheus', '/health', '/ready', '/api/health', '/api/ready']) {
      expect(paths.isPublic(url), url).toBe(true);
      expect(paths.isExempt(url), url).toBe(true);
    }
    for (const url of ['/api/prometheus', '/api/tools', '/tools', '/api/run/sync', '/', '/api']) {
      expect(paths.isPublic(url), url).toBe(false);
    }
  });

  it('ignores the query string', () => {
    const paths = createPublicPaths(base);
    expect(paths.isPublic('/health?x')).toBe(true);
    expect(paths.isPublic('/health?/../tools')).toBe(true);
    expect(paths.isExempt('/prometheus?name[]=x')).toBe(true);
    expect(pathOf('/a/b?c?d')).toBe('/a/b');
  });

  it('treats every non-canonical spelling as protected, even of a public path', () => {
    const paths = createPublicPaths({ ...base, publicPaths: ['/open/*'] });
    for (const url of [
      '//health', '/health/', '/HEALTH', '/Health', '/health;x', '/health%3Bx', '/hea%6Cth', '/health#x', '/health/.',
      '/health/../tools', '/./health', '/open/../tools', '/open/..%2Ftools', '/open/%2e%2e/tools', '/open//x',
      '/open/./x', 'http://host/health', '*', '', '/health\\..\\tools',
    ]) {
      expect(paths.isPublic(url), url).toBe(false);
      expect(paths.isExempt(url), url).toBe(false);
    }
  });

  it('reads configured entries: exact, or /x/* for /x and everything under /x/', () => {
    const paths = createPublicPaths({ ...base, publicPaths: ['/hooks/github', '/static/*'] });
    expect(paths.isPublic('/hooks/github')).toBe(true);
    expect(paths.isPublic('/hooks/github/x')).toBe(false);
    expect(paths.isPublic('/hooks')).toBe(false);
    expect(paths.isPublic('/static')).toBe(true);
    expect(paths.isPublic('/static/css/site.css')).toBe(true);
    expect(paths.isPublic('/static/css/')).toBe(true);
    expect(paths.isPublic('/staticfoo')).toBe(false);
    // Rate limiting exempts the exact entries only.
    expect(paths.isExempt('/hooks/github')).toBe(true);
    expect(paths.isExempt('/static/css/site.css')).toBe(false);
  });

  it('opens the docs assets only while the docs are on and the API is not under them', () => {
    expect(createPublicPaths(base).isPublic('/docs/static/index.html')).toBe(true);
    expect(createPublicPaths(base).isPublic('/docs/')).toBe(true);
    expect(createPublicPaths(base).isPublic('/redoc/redoc.standalone.js')).toBe(true);
    expect(createPublicPaths({ ...base, enableDocs: false }).isPublic('/docs/static/index.html')).toBe(false);
    expect(createPublicPaths({ ...base, enableRedoc: false }).isPublic('/redoc/redoc.standalone.js')).toBe(false);
    const underDocs = createPublicPaths({ ...base, apiPrefix: '/docs/api' });
    expect(underDocs.isPublic('/docs/api/tools')).toBe(false);
    expect(underDocs.isPublic('/docs/api/health')).toBe(true);
    expect(underDocs.isPublic('/docs')).toBe(true);
  });
});
