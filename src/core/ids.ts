import { randomUUID } from 'node:crypto';

/**
 * `<prefix>_<32 hex>`, the id format the wire uses for runs, events, spans and sessions. The hex is a v4 UUID's
 * (122 random bits): Node draws those from a cached entropy pool, several times faster than fresh random bytes,
 * and ids are minted for every telemetry event.
 */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}
