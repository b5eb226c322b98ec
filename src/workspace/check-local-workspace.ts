import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, unlink } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { makeDirectory } from '../core/make-directory.ts';
import { ConfigError } from '../core/errors.ts';

export interface CheckLocalWorkspaceOptions {
  /** The variable the directory comes from, for the message. */
  readonly variable?: string;
  /** What a relative directory is resolved against; the process's working directory unless given. */
  readonly cwd?: string;
}

/**
 * Proves at start-up that the local workspace can hold run files, as the bucket check does for S3: `<dir>/files/` is
 * created when missing, and a probe file is created and removed in it. Otherwise a directory that is a regular file,
 * or one the server may not write, surfaces only as runs whose `run.json` and `events.jsonl` are silently missing.
 * Rejects with a `ConfigError` of one line naming the variable, the path and the reason.
 */
export async function checkLocalWorkspace(directory: string, options: CheckLocalWorkspaceOptions = {}): Promise<void> {
  const variable = options.variable ?? 'OMNICOREAGENT_WORKSPACE_DIR';
  const root = resolve(options.cwd ?? process.cwd(), directory);
  const files = join(root, 'files');
  const shown = isAbsolute(directory) ? directory : `${directory} (${root})`;
  const fail = (reason: string): never => {
    throw new ConfigError([`${variable}=${shown} cannot hold run workspaces: ${reason}`]);
  };
  const elsewhere = `point ${variable} at a directory (a missing one is created)`;
  const rootInfo = await lstat(root).catch(() => null);
  if (rootInfo !== null && !rootInfo.isDirectory() && !rootInfo.isSymbolicLink()) fail(`it is a file, not a directory; ${elsewhere}`);
  try {
    await makeDirectory(files);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOTDIR') fail(`a part of the path is a file, not a directory; ${elsewhere}`);
    if (code === 'EEXIST') fail(`${files} is a file, not a directory; move it away, or point ${variable} at another directory`);
    fail(describeCode(code, variable));
  }
  const probe = join(files, `.write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    await handle.close();
    await unlink(probe);
  } catch (error) {
    fail(describeCode((error as NodeJS.ErrnoException).code ?? 'EIO', variable));
  }
}

function describeCode(code: string, variable: string): string {
  if (code === 'EACCES' || code === 'EPERM') {
    return `it cannot be written (${code}); give the server's user write access, or point ${variable} at a writable directory`;
  }
  if (code === 'EROFS') return `it is on a read-only file system (EROFS); point ${variable} at a writable directory, such as a volume`;
  if (code === 'ENOSPC') return 'the disk is full (ENOSPC)';
  return `it cannot be created or written (${code})`;
}
