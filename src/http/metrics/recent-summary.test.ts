import { describe, expect, it } from 'vitest';
import { RecentSummary } from './recent-summary.ts';

describe('RecentSummary', () => {
  it('prints nothing before the first observation', () => {
    expect(new RecentSummary({ name: 'x_seconds', help: 'h', window: 3 }).render()).toBe('');
  });

  it('keeps count and sum cumulative and averages only the latest window', () => {
    const summary = new RecentSummary({ name: 'x_seconds', help: 'Request time', window: 2 });
    for (const value of [10, 1, 3]) summary.observe(value);
    expect(summary.render()).toBe(
      '# HELP x_seconds Request time\n# TYPE x_seconds summary\nx_seconds_count 3\nx_seconds_sum 14.000000\nx_seconds_avg 2.000000\n',
    );
  });
});
