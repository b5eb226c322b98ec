import { describe, expect, it } from 'vitest';
import { MAX_SEGMENT_BYTES, normalizeWorkspacePath, renderNamespace, UnsafeWorkspacePathError } from './workspace-path.ts';

const ids = { agent_id: 'a', task_id: 't', run_id: 'r' };

describe('workspace paths', () => {
  it('normalizes relative paths', () => {
    expect(normalizeWorkspacePath('a//b/c/')).toBe('a/b/c');
    expect(normalizeWorkspacePath('report.md')).toBe('report.md');
  });

  it.each(['', '/', '/etc/passwd', '../x', 'a/../../x', 'a/./b', '..', 'C:\\x', 'C:/x', 'a\\..\\b', 'a\u0000b', 'a\nb'])(
    'refuses %j, which could leave the root',
    (path) => {
      expect(() => normalizeWorkspacePath(path)).toThrow(UnsafeWorkspacePathError);
    },
  );

  it('renders the default template and keeps each id a single segment', () => {
    expect(renderNamespace('background/{agent_id}/{task_id}/{run_id}', ids)).toBe('background/a/t/r');
    expect(() => renderNamespace('background/{run_id}', { ...ids, run_id: '..' })).toThrow(UnsafeWorkspacePathError);
    expect(() => renderNamespace('background/{run_id}', { ...ids, run_id: 'x/../../y' })).toThrow(UnsafeWorkspacePathError);
    expect(() => renderNamespace('/abs/{run_id}', ids)).toThrow(UnsafeWorkspacePathError);
    expect(() => renderNamespace('{run_id}/../..', ids)).toThrow(UnsafeWorkspacePathError);
    expect(() => renderNamespace('x/{secret}', ids)).toThrow(/placeholder \{secret\}/);
    expect(() => renderNamespace('x/{run_id', ids)).toThrow(/brace/);
  });

  it('refuses a segment longer than 255 bytes of UTF-8, naming the segment and the limit', () => {
    expect(MAX_SEGMENT_BYTES).toBe(255);
    expect(normalizeWorkspacePath(`a/${'x'.repeat(255)}`)).toBe(`a/${'x'.repeat(255)}`);
    expect(() => normalizeWorkspacePath(`a/${'x'.repeat(256)}/b`)).toThrow(UnsafeWorkspacePathError);
    // 128 two-byte letters: 128 characters, but 256 bytes, which a file system refuses.
    expect(() => normalizeWorkspacePath(`${'é'.repeat(128)}.md`)).toThrow(/is 259 bytes long; a path segment may be at most 255 bytes/);
    expect(() => normalizeWorkspacePath('x'.repeat(300))).toThrow(/^workspace path segment "x{20}\.\.\." is 300 bytes long/);
  });

  it('names the placeholder whose id is too long for a path segment', () => {
    expect(() => renderNamespace('background/{agent_id}/{task_id}/{run_id}', { ...ids, task_id: 't'.repeat(256) })).toThrow(
      /^value for \{task_id\} is 256 bytes long; a path segment may be at most 255 bytes/,
    );
  });
});
