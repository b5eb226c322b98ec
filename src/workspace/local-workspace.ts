import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { makeDirectory } from '../core/make-directory.ts';
import type { Workspace, WorkspaceEntry } from './workspace.ts';
import { WorkspaceFileNotFoundError, WorkspaceIoError, WorkspaceIsDirectoryError } from './workspace-errors.ts';
import { UnsafeWorkspacePathError, workspaceSegments } from './workspace-path.ts';

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * A workspace in a local directory: files live under `<root>/files/` (spec 10). Besides the lexical checks, every
 * path component is checked with `lstat` and a symbolic link anywhere on the way is refused, and files are opened
 * with O_NOFOLLOW, so a link planted inside the workspace cannot redirect a write or a read outside it. File system
 * errors are retold as `WorkspaceIoError`, naming the path as the caller gave it rather than where it is on disk.
 */
export class LocalWorkspace implements Workspace {
  readonly root: string;
  readonly #files: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.#files = join(this.root, 'files');
  }

  async writeFile(path: string, content: string): Promise<void> {
    await this.#guard('write', path, () => this.#write(path, content, constants.O_TRUNC));
  }

  async appendFile(path: string, content: string): Promise<void> {
    await this.#guard('append', path, () => this.#write(path, content, constants.O_APPEND));
  }

  async readFile(path: string): Promise<string | null> {
    return this.#guard('read', path, async () => {
      const target = await this.#locate(path, false);
      if (target === null) return null;
      const handle = await open(target, constants.O_RDONLY | NOFOLLOW).catch(missingAsNull);
      if (handle === null) return null;
      try {
        // A directory opens for reading on most systems; it is no file, as in a bucket, where it is only a prefix.
        if ((await handle.stat()).isDirectory()) return null;
        return await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    });
  }

  async list(directory: string): Promise<WorkspaceEntry[]> {
    return this.#guard('list', directory, async () => {
      const base = await this.#locate(directory, false);
      if (base === null) return [];
      const info = await lstat(base).catch(missingAsNull);
      if (info === null || !info.isDirectory()) return [];
      const out: WorkspaceEntry[] = [];
      await this.#walk(base, '', out);
      return out.sort((a, b) => a.path.localeCompare(b.path));
    });
  }

  async remove(path: string): Promise<void> {
    const relative = workspaceSegments(path).join('/');
    await this.#guard('remove', path, async () => {
      const target = await this.#locate(path, false);
      const info = target === null ? null : await lstat(target).catch(missingAsNull);
      if (target === null || info === null) throw new WorkspaceFileNotFoundError(relative);
      if (info.isDirectory()) throw new WorkspaceIsDirectoryError(relative);
      await unlink(target).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'ENOENT' ? new WorkspaceFileNotFoundError(relative) : error;
      });
    });
  }

  /** Runs one operation, retelling a system error (whose message holds the absolute path) by the relative path. */
  async #guard<T>(operation: string, path: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      if (!isSystemError(error)) throw error;
      throw WorkspaceIoError.from(operation, workspaceSegments(path).join('/'), error);
    }
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
    if (create) await makeDirectory(this.#files);
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

function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

function missingAsNull(error: NodeJS.ErrnoException): null {
  if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
  throw error;
}
