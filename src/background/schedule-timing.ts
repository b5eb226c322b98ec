import { nextCronTime, parseCronExpression } from './cron-expression.ts';
import type { ScheduleSpec } from './schedule-spec.ts';

/**
 * Due-time arithmetic on epoch milliseconds (spec 6.1). Interval occurrences keep their phase
 * (`start + k * seconds`), so a late dispatch never drifts the schedule; cron occurrences are found by croner in the
 * schedule's time zone.
 */

const DAY_MS = 24 * 3600 * 1000;

/** The first due time of a schedule set up at `nowMs`; null for manual schedules or when none is left. */
export function firstDueAt(spec: ScheduleSpec, nowMs: number): number | null {
  const start = spec.start_at === null ? nowMs : Math.max(nowMs, Date.parse(spec.start_at));
  let due: number | null;
  switch (spec.type) {
    case 'manual':
      return null;
    case 'once':
      due = Date.parse(spec.run_at as string);
      break;
    case 'interval':
      due = start + (spec.seconds as number) * 1000;
      break;
    case 'cron':
      due = nextCronTime(parseCronExpression(spec.expression as string), spec.timezone, start);
      break;
  }
  return withinEnd(spec, due);
}

/** The occurrence after `dueMs` (strictly later); null for one-off schedules or past `end_at`. */
export function occurrenceAfter(spec: ScheduleSpec, dueMs: number): number | null {
  switch (spec.type) {
    case 'manual':
    case 'once':
      return null;
    case 'interval':
      return withinEnd(spec, dueMs + (spec.seconds as number) * 1000);
    case 'cron':
      return withinEnd(spec, nextCronTime(parseCronExpression(spec.expression as string), spec.timezone, dueMs + 1));
  }
}

/** The latest occurrence at or before `nowMs`, starting from the due time `fromMs` (itself at or before `nowMs`). */
export function latestOccurrence(spec: ScheduleSpec, fromMs: number, nowMs: number): number {
  if (spec.type === 'interval') {
    const step = (spec.seconds as number) * 1000;
    const latest = fromMs + Math.floor((nowMs - fromMs) / step) * step;
    const end = spec.end_at === null ? Infinity : Date.parse(spec.end_at);
    return latest <= end ? latest : fromMs + Math.floor((end - fromMs) / step) * step;
  }
  let latest = fromMs;
  // After a long gap, start looking a day back: every occurrence before that is missed whatever the policy.
  if (spec.type === 'cron' && nowMs - fromMs > DAY_MS) {
    const recent = nextCronTime(parseCronExpression(spec.expression as string), spec.timezone, nowMs - DAY_MS);
    if (recent !== null && recent <= nowMs && withinEnd(spec, recent) !== null) latest = recent;
  }
  for (let next = occurrenceAfter(spec, latest); next !== null && next <= nowMs; next = occurrenceAfter(spec, latest)) {
    latest = next;
  }
  return latest;
}

function withinEnd(spec: ScheduleSpec, due: number | null): number | null {
  if (due === null) return null;
  return spec.end_at !== null && due > Date.parse(spec.end_at) ? null : due;
}
