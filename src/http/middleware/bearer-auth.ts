import { createHash, timingSafeEqual } from 'node:crypto';
import type { onRequestHookHandler } from 'fastify';
import { OmniError } from '../../core/errors.ts';

export interface BearerAuthOptions {
  /** The configured token (already trimmed by config). */
  readonly token: string;
  /** Requests for which no token is asked. */
  readonly isPublic: (url: string) => boolean;
}

const PREFIX = 'Bearer ';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Bearer-token auth (spec 7.1) as an onRequest hook: `Authorization: Bearer <token>` (the scheme is case-sensitive,
 * the token trimmed) on every non-public path; 401 otherwise, without a WWW-Authenticate header. The token is
 * compared as SHA-256 digests with `timingSafeEqual`, so neither its content nor its length leaks through timing.
 */
export function createBearerAuth(options: BearerAuthOptions): onRequestHookHandler {
  if (options.token.trim() === '') throw new TypeError('Bearer auth needs a non-empty token');
  const expected = digest(options.token);
  return async function bearerAuth(request) {
    if (options.isPublic(request.url)) return;
    const header = request.headers.authorization;
    if (typeof header !== 'string' || !header.startsWith(PREFIX)) {
      throw new OmniError('UNAUTHORIZED', 'Missing or invalid Authorization header');
    }
    if (!timingSafeEqual(digest(header.slice(PREFIX.length).trim()), expected)) {
      throw new OmniError('UNAUTHORIZED', 'Invalid authentication token');
    }
  };
}
