import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { checkLocalWorkspace } from './check-local-workspace.ts';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'ws-check-'));
});
afterEach(async () => {
  await chmod(base, 0o700).catch(() => undefined);
  await rm(base, { recursive: true, force: true });
});

async function problem(directory: string): Promise<string> {
  const error = await checkLocalWorkspace(directory).then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(ConfigError);
  const { problems } = error as ConfigError;
  expect(problems).toHaveLength(1);
  return problems[0] ?? '';
}

describe('checkLocalWorkspace', () => {
  it('creates a missing directory and leaves only files/ behind', async () => {
    const directory = join(base, 'new', 'workspace');
    await checkLocalWorkspace(directory);
    expect(await readdir(directory)).toEqual(['files']);
    expect(await readdir(join(directory, 'files'))).toEqual([]);
  });

  it('takes an existing writable directory as it is', async () => {
    await mkdir(join(base, 'files', 'background'), { recursive: true });
    await checkLocalWorkspace(base);
    expect(await readdir(join(base, 'files'))).toEqual(['background']);
  });

  it('refuses a regular file, naming the variable, the path and the reason', async () => {
    const file = join(base, 'workspace.txt');
    await writeFile(file, 'not a directory');
    expect(await problem(file)).toBe(
      `OMNICOREAGENT_WORKSPACE_DIR=${file} cannot hold run workspaces: it is a file, not a directory; ` +
        'point OMNICOREAGENT_WORKSPACE_DIR at a directory (a missing one is created)',
    );
  });

  it('refuses a path under a regular file, and a files/ that is a file', async () => {
    const file = join(base, 'plain');
    await writeFile(file, 'x');
    expect(await problem(join(file, 'workspace'))).toBe(
      `OMNICOREAGENT_WORKSPACE_DIR=${join(file, 'workspace')} cannot hold run workspaces: a part of the path is a file, not a directory; ` +
        'point OMNICOREAGENT_WORKSPACE_DIR at a directory (a missing one is created)',
    );
    await writeFile(join(base, 'files'), 'x');
    expect(await problem(base)).toBe(
      `OMNICOREAGENT_WORKSPACE_DIR=${base} cannot hold run workspaces: ${join(base, 'files')} is a file, not a directory; ` +
        'move it away, or point OMNICOREAGENT_WORKSPACE_DIR at another directory',
    );
  });

  it('resolves a relative path against the working directory, and names it both ways', async () => {
    await checkLocalWorkspace('no/such/../dir', { cwd: base });
    expect(await readdir(join(base, 'no'))).toEqual(['dir']);
    await writeFile(join(base, 'taken'), 'x');
    expect(await checkLocalWorkspace('taken', { cwd: base }).catch((error: ConfigError) => error.problems[0])).toBe(
      `OMNICOREAGENT_WORKSPACE_DIR=taken (${join(base, 'taken')}) cannot hold run workspaces: it is a file, not a directory; ` +
        'point OMNICOREAGENT_WORKSPACE_DIR at a directory (a missing one is created)',
    );
  });

  // Root may write anywhere, so the permission check cannot fail for it.
  const asRoot = process.getuid?.() === 0;
  it.skipIf(asRoot)(`refuses a directory the server cannot write to${asRoot ? ' (skipped: running as root, which may write anywhere)' : ''}`, async () => {
    await chmod(base, 0o500);
    expect(await problem(base)).toMatch(
      new RegExp(`^OMNICOREAGENT_WORKSPACE_DIR=${base} cannot hold run workspaces: it cannot be written \\((EACCES|EPERM)\\); give the server's user write access`),
    );
  });
});
