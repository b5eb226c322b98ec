import { describe, expect, it } from 'vitest';
import { ScopedWorkspace } from '../scoped-workspace.ts';
import type { Workspace, WorkspaceEntry } from '../workspace.ts';
import { WorkspaceFileNotFoundError, WorkspaceIoError, WorkspaceIsDirectoryError } from '../workspace-errors.ts';
import { UnsafeWorkspacePathError } from '../workspace-path.ts';

export interface WorkspaceHarness {
  /** A new, empty workspace (its own directory or key prefix), so tests never see each other's files. */
  open(): Promise<Workspace>;
}

const UNSAFE_PATHS = [
  '', '/', '../escape.txt', '/etc/passwd', 'a/../../escape.txt', 'a/./b', '..', 'C:\\x', 'a\\..\\b', 'a\u0000b',
  // One byte past the longest name a file system takes for one segment; S3 keys follow the same rule.
  `a/${'n'.repeat(256)}`, `${'é'.repeat(128)}/x`,
];

const shape = (entries: readonly WorkspaceEntry[]) => entries.map(({ path, name, is_dir }) => [path, name, is_dir]);

/** The Workspace contract (spec 10), run unchanged against every adapter. */
export function workspaceConformance(name: string, harness: () => WorkspaceHarness): void {
  describe(`Workspace conformance: ${name}`, () => {
    it('reads back what was written, replaces on write, and reads a missing file as null', async () => {
      const workspace = await harness().open();
      expect(await workspace.readFile('report.md')).toBeNull();
      await workspace.writeFile('report.md', 'first');
      await workspace.writeFile('report.md', 'second, longer');
      expect(await workspace.readFile('report.md')).toBe('second, longer');
      await workspace.writeFile('deep/er/still/file.txt', 'héllo wörld ✓ 日本');
      expect(await workspace.readFile('deep/er/still/file.txt')).toBe('héllo wörld ✓ 日本');
      await workspace.writeFile('empty.txt', '');
      expect(await workspace.readFile('empty.txt')).toBe('');
      expect(await workspace.readFile('deep/er/missing.txt')).toBeNull();
      expect(await workspace.readFile('nothing/here/at/all.txt')).toBeNull();
    });

    it('appends, creating the file and its directories first', async () => {
      const workspace = await harness().open();
      await workspace.appendFile('logs/events.jsonl', '{"n":1}\n');
      await workspace.appendFile('logs/events.jsonl', '{"n":2}\n');
      expect(await workspace.readFile('logs/events.jsonl')).toBe('{"n":1}\n{"n":2}\n');
    });

    it('lists files and their directories recursively, sorted, with paths relative to the listed directory', async () => {
      const workspace = await harness().open();
      await workspace.writeFile('runs/r1/run.json', '{}');
      await workspace.appendFile('runs/r1/events.jsonl', 'a\n');
      await workspace.writeFile('runs/r1/out/output.md', '# done');
      await workspace.writeFile('runs/r1/out/deeper/notes.txt', 'n');
      await workspace.writeFile('runs/r2/other.txt', 'not listed under r1');
      const listed = await workspace.list('runs/r1');
      expect(shape(listed)).toEqual([
        ['events.jsonl', 'events.jsonl', false],
        ['out', 'out', true],
        ['out/deeper', 'deeper', true],
        ['out/deeper/notes.txt', 'notes.txt', false],
        ['out/output.md', 'output.md', false],
        ['run.json', 'run.json', false],
      ]);
      for (const entry of listed) expect(new Date(entry.modified_at).toISOString()).toBe(entry.modified_at);
      expect(shape(await workspace.list('runs/r1/out/'))).toEqual([
        ['deeper', 'deeper', true],
        ['deeper/notes.txt', 'notes.txt', false],
        ['output.md', 'output.md', false],
      ]);
      expect(shape(await workspace.list('runs'))).toContainEqual(['r2/other.txt', 'other.txt', false]);
    });

    it('lists nothing for a missing directory or a file', async () => {
      const workspace = await harness().open();
      await workspace.writeFile('a/file.txt', 'x');
      expect(await workspace.list('missing')).toEqual([]);
      expect(await workspace.list('a/file.txt')).toEqual([]);
    });

    it('removes one file, and nothing that only shares a name prefix', async () => {
      const workspace = await harness().open();
      for (const path of ['out/a.txt', 'out/sub/b.txt', 'out.txt', 'output.md']) await workspace.writeFile(path, path);
      await workspace.remove('out.txt');
      expect(await workspace.readFile('out.txt')).toBeNull();
      await workspace.remove('out/sub/b.txt');
      expect(await workspace.readFile('out/sub/b.txt')).toBeNull();
      expect(await workspace.readFile('out/a.txt')).toBe('out/a.txt');
      expect(await workspace.readFile('output.md')).toBe('output.md');
    });

    it('refuses to remove a directory, and removes nothing', async () => {
      const workspace = await harness().open();
      await workspace.writeFile('out/a.txt', 'a');
      await workspace.writeFile('out/sub/b.txt', 'b');
      for (const path of ['out', 'out/', 'out/sub']) {
        const error = await workspace.remove(path).catch((caught: unknown) => caught);
        expect(error, path).toBeInstanceOf(WorkspaceIsDirectoryError);
        expect((error as WorkspaceIsDirectoryError).path).toBe(path.replace(/\/$/, ''));
      }
      expect(shape(await workspace.list('out'))).toEqual([
        ['a.txt', 'a.txt', false],
        ['sub', 'sub', true],
        ['sub/b.txt', 'b.txt', false],
      ]);
    });

    it('never lets a file and a directory share a path, writing nothing', async () => {
      const workspace = await harness().open();
      await workspace.writeFile('w/f.txt', 'f');
      await workspace.writeFile('w/d/inner.txt', 'i');
      for (const write of [() => workspace.writeFile('w/f.txt/sub.txt', 'x'), () => workspace.appendFile('w/f.txt/sub.txt', 'x')]) {
        const error = await write().catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(UnsafeWorkspacePathError);
        expect(String((error as Error).message)).toContain('"w/f.txt/sub.txt" goes through a file');
      }
      for (const write of [() => workspace.writeFile('w/d', 'x'), () => workspace.appendFile('w/d', 'x')]) {
        const error = await write().catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(WorkspaceIoError);
        expect(String((error as Error).message)).toContain('EISDIR');
      }
      expect(shape(await workspace.list('w'))).toEqual([
        ['d', 'd', true],
        ['d/inner.txt', 'inner.txt', false],
        ['f.txt', 'f.txt', false],
      ]);
    });

    it('says so when the file to remove does not exist', async () => {
      const workspace = await harness().open();
      await workspace.writeFile('present.txt', 'p');
      for (const path of ['missing.txt', 'never/existed.txt']) {
        const error = await workspace.remove(path).catch((caught: unknown) => caught);
        expect(error, path).toBeInstanceOf(WorkspaceFileNotFoundError);
        expect((error as WorkspaceFileNotFoundError).path).toBe(path);
      }
      expect(await workspace.readFile('present.txt')).toBe('p');
    });

    it('reads a directory as no file', async () => {
      const workspace = await harness().open();
      await workspace.writeFile('dir/inner.txt', 'i');
      expect(await workspace.readFile('dir')).toBeNull();
    });

    it('lists more entries than one page of a remote listing', async () => {
      const workspace = await harness().open();
      const names = Array.from({ length: 12 }, (_, i) => `many/f${String(i).padStart(2, '0')}.txt`);
      await Promise.all(names.map((path) => workspace.writeFile(path, path)));
      const listed = await workspace.list('many');
      expect(listed.map((entry) => entry.path)).toEqual(names.map((path) => path.slice('many/'.length)));
    });

    it('keeps names with spaces and non-ASCII letters as they are', async () => {
      const workspace = await harness().open();
      await workspace.writeFile('my notes/résumé 1.md', 'r');
      expect(shape(await workspace.list('my notes'))).toEqual([['résumé 1.md', 'résumé 1.md', false]]);
      expect(await workspace.readFile('my notes//résumé 1.md')).toBe('r');
    });

    it.each(UNSAFE_PATHS)('refuses the unsafe path %j in every method', async (path) => {
      const workspace = await harness().open();
      await expect(workspace.writeFile(path, 'x')).rejects.toBeInstanceOf(UnsafeWorkspacePathError);
      await expect(workspace.appendFile(path, 'x')).rejects.toBeInstanceOf(UnsafeWorkspacePathError);
      await expect(workspace.readFile(path)).rejects.toBeInstanceOf(UnsafeWorkspacePathError);
      await expect(workspace.list(path)).rejects.toBeInstanceOf(UnsafeWorkspacePathError);
      await expect(workspace.remove(path)).rejects.toBeInstanceOf(UnsafeWorkspacePathError);
    });

    it('confines a scoped view to its directory', async () => {
      const workspace = await harness().open();
      await workspace.writeFile('background/a/t/run_2/secret.txt', 'sibling');
      const scoped = new ScopedWorkspace(workspace, 'background/a/t/run_1');
      await scoped.writeFile('output.md', 'mine');
      expect(await workspace.readFile('background/a/t/run_1/output.md')).toBe('mine');
      expect(shape(await scoped.list(''))).toEqual([['output.md', 'output.md', false]]);
      await expect(scoped.readFile('../run_2/secret.txt')).rejects.toBeInstanceOf(UnsafeWorkspacePathError);
      await expect(scoped.remove('..')).rejects.toBeInstanceOf(UnsafeWorkspacePathError);
      await expect(scoped.remove('../run_2')).rejects.toBeInstanceOf(UnsafeWorkspacePathError);
      expect(await workspace.readFile('background/a/t/run_2/secret.txt')).toBe('sibling');
    });
  });
}
