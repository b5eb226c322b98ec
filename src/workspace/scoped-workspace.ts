import type { Workspace, WorkspaceEntry } from './workspace.ts';
import { normalizeWorkspacePath, workspaceSegments } from './workspace-path.ts';

/**
 * A view of a workspace confined to one directory (a background run's `workspace_path`): every path is checked on
 * its own before the directory is put in front, so no spelling reaches a sibling run's files. An unsafe path
 * rejects the returned promise, like every other failure, rather than throwing before it.
 */
export class ScopedWorkspace implements Workspace {
  readonly directory: string;
  readonly #inner: Workspace;

  constructor(inner: Workspace, directory: string) {
    this.#inner = inner;
    this.directory = normalizeWorkspacePath(directory);
  }

  async writeFile(path: string, content: string): Promise<void> {
    return this.#inner.writeFile(this.#at(path), content);
  }

  async appendFile(path: string, content: string): Promise<void> {
    return this.#inner.appendFile(this.#at(path), content);
  }

  async readFile(path: string): Promise<string | null> {
    return this.#inner.readFile(this.#at(path));
  }

  /** `directory` may be `''` or `.` for the scope's own root. */
  async list(directory: string): Promise<WorkspaceEntry[]> {
    const root = directory === '' || directory === '.' ? this.directory : this.#at(directory);
    return this.#inner.list(root);
  }

  async remove(path: string): Promise<void> {
    return this.#inner.remove(this.#at(path));
  }

  #at(path: string): string {
    return `${this.directory}/${workspaceSegments(path).join('/')}`;
  }
}
