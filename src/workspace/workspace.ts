/** One file or directory of a workspace listing; `path` is relative to the directory that was listed. */
export interface WorkspaceEntry {
  readonly path: string;
  readonly name: string;
  /** UTC ISO time. */
  readonly modified_at: string;
  readonly is_dir: boolean;
}

/**
 * Per-run files (spec 10): a tree of files under a root, addressed by relative `/`-separated paths that can never
 * leave it (see `workspace-path.ts`). The local adapter keeps them in a directory; an S3 adapter under a key prefix.
 * Every method rejects with `UnsafeWorkspacePathError` for a path that would escape or has a segment over 255
 * bytes; other failures are `WorkspaceError`s (see `workspace-errors.ts`) naming the path relative to the root.
 */
export interface Workspace {
  /** Creates or replaces the file, creating parent directories as needed. */
  writeFile(path: string, content: string): Promise<void>;
  /** Appends to the file, creating it (and its parents) when missing. */
  appendFile(path: string, content: string): Promise<void>;
  /** The file's text, or null when there is no file there (nothing, or a directory). */
  readFile(path: string): Promise<string | null>;
  /** Everything under the directory, recursively, sorted by path; an empty list when it does not exist. */
  list(directory: string): Promise<WorkspaceEntry[]>;
  /**
   * Removes one file. Rejects with `WorkspaceFileNotFoundError` when there is none, and with
   * `WorkspaceIsDirectoryError` for a directory, which is left as it is: whole trees are never removed by one call.
   */
  remove(path: string): Promise<void>;
}
