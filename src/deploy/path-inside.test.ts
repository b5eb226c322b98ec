import { describe, expect, it } from 'vitest';
import { pathInside } from './path-inside.ts';

describe('pathInside', () => {
  it.each([
    ['/ctx/agent.ts', 'agent.ts'],
    ['/ctx/..dots.ts', '..dots.ts'],
    ['/ctx/..a/b.ts', '..a/b.ts'],
    ['/ctx/agents/agent file.ts', 'agents/agent file.ts'],
  ])('gives %j as %j', (target, relative) => {
    expect(pathInside('/ctx', target)).toBe(relative);
  });

  it.each(['/ctx', '/ctx/', '/other/a.ts', '/ctx/../a.ts', '/ctxx/a.ts', '/'])('finds %j not inside /ctx', (target) => {
    expect(pathInside('/ctx', target)).toBeUndefined();
  });
});
