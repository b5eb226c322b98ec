import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirectory, makeDirectorySync } from './make-directory.ts';

describe.each([
  ['makeDirectorySync', async (path: string) => makeDirectorySync(path)],
  ['makeDirectory', makeDirectory],
])('%s', (_name, make) => {
  it('creates every missing level, and accepts a directory that exists', async () => {
    const root = mkdtempSync(join(tmpdir(), 'omni-mkdir-'));
    await make(join(root, 'a', 'b', 'c'));
    expect(statSync(join(root, 'a', 'b', 'c')).isDirectory()).toBe(true);
    await make(join(root, 'a', 'b'));
  });

  it('answers a file in the way with ENOTDIR below it and EEXIST on it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'omni-mkdir-'));
    writeFileSync(join(root, 'file'), 'x');
    await expect(make(join(root, 'file', 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(make(join(root, 'file'))).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('returns the refusal of a path the system will not create (where a recursive mkdir never returns)', async () => {
    await expect(make('/proc/omniserve-test/x')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
