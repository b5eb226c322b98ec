import { z } from 'zod';

/**
 * Schedules are refused past this instant: beyond year 9999 an ISO string gains a sign and six digits, which
 * neither this parser nor most clients read back, and no real schedule needs it.
 */
export const LATEST_SCHEDULE_MS = Date.UTC(9000, 0, 1);

const ISO_LIKE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Reads an ISO 8601 date or date-time and returns it as a UTC ISO string (`toISOString` form). A time without an
 * offset is taken as UTC (spec 6.1: "naive = UTC"). Returns null for anything else, including impossible dates.
 */
export function parseUtcDateTime(text: string): string | null {
  const match = ISO_LIKE.exec(text.trim());
  if (match === null) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0', zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const millis = Math.floor(Number(`0.${frac}`) * 1000);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (new Date(local).getUTCDate() !== day) return null;
  return new Date(local - offsetMinutes(zone) * 60_000).toISOString();
}

function offsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
}

/** A zod field holding a date-time, normalized to a UTC ISO string. */
export function utcDateTime(field: string): z.ZodType<string, string> {
  return z.string().transform((text, ctx) => {
    const parsed = parseUtcDateTime(text);
    if (parsed === null) {
      ctx.addIssue({ code: 'custom', message: `${field} must be an ISO 8601 date-time such as 2025-01-31T09:00:00Z` });
      return z.NEVER;
    }
    if (Date.parse(parsed) >= LATEST_SCHEDULE_MS) {
      ctx.addIssue({ code: 'custom', message: `${field} must be before 9000-01-01T00:00:00Z` });
      return z.NEVER;
    }
    return parsed;
  });
}

/** `toISOString` of epoch milliseconds. */
export function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}
