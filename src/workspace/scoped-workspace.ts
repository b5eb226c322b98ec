import type { Workspace, WorkspaceEntry } from './workspace.ts';
import { WorkspaceError } from './workspace-errors.ts';
import { normalizeWorkspacePath, workspaceSegments } from './workspace-path.ts';

/**
 * A view of a workspace confined to one directory (a background run's `workspace_path`): every path is checked on
 * its own before the directory is put in front, so no spelling reaches a sibling run's files. An unsafe path
 * rejects the returned promise, like every other failure, rather than throwing before it. A `WorkspaceError` names
 * the file as the caller did, relative to this directory.
 */
export class ScopedWorkspace implements Workspace {
  readonly directory: string;
  readonly #inner: Workspace;

  constructor(inner: Workspace, directory: string) {
    this.#inner = inner;
    this.directory = normalizeWorkspacePath(directory);
  }

  async writeFile(path: string, content: string): Promise<void> {
    return this.#scoped(this.#inner.writeFile(this.#at(path), content));
  }

  async appendFile(path: string, content: string): Promise<void> {
    return this.#scoped(this.#inner.appendFile(this.#at(path), content));
  }

  async readFile(path: string): Promise<string | null> {
    return this.#scoped(this.#inner.readFile(this.#at(path)));
  }

  /** `directory` may be `''` or `.` for the scope's own root. */
  async list(directory: string): Promise<WorkspaceEntry[]> {
    const root = directory === '' || directory === '.' ? this.directory : this.#at(directory);
    return this.#scoped(this.#inner.list(root));
  }

  async remove(path: string): Promise<void> {
    return this.#scoped(this.#inner.remove(this.#at(path)));
  }

  #at(path: string): string {
    return `${this.directory}/${workspaceSegments(path).join('/')}`;
  }

  async #scoped<T>(operation: Promise<T>): Promise<T> {
    try {
      return await operation;
    } catch (error) {
      const inside = `${this.directory}/`;
      if (error instanceof WorkspaceError && error.path.startsWith(inside)) throw error.at(error.path.slice(inside.length));
      throw error;
    }
  }
}
