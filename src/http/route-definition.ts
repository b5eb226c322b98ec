import type { z } from 'zod';
import type { ErrorCode } from '../core/errors.ts';
import type { ServeContext } from './serve-context.ts';
import type { SseStream } from './sse/sse-stream.ts';

export interface RouteInput<B = unknown, Q = unknown, P = unknown> {
  readonly body: B;
  readonly query: Q;
  readonly params: P;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Aborted when the client goes away before the response is complete. */
  readonly signal: AbortSignal;
}

interface RouteBase<B, Q, P> {
  readonly method: 'GET' | 'POST' | 'DELETE' | 'PATCH';
  /** Fastify-style path (`/sessions/:session_id/history`), without the API prefix. */
  readonly path: string;
  /** False for routes that stay at the root whatever the API prefix (`/prometheus`). */
  readonly prefixed?: boolean;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly body?: z.ZodType<B>;
  readonly query?: z.ZodType<Q>;
  readonly params?: z.ZodType<P>;
  /** Errors this route can answer with, for the OpenAPI document. */
  readonly errors: readonly ErrorCode[];
  /** True for routes that start an agent run: they take an admission slot. */
  readonly startsRun?: boolean;
  /**
   * Throws (an OmniError) when the feature behind the route is switched off. Checked before the request is
   * validated, so a disabled feature answers the same way to every request, good or bad.
   */
  readonly available?: (context: ServeContext) => void;
}

export interface JsonRoute<B = unknown, Q = unknown, P = unknown> extends RouteBase<B, Q, P> {
  readonly kind: 'json';
  readonly response: z.ZodType;
  handle(input: RouteInput<B, Q, P>, context: ServeContext): Promise<unknown>;
}

export interface SseRoute<B = unknown, Q = unknown, P = unknown> extends RouteBase<B, Q, P> {
  readonly kind: 'sse';
  /** Runs before the stream opens; a thrown error is an ordinary JSON error response. */
  prepare?(input: RouteInput<B, Q, P>, context: ServeContext): Promise<void> | void;
  stream(input: RouteInput<B, Q, P>, context: ServeContext, sse: SseStream): Promise<void>;
}

export type RouteDefinition = JsonRoute<any, any, any> | SseRoute<any, any, any>;

/** Helpers that keep each route's input types inferred from its schemas. */
export function jsonRoute<B = undefined, Q = undefined, P = undefined>(route: JsonRoute<B, Q, P>): JsonRoute<B, Q, P> {
  return route;
}

export function sseRoute<B = undefined, Q = undefined, P = undefined>(route: SseRoute<B, Q, P>): SseRoute<B, Q, P> {
  return route;
}
