import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalWorkspace } from './local-workspace.ts';
import { WorkspaceIoError } from './workspace-errors.ts';
import { UnsafeWorkspacePathError } from './workspace-path.ts';

let root: string;
let outside: string;
let workspace: LocalWorkspace;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ws-root-'));
  outside = await mkdtemp(join(tmpdir(), 'ws-outside-'));
  workspace = new LocalWorkspace(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('LocalWorkspace', () => {
  it('writes, appends, reads and lists files under <root>/files', async () => {
    await workspace.writeFile('runs/r1/run.json', '{}');
    await workspace.appendFile('runs/r1/events.jsonl', 'a\n');
    await workspace.appendFile('runs/r1/events.jsonl', 'b\n');
    await workspace.writeFile('runs/r1/out/output.md', '# done');
    expect(await readFile(join(root, 'files/runs/r1/run.json'), 'utf8')).toBe('{}');
    expect(await workspace.readFile('runs/r1/events.jsonl')).toBe('a\nb\n');
    expect(await workspace.readFile('runs/r1/missing')).toBeNull();
    const listed = await workspace.list('runs/r1');
    expect(listed.map((entry) => [entry.path, entry.name, entry.is_dir])).toEqual([
      ['events.jsonl', 'events.jsonl', false],
      ['out', 'out', true],
      ['out/output.md', 'output.md', false],
      ['run.json', 'run.json', false],
    ]);
    expect(Date.parse(listed[0]?.modified_at ?? '')).not.toBeNaN();
    expect(await workspace.list('runs/none')).toEqual([]);
    await workspace.remove('runs/r1/out/output.md');
    expect((await workspace.list('runs/r1')).map((entry) => entry.name)).toEqual(['events.jsonl', 'out', 'run.json']);
  });

  it.each(['../escape.txt', '/etc/x', 'a/../../escape.txt'])('refuses to write %j', async (path) => {
    await expect(workspace.writeFile(path, 'x')).rejects.toBeInstanceOf(UnsafeWorkspacePathError);
  });

  it('refuses to go through a symbolic link planted in the workspace, for writes, reads and listings', async () => {
    await mkdir(join(root, 'files', 'runs'), { recursive: true });
    await symlink(outside, join(root, 'files', 'runs', 'evil'));
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await expect(workspace.writeFile('runs/evil/pwned.txt', 'x')).rejects.toBeInstanceOf(UnsafeWorkspacePathError);
    await expect(workspace.readFile('runs/evil/secret.txt')).rejects.toBeInstanceOf(UnsafeWorkspacePathError);
    await expect(workspace.list('runs/evil')).rejects.toBeInstanceOf(UnsafeWorkspacePathError);
    expect((await workspace.list('runs')).map((entry) => entry.name)).toEqual([]);
    await symlink(join(outside, 'secret.txt'), join(root, 'files', 'runs', 'link.txt'));
    await expect(workspace.appendFile('runs/link.txt', 'x')).rejects.toBeInstanceOf(UnsafeWorkspacePathError);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('reports file system failures with the path relative to the workspace, never the server directory', async () => {
    await workspace.writeFile('runs/out/a.txt', 'x');
    const onDirectory = await workspace.writeFile('runs/out', 'x').catch((error: unknown) => error);
    expect(onDirectory).toBeInstanceOf(WorkspaceIoError);
    expect(onDirectory).toMatchObject({ code: 'EISDIR', path: 'runs/out' });
    expect((onDirectory as Error).message).toBe('could not write "runs/out" in the workspace: EISDIR (illegal operation on a directory)');
    // Segments within the limit can still add up to more than the file system takes in one path.
    const deep = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(250, 'd')).join('/');
    const tooDeep = await workspace.writeFile(`${deep}/f.txt`, 'x').catch((error: unknown) => error);
    expect(tooDeep).toBeInstanceOf(WorkspaceIoError);
    expect((tooDeep as Error).message).toMatch(/^could not write "0d{249}\/1d{249}\/.*\/f\.txt" in the workspace: ENAMETOOLONG/);
    for (const error of [onDirectory, tooDeep]) {
      expect(String((error as Error).message)).not.toContain(root);
      expect(JSON.stringify(error)).not.toContain(root);
      expect((error as Error).stack ?? '').not.toContain(root);
    }
  });
});
