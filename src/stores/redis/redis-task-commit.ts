import type { Redis } from 'ioredis';

/**
 * The one Lua script of the Redis task store: an optimistic transaction's commit. The store reads what it needs
 * (records with their versions, counts), plans the change with the pure rules of `run-changes.ts`, and sends the
 * result here with the conditions it read under; the script checks them all and applies every write, or changes
 * nothing and says which condition failed. It is WATCH/MULTI in one round trip, safe on a connection shared by
 * concurrent callers (a WATCH is per connection, so ioredis cannot run several at once on one), and the rules
 * still live once, in TypeScript.
 *
 * ARGV[1] is JSON `{ "v": <version counter key>, "c": [checks], "o": [writes] }`; every value in it is a string
 * (numbers too, so Lua never rounds a score). Checks:
 *   ["v", key, version]        the hash's `version` is this ("0": the hash does not exist)
 *   ["zc", key, min, max, n]   ZCOUNT key min max is n
 *   ["zcard", key, n] / ["scard", key, n]
 *   ["absent", key]            the key does not exist
 * Writes:
 *   ["put", key, json]         HSET data, with the version this commit takes from the counter
 *   ["del", key] ["set", key, value] ["sadd", key, member] ["srem", key, member]
 *   ["zadd", key, score, member] ["zrem", key, member] ["rpush", key, value...] ["hincr", key, field, n]
 *   ["hset", key, field, value]
 * Returns 0 when applied, else the 1-based index of the first failed check.
 */
export const COMMIT_SCRIPT = `
local req = cjson.decode(ARGV[1])
for i, c in ipairs(req.c) do
  local kind, key = c[1], c[2]
  local ok
  if kind == 'v' then
    ok = (redis.call('HGET', key, 'version') or '0') == c[3]
  elseif kind == 'zc' then
    ok = redis.call('ZCOUNT', key, c[3], c[4]) == tonumber(c[5])
  elseif kind == 'zcard' then
    ok = redis.call('ZCARD', key) == tonumber(c[3])
  elseif kind == 'scard' then
    ok = redis.call('SCARD', key) == tonumber(c[3])
  elseif kind == 'absent' then
    ok = redis.call('EXISTS', key) == 0
  else
    return redis.error_reply('unknown check ' .. tostring(kind))
  end
  if not ok then return i end
end
local version = nil
for _, o in ipairs(req.o) do
  local op, key = o[1], o[2]
  if op == 'put' then
    version = version or redis.call('INCR', req.v)
    redis.call('HSET', key, 'data', o[3], 'version', version)
  elseif op == 'del' then
    redis.call('DEL', key)
  elseif op == 'set' then
    redis.call('SET', key, o[3])
  elseif op == 'sadd' then
    redis.call('SADD', key, o[3])
  elseif op == 'srem' then
    redis.call('SREM', key, o[3])
  elseif op == 'zadd' then
    redis.call('ZADD', key, o[3], o[4])
  elseif op == 'zrem' then
    redis.call('ZREM', key, o[3])
  elseif op == 'rpush' then
    for j = 3, #o do redis.call('RPUSH', key, o[j]) end
  elseif op == 'hincr' then
    redis.call('HINCRBY', key, o[3], o[4])
  elseif op == 'hset' then
    redis.call('HSET', key, o[3], o[4])
  else
    return redis.error_reply('unknown write ' .. tostring(op))
  end
end
return 0
`;

export type Check =
  | readonly ['v', string, string]
  | readonly ['zc', string, string, string, string]
  | readonly ['zcard' | 'scard', string, string]
  | readonly ['absent', string];

export type Write =
  | readonly ['put' | 'set' | 'sadd' | 'srem' | 'zrem', string, string]
  | readonly ['del', string]
  | readonly ['zadd', string, string, string]
  | readonly ['rpush', string, ...string[]]
  | readonly ['hincr' | 'hset', string, string, string];

interface CommitCommands {
  omniTaskCommit(request: string): Promise<number>;
}

/** The conditions and writes of one optimistic transaction, committed by `COMMIT_SCRIPT`. */
export class RedisCommit {
  readonly #checks: Check[] = [];
  readonly #writes: Write[] = [];
  readonly #checked = new Set<string>();

  /** Adds a condition; the same condition twice is kept once. */
  check(check: Check): void {
    const id = JSON.stringify(check);
    if (this.#checked.has(id)) return;
    this.#checked.add(id);
    this.#checks.push(check);
  }

  write(write: Write): void {
    this.#writes.push(write);
  }

  get empty(): boolean {
    return this.#writes.length === 0;
  }

  /** Null when applied; else the first condition that no longer held (and nothing was written). */
  async commit(redis: Redis, versionKey: string): Promise<Check | null> {
    if (this.empty) return null;
    const request = JSON.stringify({ v: versionKey, c: this.#checks, o: this.#writes });
    const failed = Number(await (redis as Redis & CommitCommands).omniTaskCommit(request));
    return failed === 0 ? null : (this.#checks[failed - 1] ?? ['absent', '?']);
  }
}

/** Registers the commit script on a connection (idempotent: ioredis keeps one definition per name). */
export function defineCommit(redis: Redis): void {
  if (typeof (redis as Partial<CommitCommands>).omniTaskCommit === 'function') return;
  redis.defineCommand('omniTaskCommit', { numberOfKeys: 0, lua: COMMIT_SCRIPT });
}
