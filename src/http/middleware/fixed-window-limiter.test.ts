import { describe, expect, it } from 'vitest';
import { FixedWindowLimiter } from './fixed-window-limiter.ts';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('FixedWindowLimiter', () => {
  it('allows `limit` requests per key in a window that starts at the first one, then refuses', () => {
    const time = clock();
    const limiter = new FixedWindowLimiter({ limit: 2, windowMs: 10_000, maxKeys: 100, now: time.now });
    expect(limiter.hit('a')).toEqual({ allowed: true, limit: 2, remaining: 1, resetAtMs: 1_010_000 });
    time.advance(9_000);
    expect(limiter.hit('a')).toEqual({ allowed: true, limit: 2, remaining: 0, resetAtMs: 1_010_000 });
    expect(limiter.hit('a')).toEqual({ allowed: false, limit: 2, remaining: 0, resetAtMs: 1_010_000 });
    expect(limiter.hit('b').allowed).toBe(true);
    // Fixed, not sliding: the window ends 10 s after the first request, whatever came later.
    time.advance(1_000);
    expect(limiter.hit('a')).toEqual({ allowed: true, limit: 2, remaining: 1, resetAtMs: 1_020_000 });
  });

  it('forgets keys whose window has ended', () => {
    const time = clock();
    const limiter = new FixedWindowLimiter({ limit: 5, windowMs: 1_000, maxKeys: 1_000, now: time.now });
    for (let i = 0; i < 500; i += 1) limiter.hit(`old-${i}`);
    expect(limiter.size).toBe(500);
    time.advance(1_000);
    limiter.hit('new');
    expect(limiter.size).toBe(1);
  });

  it('stays bounded under 100 000 distinct clients within one window', () => {
    const limiter = new FixedWindowLimiter({ limit: 5, windowMs: 60_000, maxKeys: 10_000, now: () => 0 });
    let allowed = 0;
    for (let i = 0; i < 100_000; i += 1) {
      if (limiter.hit(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`).allowed) allowed += 1;
    }
    expect(allowed).toBe(100_000);
    expect(limiter.size).toBe(10_000);
    // The newest clients are the ones still tracked.
    const last = `10.1.134.159`;
    for (let i = 0; i < 4; i += 1) limiter.hit(last);
    expect(limiter.hit(last).allowed).toBe(false);
  });

  it('rejects settings that cannot limit anything', () => {
    expect(() => new FixedWindowLimiter({ limit: 0, windowMs: 1, maxKeys: 1 })).toThrow(RangeError);
    expect(() => new FixedWindowLimiter({ limit: 1, windowMs: 0, maxKeys: 1 })).toThrow(RangeError);
  });
});
