/** A tool offered by one MCP server, under the name the agent and the model use for it. */
export interface McpToolInfo {
  /** The configured server name. */
  readonly server: string;
  /** Unique across all servers; equals `originalName` unless another server claimed that name first. */
  readonly name: string;
  /** The name the server itself uses; what `tools/call` is sent with. */
  readonly originalName: string;
  readonly description: string;
  /** JSON Schema of the arguments, as the server declared it. */
  readonly inputSchema: Record<string, unknown>;
}

/** A tool as listed by its server, before names are made unique. */
export type McpListedTool = Omit<McpToolInfo, 'name'>;
