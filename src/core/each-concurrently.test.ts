import { describe, expect, it } from 'vitest';
import { eachConcurrently } from './each-concurrently.ts';

describe('eachConcurrently', () => {
  it('never has more than the limit pending, and does every item', async () => {
    let pending = 0;
    let most = 0;
    const done: number[] = [];
    await eachConcurrently([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      pending += 1;
      most = Math.max(most, pending);
      await new Promise((resolve) => setTimeout(resolve, n % 3));
      pending -= 1;
      done.push(n);
    });
    expect(most).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('attempts every item when some fail, then throws the first failure', async () => {
    const seen: number[] = [];
    const run = eachConcurrently([1, 2, 3, 4], 2, async (n) => {
      seen.push(n);
      if (n % 2 === 0) throw new Error(`item ${n} failed`);
    });
    await expect(run).rejects.toThrow('item 2 failed');
    expect(seen.sort()).toEqual([1, 2, 3, 4]);
  });

  it('does nothing for no items', async () => {
    await eachConcurrently([], 4, async () => {
      throw new Error('never called');
    });
  });
});
