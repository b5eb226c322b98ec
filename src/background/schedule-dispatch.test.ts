import { describe, expect, it } from 'vitest';
import { CronExpressionError, nextCronTime, parseCronExpression } from './cron-expression.ts';
import { initialScheduleState, MISFIRE_GRACE_MS, planDispatch } from './schedule-dispatch.ts';
import { ScheduleSpecSchema, type ScheduleSpecInput } from './schedule-spec.ts';
import { firstDueAt } from './schedule-timing.ts';
import { sampleTask } from './testing/sample-records.ts';

const ms = (iso: string) => Date.parse(iso);
const iso = (time: number) => new Date(time).toISOString();
const schedule = (input: ScheduleSpecInput) => ScheduleSpecSchema.parse(input);
const taskWith = (input: ScheduleSpecInput) => sampleTask({ schedule: schedule(input) });

/** Every due time a schedule yields from `start` until `end`, dispatching on time. */
function dueTimes(input: ScheduleSpecInput, start: string, end: string): string[] {
  const task = taskWith(input);
  let state = initialScheduleState(task, ms(start), null);
  const out: string[] = [];
  while (state.next_due_at !== null && state.next_due_at <= end) {
    const commit = planDispatch(task, state, ms(state.next_due_at), { maxRuns: 25 });
    out.push(...commit.runs.map((run) => run.due_at as string));
    state = commit.state;
  }
  return out;
}

describe('cron expressions', () => {
  it.each([
    ['*/15 * * * *', '0 0,15,30,45 * * * *'],
    ['0 22-2 * * *', '0 0 0,1,2,22,23 * * *'],
    ['0 0 * * 7', '0 0 0 * * 0'],
    ['0 0 * * 0-7', '0 0 0 * * *'],
    ['0 9 * * MON-FRI', '0 0 9 * * 1,2,3,4,5'],
    ['0 0 * * FRI-MON', '0 0 0 * * 0,1,5,6'],
    ['0 0 30-2 * *', '0 0 0 1,2,30,31 * *'],
    ['5/20 * * * *', '0 5,25,45 * * * *'],
    ['0 12 1 jan,jul *', '0 0 12 1 1,7 *'],
  ])('reads %s (lists, wrapping ranges, steps, names, 7 = Sunday)', (expression, pattern) => {
    expect(parseCronExpression(expression).pattern).toBe(pattern);
  });

  it.each([
    ['* * * *', /5 fields/],
    ['* * * * * *', /5 fields/],
    ['60 * * * *', /minute value "60" must be between 0 and 59/],
    ['* 24 * * *', /hour value "24"/],
    ['* * 0 * *', /day of month value "0"/],
    ['* * * 13 *', /month value "13"/],
    ['* * * * 8', /day of week value "8"/],
    ['*/0 * * * *', /step .* greater than 0/],
    ['1-2-3 * * * *', /malformed/],
  ])('refuses %s, saying why', (expression, message) => {
    expect(() => parseCronExpression(expression)).toThrow(CronExpressionError);
    expect(() => parseCronExpression(expression)).toThrow(message);
  });

  it('ORs the day fields when both are restricted, as cron does', () => {
    const fridayOr13th = parseCronExpression('0 0 13 * 5');
    expect(iso(nextCronTime(fridayOr13th, 'UTC', ms('2030-01-01T00:00:00Z')) as number)).toBe('2030-01-04T00:00:00.000Z');
  });

  it('gives up after 366 days', () => {
    expect(nextCronTime(parseCronExpression('0 0 29 2 *'), 'UTC', ms('2030-03-01T00:00:00Z'))).toBeNull();
    expect(nextCronTime(parseCronExpression('0 0 29 2 *'), 'UTC', ms('2031-03-01T00:00:00Z'))).toBe(ms('2032-02-29T00:00:00Z'));
  });
});

