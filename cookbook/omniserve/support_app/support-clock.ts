/** What the support app knows of time: today's UTC date, and the current instant for timestamps it writes. */
export interface SupportClock {
  /** Today as YYYY-MM-DD (UTC). */
  today(): string;
  /** Now as YYYY-MM-DDTHH:MM:SSZ (UTC, whole seconds). */
  now(): string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The machine's clock. */
export const systemClock: SupportClock = {
  today: () => new Date().toISOString().slice(0, 10),
  now: () => `${new Date().toISOString().slice(0, 19)}Z`,
};

/**
 * A clock pinned to one day (SUPPORT_TODAY): `today()` is that day, and `now()` is that day at the machine's time
 * of day, so writes on the same day still come out in order.
 */
export function fixedDayClock(day: string): SupportClock {
  if (!isCalendarDay(day)) throw new Error(`expected a calendar day as YYYY-MM-DD, got "${day}"`);
  return {
    today: () => day,
    now: () => `${day}T${new Date().toISOString().slice(11, 19)}Z`,
  };
}

/** True for a real YYYY-MM-DD date (2025-02-30 is not one); false, never a throw, for anything else. */
export function isCalendarDay(text: string): boolean {
  if (!DAY.test(text)) return false;
  // Month 13 or day 45 give an invalid Date, whose toISOString() would throw a RangeError naming nothing.
  const time = Date.parse(`${text}T00:00:00Z`);
  // Day 30 of February rolls over into March, so the round trip is what proves the day exists.
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === text;
}

/** Whole days from `from` to `to` (both YYYY-MM-DD); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The YYYY-MM-DD `days` days after `day` (before, when negative). */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
