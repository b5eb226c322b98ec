import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

const notDirectory = (path: string) => Object.assign(new Error(`EEXIST: ${path} is a file, not a directory`), { code: 'EEXIST', path });

/**
 * `mkdir -p`, one level at a time below the nearest existing directory. Node's own recursive mkdir never returns on
 * some paths the system refuses (under /proc it retries ENOENT forever, at full CPU); here each refusal comes back
 * as the error of its level: ENOTDIR below a file, EEXIST when the path itself is a file, ENOENT, EACCES...
 */
export function makeDirectorySync(path: string): void {
  const missing: string[] = [];
  let dir = resolve(path);
  for (; dirname(dir) !== dir && statSync(dir, { throwIfNoEntry: false }) === undefined; dir = dirname(dir)) missing.unshift(dir);
  if (missing.length === 0 && !statSync(dir).isDirectory()) throw notDirectory(dir);
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (error) {
      // Another process made it in between.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(level).isDirectory()) throw error;
    }
  }
}

/** The asynchronous `makeDirectorySync`. */
export async function makeDirectory(path: string): Promise<void> {
  const missing: string[] = [];
  let dir = resolve(path);
  for (; dirname(dir) !== dir && (await stat(dir).catch(() => undefined)) === undefined; dir = dirname(dir)) missing.unshift(dir);
  if (missing.length === 0 && !(await stat(dir)).isDirectory()) throw notDirectory(dir);
  for (const level of missing) {
    try {
      await mkdir(level);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !(await stat(level)).isDirectory()) throw error;
    }
  }
}
