import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/core/errors.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the README documents the error catalogue', () => {
  for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
    it(`lists ${code} with status ${spec.status}`, () => {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, `README.md has no row for ${code} in its Errors table`).toBeDefined();
      expect(row).toContain(`| ${spec.status} |`);
      if (spec.shape === 'envelope') expect(row).toContain(`"error": "${spec.error}"`);
    });
  }
});
