import { describe, expect, it } from 'vitest';
import { assignToolNames } from './assign-tool-names.ts';
import type { McpListedTool } from './mcp-tool-info.ts';

function tools(server: string, ...names: string[]): McpListedTool[] {
  return names.map((originalName) => ({ server, originalName, description: '', inputSchema: { type: 'object' } }));
}

describe('assignToolNames', () => {
  it('keeps names that are unique', () => {
    const named = assignToolNames([tools('a', 'add'), tools('b', 'echo')]);
    expect(named.map((tool) => [tool.server, tool.name, tool.originalName])).toEqual([
      ['a', 'add', 'add'],
      ['b', 'echo', 'echo'],
    ]);
  });

  it('lets the earlier server in config order keep a shared name and prefixes the later one', () => {
    const named = assignToolNames([tools('first', 'add', 'x'), tools('second', 'add')]);
    expect(named.map((tool) => tool.name)).toEqual(['add', 'x', 'second__add']);
    expect(named[2]?.originalName).toBe('add');
  });

  it('replaces characters model providers reject in the server part', () => {
    const named = assignToolNames([tools('a', 'add'), tools('my server.v2', 'add')]);
    expect(named[1]?.name).toBe('my_server_v2__add');
  });

  it('adds a counter when the prefixed name is taken as well', () => {
    const named = assignToolNames([tools('a', 'add', 'b__add'), tools('b', 'add'), tools('b', 'add')]);
    expect(named.map((tool) => tool.name)).toEqual(['add', 'b__add', 'b__add_2', 'b__add_3']);
  });
});
