import { randomBytes } from 'node:crypto';

/** `<prefix>_<32 hex>`, the id format the wire uses for runs, events, spans and sessions. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`;
}
