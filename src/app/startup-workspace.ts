import type { RemoteWorkspaceConfig } from '../config/workspace-config.ts';
import type { Workspace, WorkspaceEntry } from '../workspace/workspace.ts';

/** Seconds the bucket check at start-up may take; start-up's own budget counts them (startup-budget.ts). */
export const WORKSPACE_CHECK_TIMEOUT_SECONDS = 10;

/** A workspace that holds a connection, released when the server closes. */
interface ClosableWorkspace extends Workspace {
  close(): void | Promise<void>;
}

/**
 * The workspace of a remote backend (S3, R2), which opens at start-up (the SDK is loaded and the bucket checked
 * then), while the background manager is built with the server. Nothing calls before start-up completes: routes
 * are answered and runs executed only after it.
 */
export class StartupWorkspace implements Workspace {
  /** Private: it holds the keys. */
  readonly #config: RemoteWorkspaceConfig;
  #target: ClosableWorkspace | null = null;

  constructor(config: RemoteWorkspaceConfig) {
    this.#config = config;
  }

  /** Loads the S3 adapter (and the AWS SDK) only now that the backend is known to be needed; checks the bucket. */
  async open(options: { readonly timeoutSeconds?: number } = {}): Promise<void> {
    if (this.#target !== null) return;
    const { openS3Workspace } = await import('../workspace/s3/s3-connection.ts');
    this.#target = await openS3Workspace(this.#config, { timeoutSeconds: options.timeoutSeconds ?? WORKSPACE_CHECK_TIMEOUT_SECONDS });
  }

  get #workspace(): Workspace {
    if (this.#target === null) throw new Error('The run workspace is used before the server started');
    return this.#target;
  }

  writeFile(path: string, content: string): Promise<void> {
    return this.#workspace.writeFile(path, content);
  }
  appendFile(path: string, content: string): Promise<void> {
    return this.#workspace.appendFile(path, content);
  }
  readFile(path: string): Promise<string | null> {
    return this.#workspace.readFile(path);
  }
  list(directory: string): Promise<WorkspaceEntry[]> {
    return this.#workspace.list(directory);
  }
  remove(path: string): Promise<void> {
    return this.#workspace.remove(path);
  }

  async close(): Promise<void> {
    const target = this.#target;
    this.#target = null;
    await target?.close();
  }
}
