/**
 * The Lua scripts of the Redis telemetry store: each append or trace save, with the retention it triggers, runs
 * as one script, so no other client ever sees a cursor without its event or a half-evicted trace.
 *
 * Keys, under P = `<prefix>:telemetry` (built inside the scripts, so this store targets a single Redis server,
 * not a cluster): `P:cursors` hash session -> last cursor, `P:floor` highest cursor of a forgotten session,
 * `P:seq` global event number, `P:trace_seq` trace age, `P:ev:<seq>` hash (s session, c cursor, t trace, r run,
 * k task, y type, d JSON), sorted sets `P:all` (seq), `P:ses:<session>` (by cursor), `P:tr:<trace>`, `P:run:<run>`,
 * `P:task:<task>` (by seq), `P:traces` (trace -> age), hash `P:records` (trace -> JSON), and `P:order`, a
 * lexicographic index "started_at NUL age NUL trace" for newest-first listing, with `P:order_member` to find an
 * entry again when its trace is saved anew.
 *
 * ARGV[1] = P, ARGV[2..4] = maxTraces, maxEventsPerSession, maxEvents; the rest per script.
 */

const COMMON = `
local P = ARGV[1]
local maxTraces = tonumber(ARGV[2])
local maxPerSession = tonumber(ARGV[3])
local maxEvents = tonumber(ARGV[4])
local CURSORS, FLOOR, ALL, TRACES = P .. ':cursors', P .. ':floor', P .. ':all', P .. ':traces'
local RECORDS, ORDER, ORDER_MEMBER = P .. ':records', P .. ':order', P .. ':order_member'

-- A session whose last event is gone is forgotten, but its cursor raises the floor new sessions count on from,
-- so a client holding an old cursor of it never skips a new event.
local function forgetIfEmpty(sid)
  if redis.call('EXISTS', P .. ':ses:' .. sid) == 1 then return end
  local last = tonumber(redis.call('HGET', CURSORS, sid) or '0')
  if last > tonumber(redis.call('GET', FLOOR) or '0') then redis.call('SET', FLOOR, last) end
  redis.call('HDEL', CURSORS, sid)
end

local function unlinkEvent(seq, fromTrace)
  local key = P .. ':ev:' .. seq
  local f = redis.call('HMGET', key, 's', 't', 'r', 'k')
  if not f[1] then return nil end
  redis.call('DEL', key)
  redis.call('ZREM', ALL, seq)
  redis.call('ZREM', P .. ':ses:' .. f[1], seq)
  if f[3] ~= '' then redis.call('ZREM', P .. ':run:' .. f[3], seq) end
  if f[4] ~= '' then redis.call('ZREM', P .. ':task:' .. f[4], seq) end
  if fromTrace then redis.call('ZREM', P .. ':tr:' .. f[2], seq) end
  forgetIfEmpty(f[1])
  return f[2]
end

local function dropTrace(tid)
  for _, seq in ipairs(redis.call('ZRANGE', P .. ':tr:' .. tid, 0, -1)) do unlinkEvent(seq, false) end
  redis.call('DEL', P .. ':tr:' .. tid)
  redis.call('ZREM', TRACES, tid)
  redis.call('HDEL', RECORDS, tid)
  local member = redis.call('HGET', ORDER_MEMBER, tid)
  if member then
    redis.call('ZREM', ORDER, member)
    redis.call('HDEL', ORDER_MEMBER, tid)
  end
end

-- One event on its own (a session bound): a trace it leaves empty and never saved goes too.
local function dropEvent(seq)
  local tid = unlinkEvent(seq, true)
  if tid and redis.call('EXISTS', P .. ':tr:' .. tid) == 0 and redis.call('HEXISTS', RECORDS, tid) == 0 then
    redis.call('ZREM', TRACES, tid)
  end
end

local function oldestTraceExcept(current)
  for _, tid in ipairs(redis.call('ZRANGE', TRACES, 0, 1)) do
    if tid ~= current then return tid end
  end
  return nil
end

local function ensureTrace(tid)
  local age = redis.call('ZSCORE', TRACES, tid)
  if age then return tonumber(age) end
  age = redis.call('INCR', P .. ':trace_seq')
  redis.call('ZADD', TRACES, age, tid)
  return age
end

-- The in-memory store's rules, exactly: the session's oldest events past its bound; then the oldest traces but
-- the current one past maxTraces; then, past maxEvents, the oldest traces but the current one (or, when only the
-- current one is left, its oldest events).
local function enforce(current, sid)
  if sid then
    local ses = P .. ':ses:' .. sid
    local excess = redis.call('ZCARD', ses) - maxPerSession
    if excess > 0 then
      for _, seq in ipairs(redis.call('ZRANGE', ses, 0, excess - 1)) do dropEvent(seq) end
    end
  end
  while redis.call('ZCARD', TRACES) > maxTraces do
    local victim = oldestTraceExcept(current)
    if not victim then break end
    dropTrace(victim)
  end
  while redis.call('ZCARD', ALL) > maxEvents do
    local victim = oldestTraceExcept(current)
    if victim then
      dropTrace(victim)
    else
      local oldest = redis.call('ZRANGE', ALL, 0, 0)[1]
      if not oldest then break end
      dropEvent(oldest)
    end
  end
end
`;

/** ARGV[5..10] = session, trace, run ('' if none), task ('' if none), event type, event JSON. Returns the cursor. */
export const APPEND_EVENT_SCRIPT = `${COMMON}
local sid, tid, rid, kid, etype, data = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
if redis.call('HEXISTS', CURSORS, sid) == 0 then
  redis.call('HSET', CURSORS, sid, redis.call('GET', FLOOR) or '0')
end
local cursor = redis.call('HINCRBY', CURSORS, sid, 1)
local seq = redis.call('INCR', P .. ':seq')
redis.call('HSET', P .. ':ev:' .. seq, 's', sid, 'c', cursor, 't', tid, 'r', rid, 'k', kid, 'y', etype, 'd', data)
redis.call('ZADD', ALL, seq, seq)
redis.call('ZADD', P .. ':ses:' .. sid, cursor, seq)
redis.call('ZADD', P .. ':tr:' .. tid, seq, seq)
if rid ~= '' then redis.call('ZADD', P .. ':run:' .. rid, seq, seq) end
if kid ~= '' then redis.call('ZADD', P .. ':task:' .. kid, seq, seq) end
ensureTrace(tid)
enforce(tid, sid)
return cursor
`;

/** ARGV[5..7] = trace id, trace JSON, started_at. */
export const SAVE_TRACE_SCRIPT = `${COMMON}
local tid, data, started = ARGV[5], ARGV[6], ARGV[7]
local age = ensureTrace(tid)
redis.call('HSET', RECORDS, tid, data)
local old = redis.call('HGET', ORDER_MEMBER, tid)
if old then redis.call('ZREM', ORDER, old) end
local member = started .. '\\0' .. string.format('%016d', age) .. '\\0' .. tid
redis.call('ZADD', ORDER, 0, member)
redis.call('HSET', ORDER_MEMBER, tid, member)
enforce(tid, nil)
return age
`;
