import type { McpListedTool, McpToolInfo } from './mcp-tool-info.ts';

/**
 * Gives every tool a name unique across servers. Servers are taken in config order (never in the order their
 * connections happened to finish, which would make names change between restarts): the first server to list a name
 * keeps it, a later one gets `<server>__<tool>`, with characters outside `[A-Za-z0-9_-]` in the server name replaced
 * by `_` so the name stays valid for model providers. Should even that be taken, `_2`, `_3`, ... is appended.
 */
export function assignToolNames(toolsInConfigOrder: readonly (readonly McpListedTool[])[]): McpToolInfo[] {
  const taken = new Set<string>();
  const named: McpToolInfo[] = [];
  for (const tools of toolsInConfigOrder) {
    for (const tool of tools) {
      let name = tool.originalName;
      if (taken.has(name)) {
        const qualified = `${tool.server.replace(/[^A-Za-z0-9_-]/g, '_')}__${tool.originalName}`;
        name = qualified;
        for (let n = 2; taken.has(name); n += 1) name = `${qualified}_${n}`;
      }
      taken.add(name);
      named.push({ server: tool.server, name, originalName: tool.originalName, description: tool.description, inputSchema: tool.inputSchema });
    }
  }
  return named;
}
