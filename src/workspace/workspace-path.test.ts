import { describe, expect, it } from 'vitest';
import { normalizeWorkspacePath, renderNamespace, UnsafeWorkspacePathError } from './workspace-path.ts';

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
});
