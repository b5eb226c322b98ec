import { newId } from '../core/ids.ts';
import type { BackgroundTask } from './background-records.ts';
import { newRun } from './run-factory.ts';
import type { BackgroundRun, ScheduleState } from './run-record.ts';
import { firstDueAt, latestOccurrence, occurrenceAfter } from './schedule-timing.ts';
import type { DispatchCommit } from './task-store.ts';
import { isoAt } from './utc-datetime.ts';

/** How late an occurrence may be dispatched and still count as on time under `skip_missed`. */
export const MISFIRE_GRACE_MS = 60_000;

export interface DispatchOptions {
  /** Most runs one dispatch of one task creates (`queue_all` catches up over several passes). */
  readonly maxRuns: number;
  /** In [0, 1); jitter is `random() * jitter_seconds`. */
  readonly random?: () => number;
}

/** The state a task starts from (or moves to when its schedule changes) at `nowMs`. */
export function initialScheduleState(task: BackgroundTask, nowMs: number, previous: ScheduleState | null): ScheduleState {
  const due = firstDueAt(task.schedule, nowMs);
  return {
    task_id: task.task_id,
    next_due_at: due === null ? null : isoAt(due),
    last_due_at: previous?.last_due_at ?? null,
    last_dispatched_at: previous?.last_dispatched_at ?? null,
    paused: previous?.paused ?? false,
    paused_reason: previous?.paused_reason ?? null,
    schedule_revision: previous === null ? 1 : previous.schedule_revision + 1,
    misfire_cursor: null,
    updated_at: isoAt(nowMs),
  };
}

/**
 * Plans one dispatch of a due task under its misfire policy (spec 6.1, 6.3):
 * - `queue_all`: a run for every due occurrence, oldest first, up to `maxRuns` per pass;
 * - `run_once`: one run, for the latest due occurrence;
 * - `skip_missed`: one run for the latest due occurrence if it is on time (at most `MISFIRE_GRACE_MS` late, or
 *   already past when the schedule was set, like a `once` time in the past), otherwise none.
 * When occurrences were passed over, `misfire_cursor` records the due time up to which the policy resolved them. The next due time is the occurrence after the last one handled.
 */
export function planDispatch(task: BackgroundTask, state: ScheduleState, nowMs: number, options: DispatchOptions): DispatchCommit {
  const spec = task.schedule;
  const first = Date.parse(state.next_due_at as string);
  const dues: number[] = [];
  let handled: number;
  let missed = false;
  if (spec.misfire_policy === 'queue_all') {
    handled = first;
    dues.push(first);
    for (let next = occurrenceAfter(spec, handled); next !== null && next <= nowMs && dues.length < options.maxRuns; next = occurrenceAfter(spec, handled)) {
      dues.push(next);
      handled = next;
    }
  } else {
    handled = latestOccurrence(spec, first, nowMs);
    const onTime = nowMs - handled <= MISFIRE_GRACE_MS || handled <= Date.parse(state.updated_at);
    if (spec.misfire_policy === 'run_once' || onTime) dues.push(handled);
    missed = dues.length === 0 || handled > first;
  }
  const next = occurrenceAfter(spec, handled);
  const now = isoAt(nowMs);
  const random = options.random ?? Math.random;
  const runs: BackgroundRun[] = dues.map((due) => {
    const jitterMs = spec.jitter_seconds === null ? 0 : Math.floor(random() * spec.jitter_seconds * 1000);
    return newRun(task, {
      type: spec.type,
      runId: newId('run'),
      triggeredAt: now,
      dueAt: isoAt(due),
      queuedAt: isoAt(Math.max(nowMs, due + jitterMs)),
      revision: state.schedule_revision,
      metadata: { misfire_policy: spec.misfire_policy, ...(jitterMs > 0 ? { jitter_ms: jitterMs } : {}) },
    });
  });
  return {
    taskId: task.task_id,
    expect: { schedule_revision: state.schedule_revision, next_due_at: state.next_due_at },
    state: {
      ...state,
      next_due_at: next === null ? null : isoAt(next),
      last_due_at: isoAt(dues.at(-1) ?? handled),
      last_dispatched_at: dues.length > 0 ? now : state.last_dispatched_at,
      misfire_cursor: missed ? isoAt(handled) : state.misfire_cursor,
      updated_at: now,
    },
    runs,
    now,
  };
}
