import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.ts';

describe('GroupCommit', () => {
  it('sends a lone write alone, and writes arriving during a commit together', async () => {
    const groups: number[][] = [];
    const singles: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const writer = new GroupCommit<number, number>({
      single: async (n) => {
        singles.push(n);
        await gate;
        return n * 10;
      },
      commitGroup: async (ops) => {
        groups.push([...ops]);
        return ops.map((n) => n * 10);
      },
    });
    const first = writer.submit(1);
    await Promise.resolve();
    await Promise.resolve();
    const rest = [writer.submit(2), writer.submit(3), writer.submit(4)];
    release();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40]);
    expect(singles).toEqual([1]);
    expect(groups).toEqual([[2, 3, 4]]);
  });

  it('retries a failed group one by one, so only the bad write fails', async () => {
    const writer = new GroupCommit<number, number>({
      single: async (n) => {
        if (n === 2) throw new Error('bad 2');
        return n;
      },
      commitGroup: async () => {
        throw new Error('group failed');
      },
    });
    const results = await Promise.allSettled([writer.submit(1), writer.submit(2), writer.submit(3)]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([1, 'bad 2', 3]);
  });
});
