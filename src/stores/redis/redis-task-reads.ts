import type { Redis } from 'ioredis';
import type { BackgroundRun, RunStatus } from '../../background/run-record.ts';
import type { RunCounts } from '../../background/task-store.ts';

const CHUNK = 500;

/** The `data` of each hash, parsed, in the order of `keys` (null where a key is gone), pipelined in chunks. */
export async function readData<T>(redis: Redis, keys: readonly string[]): Promise<(T | null)[]> {
  const out: (T | null)[] = [];
  for (let start = 0; start < keys.length; start += CHUNK) {
    const pipeline = redis.pipeline();
    for (const key of keys.slice(start, start + CHUNK)) pipeline.hget(key, 'data');
    for (const [error, value] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      out.push(typeof value === 'string' ? (JSON.parse(value) as T) : null);
    }
  }
  return out;
}

export function present<T>(values: readonly (T | null)[]): T[] {
  return values.filter((value): value is T => value !== null);
}

/** Runs counted by status from one of the count hashes (fields at zero are left out). */
export function countsOf(hash: Record<string, string>): RunCounts {
  const byStatus: Partial<Record<RunStatus, number>> = {};
  let total = 0;
  for (const [status, text] of Object.entries(hash)) {
    const n = Number(text);
    if (n <= 0) continue;
    byStatus[status as RunStatus] = n;
    total += n;
  }
  return { total, byStatus };
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Newest first, by `queued_at` then `run_id`, as the port lists runs. */
export function newestFirst(a: BackgroundRun, b: BackgroundRun): number {
  return compare(b.queued_at, a.queued_at) || compare(b.run_id, a.run_id);
}
