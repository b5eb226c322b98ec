import { UnsafeWorkspacePathError, normalizeWorkspacePath } from './workspace-path.ts';

/**
 * Where a background run's query says its workspace is (spec 6.3 `workspace_path: /workspace/<path>`). The server
 * keeps no directory there: it is a name the model reads, so a model that copies it into a tool call must be
 * understood, while every other absolute path stays refused.
 */
export const ADVERTISED_WORKSPACE_ROOT = '/workspace';

/** The absolute form a run's query gives for the workspace directory `directory`. */
export function advertisedWorkspacePath(directory: string): string {
  return `${ADVERTISED_WORKSPACE_ROOT}/${normalizeWorkspacePath(directory)}`;
}

/**
 * `path` relative to the workspace of `directory`: a path that starts with that workspace's advertised root loses
 * the root (the root alone gives `''`), any other path is returned unchanged for the usual checks. A different
 * absolute path is refused here, with a message that shows the accepted forms.
 */
export function relativeToAdvertisedRoot(path: string, directory: string): string {
  const root = advertisedWorkspacePath(directory);
  // Extra slashes after the root are as harmless as inside a relative path (`a//b` is `a/b`).
  if (path === root || path.startsWith(`${root}/`)) return path.slice(root.length).replace(/^\/+/, '');
  if (path.startsWith('/')) {
    throw new UnsafeWorkspacePathError(
      `workspace path ${JSON.stringify(path)} must be relative to the workspace root (such as output.md or notes/a.md), ` +
        `or start with this run's workspace_path ${root}/`,
    );
  }
  return path;
}
