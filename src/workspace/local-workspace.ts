import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Workspace, WorkspaceEntry } from './workspace.ts';
import { UnsafeWorkspacePathError, workspaceSegments } from './workspace-path.ts';

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * A workspace in a local directory: files live under `<root>/files/` (spec 10). Besides the lexical checks, every
 * path component is checked with `lstat` and a symbolic link anywhere on the way is refused, and files are opened
 * with O_NOFOLLOW, so a link planted inside the workspace cannot redirect a write or a read outside it.
 */
export class LocalWorkspace implements Workspace {
  readonly root: string;
  readonly #files: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.#files = join(this.root, 'files');
  }

  async writeFile(path: string, content: string): Promise<void> {
    await this.#write(path, content, constants.O_TRUNC);
  }

  async appendFile(path: string, content: string): Promise<void> {
    await this.#write(path, content, constants.O_APPEND);
  }

  async readFile(path: string): Promise<string | null> {
    const target = await this.#locate(path, false);
    if (target === null) return null;
    const handle = await open(target, constants.O_RDONLY | NOFOLLOW).catch(missingAsNull);
    if (handle === null) return null;
    try {
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  }

  async list(directory: string): Promise<WorkspaceEntry[]> {
    const base = await this.#locate(directory, false);
    if (base === null) return [];
    const info = await lstat(base).catch(missingAsNull);
    if (info === null || !info.isDirectory()) return [];
    const out: WorkspaceEntry[] = [];
    await this.#walk(base, '', out);
    return out.sort((a, b) => a.path.localeCompare(b.path));
  }

  async remove(path: string): Promise<void> {
    const target = await this.#locate(path, false);
    if (target !== null) await rm(target, { recursive: true, force: true });
  }

  async #write(path: string, content: string, mode: number): Promise<void> {
    const target = (await this.#locate(path, true)) as string;
    const handle = await open(target, constants.O_WRONLY | constants.O_CREAT | mode | NOFOLLOW, 0o644);
    try {
      await handle.writeFile(content, 'utf8');
    } finally {
      await handle.close();
    }
  }

  async #walk(directory: string, prefix: string, out: WorkspaceEntry[]): Promise<void> {
    for (const entry of await readdir(directory, { withFileTypes: true })) {
      // Links are never listed nor followed: what they point at is not part of the workspace.
      if (entry.isSymbolicLink()) continue;
      const full = join(directory, entry.name);
      const info = await lstat(full).catch(missingAsNull);
      if (info === null) continue;
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      out.push({ path, name: entry.name, modified_at: info.mtime.toISOString(), is_dir: info.isDirectory() });
      if (info.isDirectory()) await this.#walk(full, path, out);
    }
  }

  /**
   * The absolute path for `path`, checking each existing component: a link or (before the last) a non-directory is
   * refused. With `create`, missing parent directories are made; without, a missing component gives null.
   */
  async #locate(path: string, create: boolean): Promise<string | null> {
    const segments = workspaceSegments(path);
    if (create) await mkdir(this.#files, { recursive: true });
    let current = this.#files;
    for (const [index, segment] of segments.entries()) {
      current = join(current, segment);
      const last = index === segments.length - 1;
      let info = await lstat(current).catch(missingAsNull);
      if (info === null && create && !last) {
        await mkdir(current).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error;
        });
        info = await lstat(current);
      }
      if (info === null) {
        if (create && last) return current;
        return null;
      }
      if (info.isSymbolicLink()) {
        throw new UnsafeWorkspacePathError(`workspace path ${JSON.stringify(path)} goes through a symbolic link`);
      }
      if (!last && !info.isDirectory()) {
        throw new UnsafeWorkspacePathError(`workspace path ${JSON.stringify(path)} goes through a file`);
      }
    }
    return current;
  }
}

function missingAsNull(error: NodeJS.ErrnoException): null {
  if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
  throw error;
}
