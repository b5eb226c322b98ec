import { describe, expect, it } from 'vitest';
import { retryDelaySeconds, RetryPolicySchema, runSessionId } from './policies.ts';
import { RUN_STATUSES, TERMINAL_STATUSES } from './run-record.ts';
import { canTransition, predecessorsOf } from './run-state-machine.ts';

describe('run state machine (spec 6.2)', () => {
  it('allows exactly the listed transitions', () => {
    const allowed = RUN_STATUSES.flatMap((from) => RUN_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`));
    expect(allowed.sort()).toEqual(
      [
        'queued->claimed', 'queued->cancelled', 'queued->skipped',
        'claimed->queued', 'claimed->running', 'claimed->cancelled', 'claimed->failed',
        'running->retrying', 'running->awaiting_approval', 'running->awaiting_budget', 'running->completed', 'running->failed', 'running->timeout', 'running->cancelled',
        'retrying->queued', 'retrying->cancelled',
        'awaiting_approval->queued', 'awaiting_approval->cancelled', 'awaiting_budget->queued', 'awaiting_budget->cancelled',
      ].sort(),
    );
    for (const terminal of TERMINAL_STATUSES) expect(RUN_STATUSES.some((to) => canTransition(terminal, to))).toBe(false);
    expect(predecessorsOf('running')).toEqual(['claimed']);
  });
});

describe('policies', () => {
  it('computes retry delays: none without retries, fixed, exponential capped', () => {
    const policy = (input: object) => RetryPolicySchema.parse(input);
    expect(retryDelaySeconds(policy({ max_retries: 0, initial_delay_seconds: 5 }), 1)).toBe(0);
    expect([1, 2, 3].map((n) => retryDelaySeconds(policy({ max_retries: 3, initial_delay_seconds: 5, backoff: 'fixed' }), n))).toEqual([5, 5, 5]);
    expect([1, 2, 3, 4].map((n) => retryDelaySeconds(policy({ max_retries: 5, initial_delay_seconds: 5, max_delay_seconds: 30 }), n))).toEqual([5, 10, 20, 30]);
  });

  it('names sessions by task, by run, or fixed', () => {
    const ids = { agent_id: 'a', task_id: 't', run_id: 'run_1' };
    expect(runSessionId({ mode: 'task', session_id: null }, ids)).toBe('background:a:t');
    expect(runSessionId({ mode: 'run', session_id: null }, ids)).toBe('background:run_1');
    expect(runSessionId({ mode: 'fixed', session_id: 'shared' }, ids)).toBe('shared');
  });
});