describe('due times', () => {
  it('starts an interval at max(now, start_at) + seconds, and keeps its phase', () => {
    expect(dueTimes({ type: 'interval', seconds: 30 }, '2030-01-01T00:00:00Z', '2030-01-01T00:01:30.000Z')).toEqual([
      '2030-01-01T00:00:30.000Z', '2030-01-01T00:01:00.000Z', '2030-01-01T00:01:30.000Z',
    ]);
    expect(firstDueAt(schedule({ type: 'interval', seconds: 30, start_at: '2030-01-02T00:00:00Z' }), ms('2030-01-01T00:00:00Z'))).toBe(ms('2030-01-02T00:00:30Z'));
  });

  it('stops at end_at, and has none for manual schedules', () => {
    expect(dueTimes({ type: 'interval', seconds: 60, end_at: '2030-01-01T00:02:30Z' }, '2030-01-01T00:00:00Z', '2030-12-31')).toEqual([
      '2030-01-01T00:01:00.000Z', '2030-01-01T00:02:00.000Z',
    ]);
    expect(firstDueAt(schedule({ type: 'manual' }), ms('2030-01-01T00:00:00Z'))).toBeNull();
    expect(firstDueAt(schedule({ type: 'once', run_at: '2030-01-01T10:00:00', end_at: '2030-01-01T09:00:00Z' }), 0)).toBeNull();
  });

  it('reads naive datetimes as UTC and converts offsets', () => {
    expect(schedule({ type: 'once', run_at: '2030-01-01T10:00:00' }).run_at).toBe('2030-01-01T10:00:00.000Z');
    expect(schedule({ type: 'once', run_at: '2030-01-01T10:00:00+02:00' }).run_at).toBe('2030-01-01T08:00:00.000Z');
    expect(schedule({ type: 'once', run_at: '2030-01-01' }).run_at).toBe('2030-01-01T00:00:00.000Z');
  });

  it('runs a cron at local wall-clock time across DST changes, once per day', () => {
    const spring = dueTimes({ type: 'cron', expression: '30 2 * * *', timezone: 'America/New_York' }, '2030-03-09T00:00:00Z', '2030-03-12T00:00:00Z');
    // 02:30 does not exist on 10 March: that day's run happens at the first minute after the gap.
    expect(spring).toEqual(['2030-03-09T07:30:00.000Z', '2030-03-10T07:30:00.000Z', '2030-03-11T06:30:00.000Z']);
    const autumn = dueTimes({ type: 'cron', expression: '30 1 * * *', timezone: 'America/New_York' }, '2030-11-02T00:00:00Z', '2030-11-05T00:00:00Z');
    // 01:30 happens twice on 3 November: it runs once.
    expect(autumn).toEqual(['2030-11-02T05:30:00.000Z', '2030-11-03T05:30:00.000Z', '2030-11-04T06:30:00.000Z']);
    expect(dueTimes({ type: 'cron', expression: '0 9 * * 1-5', timezone: 'Europe/Paris' }, '2030-01-04T00:00:00Z', '2030-01-08T00:00:00Z')).toEqual([
      '2030-01-04T08:00:00.000Z', '2030-01-07T08:00:00.000Z',
    ]);
  });

  it('gives occurrence ids of the form <type>:<revision>:<due>', () => {
    const task = taskWith({ type: 'interval', seconds: 60 });
    const state = initialScheduleState(task, ms('2030-01-01T00:00:00Z'), null);
    expect(planDispatch(task, state, ms('2030-01-01T00:01:00Z'), { maxRuns: 25 }).runs[0]?.occurrence_id).toBe('interval:1:2030-01-01T00:01:00.000Z');
  });

  it('delays the start by up to jitter_seconds, never the due time', () => {
    const task = taskWith({ type: 'interval', seconds: 60, jitter_seconds: 10 });
    const state = initialScheduleState(task, ms('2030-01-01T00:00:00Z'), null);
    const [run] = planDispatch(task, state, ms('2030-01-01T00:01:00Z'), { maxRuns: 25, random: () => 0.5 }).runs;
    expect(run).toMatchObject({ due_at: '2030-01-01T00:01:00.000Z', queued_at: '2030-01-01T00:01:05.000Z', trigger_metadata: { jitter_ms: 5000 } });
  });
});

describe('misfire policies', () => {
  // Due at 00:10, 00:20, 00:30, 00:40; the dispatcher comes back at 00:42, two minutes after the latest.
  const missed = (policy: 'skip_missed' | 'run_once' | 'queue_all', back = '2030-01-01T00:42:00Z') => {
    const task = taskWith({ type: 'interval', seconds: 600, misfire_policy: policy });
    const state = initialScheduleState(task, ms('2030-01-01T00:00:00Z'), null);
    return planDispatch(task, state, ms(back), { maxRuns: 25 });
  };

  it('skip_missed runs nothing when the latest occurrence is over the grace late, and moves on', () => {
    const commit = missed('skip_missed');
    expect(commit.runs).toEqual([]);
    expect(commit.state).toMatchObject({ next_due_at: '2030-01-01T00:50:00.000Z', misfire_cursor: '2030-01-01T00:40:00.000Z' });
  });

  it('skip_missed still runs the latest occurrence when it is within the grace', () => {
    const commit = missed('skip_missed', iso(ms('2030-01-01T00:40:00Z') + MISFIRE_GRACE_MS - 1));
    expect(commit.runs.map((run) => run.due_at)).toEqual(['2030-01-01T00:40:00.000Z']);
  });

  it('run_once runs the latest occurrence once', () => {
    expect(missed('run_once').runs.map((run) => run.due_at)).toEqual(['2030-01-01T00:40:00.000Z']);
  });

  it('queue_all runs every missed occurrence, each with its own occurrence id', () => {
    const commit = missed('queue_all');
    expect(commit.runs.map((run) => run.due_at)).toEqual(['2030-01-01T00:10:00.000Z', '2030-01-01T00:20:00.000Z', '2030-01-01T00:30:00.000Z', '2030-01-01T00:40:00.000Z']);
    expect(new Set(commit.runs.map((run) => run.occurrence_id)).size).toBe(4);
    expect(commit.state.next_due_at).toBe('2030-01-01T00:50:00.000Z');
  });

  it('runs a once schedule set in the past (it was never missed)', () => {
    const task = taskWith({ type: 'once', run_at: '2029-12-31T00:00:00Z' });
    const state = initialScheduleState(task, ms('2030-01-01T00:00:00Z'), null);
    const commit = planDispatch(task, state, ms('2030-01-01T00:00:01Z'), { maxRuns: 25 });
    expect(commit.runs).toHaveLength(1);
    expect(commit.state.next_due_at).toBeNull();
  });
});
