import { z } from 'zod';
import { CronExpressionError, isTimeZone, nextCronTime, parseCronExpression } from './cron-expression.ts';
import { utcDateTime } from './utc-datetime.ts';

export const SCHEDULE_TYPES = ['manual', 'interval', 'cron', 'once'] as const;
export type ScheduleType = (typeof SCHEDULE_TYPES)[number];

/**
 * What happens to occurrences that came due while nothing could dispatch them (a pause, downtime):
 * `skip_missed` runs only an occurrence that is at most `MISFIRE_GRACE_SECONDS` late, `run_once` runs the latest
 * missed one once, `queue_all` runs every missed one.
 */
export const MISFIRE_POLICIES = ['skip_missed', 'run_once', 'queue_all'] as const;
export type MisfirePolicy = (typeof MISFIRE_POLICIES)[number];

/** The field each schedule type takes; the other types must leave it unset. */
const OWN_FIELD = { interval: 'seconds', cron: 'expression', once: 'run_at' } as const;

export const MAX_INTERVAL_SECONDS = 10 * 365 * 24 * 3600;
/**
 * Shortest interval: a schedule firing many times a second would flood the store and the model (the reference
 * takes any positive number); work that frequent belongs in the agent, not in a schedule.
 */
export const MIN_INTERVAL_SECONDS = 1;

const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? null);

export const ScheduleSpecSchema = z
  .strictObject({
    type: z.enum(SCHEDULE_TYPES),
    // Ten years: longer intervals are a mistake, and they overflow date arithmetic long before they are useful.
    seconds: optional(z.number().gte(MIN_INTERVAL_SECONDS, `interval seconds must be at least ${MIN_INTERVAL_SECONDS}`).lte(MAX_INTERVAL_SECONDS)),
    expression: optional(z.string()),
    run_at: optional(utcDateTime('run_at')),
    timezone: z
      .string()
      .refine(isTimeZone, { message: 'timezone must be an IANA time zone name such as UTC or Europe/Paris' })
      .default('UTC'),
    start_at: optional(utcDateTime('start_at')),
    end_at: optional(utcDateTime('end_at')),
    jitter_seconds: optional(z.number().gte(0).lte(MAX_INTERVAL_SECONDS)),
    misfire_policy: z.enum(MISFIRE_POLICIES).default('skip_missed'),
  })
  .superRefine((spec, ctx) => {
    const problem = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
    for (const [type, field] of Object.entries(OWN_FIELD)) {
      if (spec.type !== type && spec[field] !== null) problem(field, `${field} is only for ${type} schedules, not ${spec.type}`);
    }
    if (spec.type === 'interval' && spec.seconds === null) problem('seconds', 'interval schedules need seconds greater than 0');
    if (spec.type === 'once' && spec.run_at === null) problem('run_at', 'once schedules need run_at');
    if (spec.type === 'cron') checkCron(spec, problem);
    if (spec.start_at !== null && spec.end_at !== null && spec.end_at <= spec.start_at) {
      problem('end_at', 'end_at must be later than start_at');
    }
  });

function checkCron(spec: { expression: string | null; timezone: string; start_at: string | null }, problem: (field: string, message: string) => void): void {
  if (spec.expression === null) {
    problem('expression', 'cron schedules need a 5-field expression such as "*/15 * * * *"');
    return;
  }
  try {
    const parsed = parseCronExpression(spec.expression);
    if (!isTimeZone(spec.timezone)) return;
    const from = Math.max(Date.now(), spec.start_at === null ? 0 : Date.parse(spec.start_at));
    if (nextCronTime(parsed, spec.timezone, from) === null) {
      problem('expression', `cron expression "${spec.expression}" never matches within the next 366 days`);
    }
  } catch (error) {
    if (!(error instanceof CronExpressionError)) throw error;
    problem('expression', error.message);
  }
}

/** A checked schedule: every field present, datetimes as UTC ISO strings, unset ones null. */
export type ScheduleSpec = z.output<typeof ScheduleSpecSchema>;
export type ScheduleSpecInput = z.input<typeof ScheduleSpecSchema>;
