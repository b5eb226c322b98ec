import { isAbsolute, relative, sep } from 'node:path';

/**
 * `target` relative to `dir` with POSIX separators, or undefined when it is not strictly inside. Only `..` itself or
 * a `..` segment means outside: `..dots.ts` is a file name like any other.
 */
export function pathInside(dir: string, target: string): string | undefined {
  const rel = relative(dir, target);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}
