/**
 * Failures of workspace operations other than an unsafe path (see `workspace-path.ts`). Each names the file by its
 * path relative to the workspace root, never by where the server keeps it: these messages reach the model and the
 * API, and the server's directories are not theirs to see.
 */
export abstract class WorkspaceError extends Error {
  /** Relative to the root of the workspace that threw. */
  readonly path: string;

  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }

  /** The same failure for a caller that names the file by another relative path (a scoped view of the workspace). */
  abstract at(path: string): WorkspaceError;
}

/** `remove` of a path where there is no file. */
export class WorkspaceFileNotFoundError extends WorkspaceError {
  override name = 'WorkspaceFileNotFoundError';

  constructor(path: string) {
    super(path, `there is no file at ${JSON.stringify(path)} in the workspace`);
  }

  at(path: string): WorkspaceFileNotFoundError {
    return new WorkspaceFileNotFoundError(path);
  }
}

/** `remove` of a directory: only files are removed, one at a time, so no call can take a whole tree by mistake. */
export class WorkspaceIsDirectoryError extends WorkspaceError {
  override name = 'WorkspaceIsDirectoryError';

  constructor(path: string) {
    super(path, `${JSON.stringify(path)} is a directory, and only files can be removed`);
  }

  at(path: string): WorkspaceIsDirectoryError {
    return new WorkspaceIsDirectoryError(path);
  }
}

/**
 * A file system failure (EISDIR, ENAMETOOLONG, EACCES...) retold without the absolute path the system put in its
 * message. The original error is deliberately not kept as `cause`: logging it would print that path after all.
 */
export class WorkspaceIoError extends WorkspaceError {
  override name = 'WorkspaceIoError';
  /** `write`, `append`, `read`, `list` or `remove`. */
  readonly operation: string;
  /** The system error code, such as `EISDIR`. */
  readonly code: string;
  readonly #reason: string;

  constructor(operation: string, path: string, code: string, reason: string) {
    super(path, `could not ${operation} ${JSON.stringify(path)} in the workspace: ${code}${reason === '' ? '' : ` (${reason})`}`);
    this.operation = operation;
    this.code = code;
    this.#reason = reason;
  }

  at(path: string): WorkspaceIoError {
    return new WorkspaceIoError(this.operation, path, this.code, this.#reason);
  }

  /** Wraps a Node.js system error; `reason` is taken from its message, which reads `CODE: reason, syscall 'path'`. */
  static from(operation: string, path: string, error: NodeJS.ErrnoException): WorkspaceIoError {
    const code = error.code ?? 'EIO';
    const reason = /^[A-Z0-9_]+: ([^,]*)/.exec(error.message)?.[1]?.trim() ?? '';
    return new WorkspaceIoError(operation, path, code, reason);
  }
}

/**
 * A remote workspace backend (an S3 or R2 bucket) that could not be used: `unreachable` when no answer came (a
 * refused or reset connection, a DNS failure, a timeout), `refused` when the bucket answered with an error (it is
 * missing, or refuses the credentials). The message names the backend, the bucket and the endpoint, never a secret.
 * Not a `WorkspaceError`: the failure is the bucket's, not any one file's.
 */
export class WorkspaceUnavailableError extends Error {
  override name = 'WorkspaceUnavailableError';
  readonly kind: 'unreachable' | 'refused';
  /** `s3` or `r2`. */
  readonly backend: string;
  readonly bucket: string;
  /** As shown to people: secrets in it masked; `AWS S3` for AWS itself. */
  readonly endpoint: string;

  constructor(
    fields: { readonly kind: 'unreachable' | 'refused'; readonly backend: string; readonly bucket: string; readonly endpoint: string },
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.kind = fields.kind;
    this.backend = fields.backend;
    this.bucket = fields.bucket;
    this.endpoint = fields.endpoint;
  }
}
