/**
 * Path safety for workspaces: every path a caller gives is relative to the workspace root and can never leave it.
 * These checks are lexical; the local adapter adds the symlink checks that need the file system.
 */

/** A path that would leave the workspace root, or is not a usable relative path. */
export class UnsafeWorkspacePathError extends Error {
  override name = 'UnsafeWorkspacePathError';
}

/**
 * Checks a relative workspace path and returns its segments. Refused: empty paths, absolute paths (`/x`, `C:\x`),
 * backslashes, NUL and other control characters, and `.`/`..` segments, so no spelling can climb out of the root.
 */
export function workspaceSegments(path: string): string[] {
  if (typeof path !== 'string' || path === '') throw new UnsafeWorkspacePathError('workspace path must not be empty');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\\]/.test(path)) {
    throw new UnsafeWorkspacePathError(`workspace path ${JSON.stringify(path)} must not contain backslashes or control characters`);
  }
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) {
    throw new UnsafeWorkspacePathError(`workspace path ${JSON.stringify(path)} must be relative`);
  }
  const segments = path.split('/').filter((segment) => segment !== '');
  if (segments.length === 0) throw new UnsafeWorkspacePathError('workspace path must name something');
  for (const segment of segments) {
    if (segment === '.' || segment === '..') {
      throw new UnsafeWorkspacePathError(`workspace path ${JSON.stringify(path)} must not contain "." or ".." segments`);
    }
  }
  return segments;
}

/** The normalized form of a relative workspace path (`a//b/` becomes `a/b`). */
export function normalizeWorkspacePath(path: string): string {
  return workspaceSegments(path).join('/');
}

const PLACEHOLDER = /\{([^{}]*)\}/g;

/**
 * Fills a namespace template such as `background/{agent_id}/{task_id}/{run_id}`. Only the given names may appear;
 * each value must be a single safe segment, and the result must be a safe relative path.
 */
export function renderNamespace(template: string, values: Readonly<Record<string, string>>): string {
  const rendered = template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new UnsafeWorkspacePathError(`namespace template placeholder {${name}} is not one of ${Object.keys(values).map((k) => `{${k}}`).join(', ')}`);
    }
    if (value.includes('/') || workspaceSegments(value).length !== 1) {
      throw new UnsafeWorkspacePathError(`value ${JSON.stringify(value)} for {${name}} is not a single path segment`);
    }
    return value;
  });
  if (/[{}]/.test(rendered)) throw new UnsafeWorkspacePathError(`namespace template ${JSON.stringify(template)} has an unbalanced brace`);
  return normalizeWorkspacePath(rendered);
}
