export {
  ScriptedOpenAIServer,
  echoReply,
  type ChatCompletionMessage,
  type ChatCompletionRequestBody,
  type RecordedRequest,
  type ScriptedErrorReply,
  type ScriptedHangReply,
  type ScriptedOpenAIServerOptions,
  type ScriptedReply,
  type ScriptedTextReply,
  type ScriptedToolCall,
  type ScriptedToolCallsReply,
  type ScriptedUsage,
} from './scripted-openai-server.ts';
export { ScriptFileError, parseScript, readScript } from './scripted-reply-file.ts';
export {
  MCP_TEST_SERVER_SCRIPT,
  createMcpTestServer,
  mcpTestServerStdioConfig,
  startMcpHttpTestServer,
  type McpHttpTestServer,
  type McpStdioTestServerOptions,
  type McpTestServerOptions,
  type McpTestToolCall,
} from './mcp-test-server.ts';
