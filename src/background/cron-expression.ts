import { Cron } from 'croner';

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  // 7 is Sunday too (spec 6.1); it is folded into 0 below.
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

/** A cron expression that failed to parse; the message says which field and why. */
export class CronExpressionError extends Error {
  override name = 'CronExpressionError';
}

/**
 * A parsed 5-field cron expression (minute hour day-of-month month day-of-week). Each field takes `*`, numbers,
 * lists (`1,5`), ranges (`1-5`, and wrapping ones such as `22-2` or `FRI-MON`), and steps (`*\/15`, `0-30/10`,
 * `5/20`). Month and weekday names are accepted. When both day fields are restricted, a day matches if either
 * does (classic cron).
 */
export interface CronSchedule {
  readonly expression: string;
  /** The equivalent 6-field pattern (seconds first) with every field spelled out, as croner reads it. */
  readonly pattern: string;
}

export function parseCronExpression(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5 || parts[0] === '') {
    throw new CronExpressionError(
      `cron expression must have 5 fields (minute hour day month weekday), got ${parts[0] === '' ? 0 : parts.length}`,
    );
  }
  const fields = parts.map((text, index) => expandField(text, FIELDS[index] as FieldSpec));
  const spelled = fields.map((values, index) => {
    const spec = FIELDS[index] as FieldSpec;
    const full = topOf(spec) - spec.min + 1 === values.size;
    return full ? '*' : [...values].sort((a, b) => a - b).join(',');
  });
  return { expression: expression.trim(), pattern: `0 ${spelled.join(' ')}` };
}

function expandField(text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new CronExpressionError(`cron ${spec.name} field "${text}" has an empty list item`);
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined) throw new CronExpressionError(`cron ${spec.name} field "${item}" has more than one "/"`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (stepText !== undefined && (!/^\d+$/.test(stepText) || step <= 0)) {
      throw new CronExpressionError(`cron ${spec.name} step in "${item}" must be a whole number greater than 0`);
    }
    let start: number;
    let end: number;
    if (range === '*') {
      [start, end] = [spec.min, topOf(spec)];
    } else if (range.includes('-')) {
      const [from = '', to = '', more] = range.split('-');
      if (more !== undefined) throw new CronExpressionError(`cron ${spec.name} range "${range}" is malformed`);
      [start, end] = [readValue(from, spec), readValue(to, spec)];
    } else {
      start = readValue(range, spec);
      // `5/20` means from 5 to the end of the field, every 20.
      end = stepText === undefined ? start : topOf(spec);
    }
    for (const value of walk(start, end, step, spec)) values.add(value);
  }
  return values;
}

const isWeekday = (spec: FieldSpec) => spec.name === 'day of week';
/** The highest value a field really has (weekday 7 is another name for 0). */
const topOf = (spec: FieldSpec) => (isWeekday(spec) ? 6 : spec.max);

/** Values from start to end by step; a range whose end is below its start wraps around past the field's top. */
function walk(start: number, end: number, step: number, spec: FieldSpec): number[] {
  const top = topOf(spec);
  const span = top - spec.min + 1;
  const from = start % (top + 1);
  const to = end % (top + 1);
  // Weekday 0-7 names Sunday twice: it is the whole week, not the single day it would fold into.
  const length = isWeekday(spec) && start === 0 && end === 7 ? span : to >= from ? to - from + 1 : span - (from - to) + 1;
  const out: number[] = [];
  for (let offset = 0; offset < length; offset += step) {
    const value = from + offset;
    out.push(value > top ? value - span : value);
  }
  return out;
}

function readValue(text: string, spec: FieldSpec): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = named >= 0 ? named + (spec.name === 'month' ? 1 : 0) : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw new CronExpressionError(`cron ${spec.name} value "${text}" must be between ${spec.min} and ${spec.max}`);
  }
  return value;
}

const SEARCH_LIMIT_MS = 366 * 24 * 3600 * 1000;
const jobs = new Map<string, Cron>();

/**
 * The first time at or after `fromMs` that the expression matches in the time zone, searched up to 366 days ahead
 * (spec 6.1); null when there is none. Local times skipped by a DST change run at the first valid minute after the
 * gap; local times repeated by one run once, at their first occurrence.
 */
export function nextCronTime(schedule: CronSchedule, timezone: string, fromMs: number): number | null {
  const key = `${timezone} ${schedule.pattern}`;
  let job = jobs.get(key);
  if (job === undefined) {
    job = new Cron(schedule.pattern, { timezone, paused: true, legacyMode: true });
    if (jobs.size > 1_000) jobs.clear();
    jobs.set(key, job);
  }
  // croner looks strictly after the (whole second of the) given time, so step back one millisecond.
  const next = job.nextRun(new Date(fromMs - 1));
  if (next === null || next.getTime() - fromMs > SEARCH_LIMIT_MS) return null;
  return next.getTime();
}

/** True when `zone` is an IANA time zone name this runtime knows. */
export function isTimeZone(zone: string): boolean {
  if (zone.trim() === '' || zone !== zone.trim()) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
