import type { FastifyReply } from 'fastify';

type Raw = FastifyReply['raw'];

const pending = new WeakMap<Raw, Array<() => void>>();

/**
 * Runs `callback` once the response is done with: finished, or cut off because the client went away (which
 * Fastify's onResponse hook does not report for a stream). All middleware share one 'close' listener per response,
 * since a streamed response already carries many.
 */
export function whenClosed(reply: FastifyReply, callback: () => void): void {
  const raw = reply.raw;
  const callbacks = pending.get(raw);
  if (callbacks !== undefined) {
    callbacks.push(callback);
    return;
  }
  const list = [callback];
  pending.set(raw, list);
  raw.once('close', () => {
    pending.delete(raw);
    for (const run of list) run();
  });
}
