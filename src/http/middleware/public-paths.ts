export interface PublicPathsOptions {
  readonly apiPrefix: string;
  /** Extra paths from config: exact, or `/x/*` for `/x` and everything under it. */
  readonly publicPaths: readonly string[];
  /** Swagger UI at `/docs` serves its assets under `/docs/`; those are public while it is on. */
  readonly enableDocs: boolean;
  /** ReDoc at `/redoc` serves its script under `/redoc/`. */
  readonly enableRedoc: boolean;
}

export interface PublicPaths {
  /** True when the request target needs no token. */
  isPublic(url: string): boolean;
  /** True for the exact public paths, which rate limiting leaves alone (wildcards are not expanded for this). */
  isExempt(url: string): boolean;
}

// A path counts as public only in its one canonical spelling: plain path characters, no percent escapes, no `;`
// parameters, no `#`, no empty, `.` or `..` segments. Any other spelling must carry the token, even when the router
// would resolve it to a public route. So a spelling the router resolves to a protected route (`/%74ools`,
// `/health/../tools`, `http://host/tools`) can never pass as public: only an exact canonical public path is public,
// and the router (exact: case-sensitive, no slash tolerance) resolves that to nothing but itself. Segments are
// unambiguous (each but the last ends in `/`), so the pattern runs in linear time.
const CANONICAL = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,=:@]+\/)*[A-Za-z0-9\-._~!$&'()*+,=:@]*$/;
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

/** The path of a request target: everything before the query string. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function isCanonical(path: string): boolean {
  return CANONICAL.test(path) && !DOT_SEGMENT.test(path);
}

/**
 * The paths reachable without a token (spec 7.1): the docs, `/prometheus` (root only), `/health` and `/ready` at the
 * root and under the API prefix, plus the configured extras. Matching is exact on the path, query string aside.
 */
export function createPublicPaths(options: PublicPathsOptions): PublicPaths {
  const { apiPrefix } = options;
  const exact = new Set(['/docs', '/redoc', '/openapi.json', '/prometheus', '/health', '/ready', `${apiPrefix}/health`, `${apiPrefix}/ready`]);
  const trees: string[] = [];
  for (const entry of options.publicPaths) {
    if (entry.endsWith('/*')) trees.push(entry.slice(0, -2));
    else exact.add(entry);
  }
  const exempt = new Set(exact);
  // The docs' own assets, unless the API itself lives under that path (then they need the token like the API).
  const insideApi = (tree: string) => apiPrefix === tree || apiPrefix.startsWith(`${tree}/`);
  if (options.enableDocs && !insideApi('/docs')) trees.push('/docs');
  if (options.enableRedoc && !insideApi('/redoc')) trees.push('/redoc');

  return {
    isPublic(url) {
      const path = pathOf(url);
      if (!isCanonical(path)) return false;
      return exact.has(path) || trees.some((tree) => path === tree || path.startsWith(`${tree}/`));
    },
    isExempt(url) {
      const path = pathOf(url);
      return isCanonical(path) && exempt.has(path);
    },
  };
}
