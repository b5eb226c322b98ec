import type { onRequestHookHandler } from 'fastify';
import { OmniError } from '../../core/errors.ts';
import { createClientAddress } from './client-address.ts';
import { FixedWindowLimiter } from './fixed-window-limiter.ts';

export interface RateLimitOptions {
  /** Requests allowed per client per window. */
  readonly requests: number;
  readonly windowSeconds: number;
  /** IPs or CIDR ranges whose `X-Forwarded-For` names the client (see `createClientAddress`). */
  readonly trustedProxies: readonly string[];
  /** Requests never counted (the exact public paths). */
  readonly isExempt: (url: string) => boolean;
  /** Most clients tracked at once (default 10 000). */
  readonly maxClients?: number;
  /** Epoch milliseconds; tests pass a fake clock. */
  readonly now?: () => number;
}

/**
 * Per-client fixed-window rate limiting (spec 7.2) as an onRequest hook, in memory, per server instance. Allowed
 * requests get `X-RateLimit-Limit/Remaining/Reset` on whatever response follows (a 401 included); the rest get 429
 * TooManyRequests with `Retry-After`.
 */
export function createRateLimit(options: RateLimitOptions): onRequestHookHandler {
  const now = options.now ?? Date.now;
  const limiter = new FixedWindowLimiter({
    limit: options.requests,
    windowMs: options.windowSeconds * 1000,
    maxKeys: options.maxClients ?? 10_000,
    now,
  });
  const clientOf = createClientAddress({ trustedProxies: options.trustedProxies });
  return async function rateLimit(request, reply) {
    if (options.isExempt(request.url)) return;
    const decision = limiter.hit(clientOf(request.socket.remoteAddress, request.headers));
    const reset = Math.ceil(decision.resetAtMs / 1000);
    const headers = {
      'x-ratelimit-limit': String(decision.limit),
      'x-ratelimit-remaining': String(decision.remaining),
      'x-ratelimit-reset': String(reset),
    };
    if (decision.allowed) {
      reply.headers(headers);
      return;
    }
    const retryAfter = Math.max(0, Math.ceil((decision.resetAtMs - now()) / 1000));
    throw new OmniError(
      'RATE_LIMITED',
      `Rate limit exceeded. Max ${options.requests} requests per ${options.windowSeconds} seconds.`,
      { extra: { retry_after: retryAfter }, headers: { ...headers, 'retry-after': String(retryAfter) } },
    );
  };
}
