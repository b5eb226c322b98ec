/**
 * Path safety for workspaces: every path a caller gives is relative to the workspace root and can never leave it.
 * These checks are lexical; the local adapter adds the symlink checks that need the file system.
 */

/** A path that would leave the workspace root, or is not a usable relative path. */
export class UnsafeWorkspacePathError extends Error {
  override name = 'UnsafeWorkspacePathError';
}

/**
 * The longest file or directory name, in UTF-8 bytes, that common file systems (ext4, APFS, NTFS) take. The S3
 * adapter refuses longer segments too, so a path that works on one backend works on every one, and a run id or a
 * file name that is too long gets this error rather than the file system's ENAMETOOLONG.
 */
export const MAX_SEGMENT_BYTES = 255;

/**
 * Checks a relative workspace path and returns its segments. Refused: empty paths, absolute paths (`/x`, `C:\x`),
 * backslashes, NUL and other control characters, and `.`/`..` segments, so no spelling can climb out of the root;
 * and segments longer than `MAX_SEGMENT_BYTES`.
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
    const bytes = Buffer.byteLength(segment, 'utf8');
    if (bytes > MAX_SEGMENT_BYTES) {
      throw new UnsafeWorkspacePathError(`workspace path segment ${JSON.stringify(clip(segment))} ${tooLong(bytes)}`);
    }
  }
  return segments;
}

function tooLong(bytes: number): string {
  return `is ${bytes} bytes long; a path segment may be at most ${MAX_SEGMENT_BYTES} bytes (UTF-8): use a shorter name`;
}

/** A segment this long is not worth quoting whole in a message. */
function clip(segment: string): string {
  return segment.length <= 40 ? segment : `${segment.slice(0, 20)}...`;
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
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_SEGMENT_BYTES) throw new UnsafeWorkspacePathError(`value for {${name}} ${tooLong(bytes)}`);
    if (value.includes('/') || workspaceSegments(value).length !== 1) {
      throw new UnsafeWorkspacePathError(`value ${JSON.stringify(value)} for {${name}} is not a single path segment`);
    }
    return value;
  });
  if (/[{}]/.test(rendered)) throw new UnsafeWorkspacePathError(`namespace template ${JSON.stringify(template)} has an unbalanced brace`);
  return normalizeWorkspacePath(rendered);
}
