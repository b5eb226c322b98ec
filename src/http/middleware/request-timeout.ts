import type { FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify';
import { OmniError } from '../../core/errors.ts';
import { pathOf } from './public-paths.ts';
import { whenClosed } from './when-closed.ts';

export interface RequestTimeoutOptions {
  /** More than 0. */
  readonly timeoutSeconds: number;
  /** Requests left alone; by default the background wait route, which answers its own structured 504 (spec 13.8). */
  readonly skip?: (url: string) => boolean;
}

export interface RequestTimeout {
  /** Arms the request's deadline. */
  readonly onRequest: onRequestHookHandler;
  /** Disarms it: once a response starts (a stream's included), its length no longer counts. */
  readonly onSend: onSendHookHandler;
  /** Aborted (reason: the 504 error) when the deadline passed; undefined for requests without one. */
  signal(request: FastifyRequest): AbortSignal | undefined;
  /** True once the request's deadline passed (its 504 is sent). */
  timedOut(request: FastifyRequest): boolean;
  /** Hands the request over to a deadline of its own (a run's), so the two never race. */
  disarm(request: FastifyRequest): void;
}

/** `…/background/tasks/{id}/run`, which waits for a background run under a budget of its own. */
export function isBackgroundWait(url: string): boolean {
  return /\/background\/tasks\/[^/]+\/run$/.test(pathOf(url));
}

interface Deadline {
  readonly timer: NodeJS.Timeout;
  /** Made only when someone asks for the signal: most requests finish long before their deadline. */
  controller: AbortController | null;
  error: OmniError | null;
}

/**
 * The request timeout (spec 7.5): a request whose response has not started within the timeout gets 504
 * GatewayTimeout, and its work is told to stop through `signal`. A run route disarms it once its run starts,
 * because the run has a timeout of its own that also aborts the model call; both answers say "timed out".
 */
export function createRequestTimeout(options: RequestTimeoutOptions): RequestTimeout {
  const skip = options.skip ?? isBackgroundWait;
  const deadlines = new WeakMap<FastifyRequest, Deadline>();
  const disarm = (request: FastifyRequest) => {
    const deadline = deadlines.get(request);
    if (deadline !== undefined) clearTimeout(deadline.timer);
  };
  return {
    async onRequest(request, reply) {
      if (skip(request.url)) return;
      const deadline: Deadline = {
        controller: null,
        error: null,
        timer: setTimeout(() => {
          const error = new OmniError('GATEWAY_TIMEOUT', 'Request timed out', {
            extra: { detail: `Request timed out after ${options.timeoutSeconds} seconds` },
          });
          deadline.error = error;
          deadline.controller?.abort(error);
          if (!reply.sent && !reply.raw.headersSent) reply.send(error);
        }, options.timeoutSeconds * 1000),
      };
      deadlines.set(request, deadline);
      const { timer } = deadline;
      whenClosed(reply, () => clearTimeout(timer));
    },
    async onSend(request, _reply, payload) {
      disarm(request);
      return payload;
    },
    signal(request) {
      const deadline = deadlines.get(request);
      if (deadline === undefined) return undefined;
      if (deadline.controller === null) {
        deadline.controller = new AbortController();
        if (deadline.error !== null) deadline.controller.abort(deadline.error);
      }
      return deadline.controller.signal;
    },
    timedOut: (request) => deadlines.get(request)?.error != null,
    disarm,
  };
}
