import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.ts';
import { validateMcpServerConfigs } from './mcp-server-config.ts';

function problemsOf(input: unknown): readonly string[] {
  try {
    validateMcpServerConfigs(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('validateMcpServerConfigs', () => {
  it('accepts stdio and HTTP entries and returns clean copies', () => {
    const env = { TOKEN: 'x' };
    const configs = validateMcpServerConfigs([
      { name: 'files', command: 'npx', args: ['-y', 'server'], env, cwd: '/tmp' },
      { name: 'remote', transport: 'streamable_http', url: 'https://mcp.example.com/mcp', headers: { authorization: 'Bearer t' } },
      { name: 'alias', transport: 'http', url: 'http://127.0.0.1:3000/mcp' },
    ]);
    expect(configs).toEqual([
      { name: 'files', transport: 'stdio', command: 'npx', args: ['-y', 'server'], env: { TOKEN: 'x' }, cwd: '/tmp' },
      { name: 'remote', transport: 'streamable_http', url: 'https://mcp.example.com/mcp', headers: { authorization: 'Bearer t' } },
      { name: 'alias', transport: 'http', url: 'http://127.0.0.1:3000/mcp' },
    ]);
    expect(configs[0]).not.toHaveProperty('extra');
    expect((configs[0] as { env: unknown }).env).not.toBe(env);
  });

  it('treats a missing mcpTools as no servers', () => {
    expect(validateMcpServerConfigs(undefined)).toEqual([]);
    expect(validateMcpServerConfigs(null)).toEqual([]);
  });

  it('rejects a non-array', () => {
    expect(problemsOf({ name: 'x', command: 'y' })).toEqual(['mcpTools must be an array of MCP server configs, got {"name":"x","command":"y"}']);
  });

  it('lists every problem at once, each naming the entry', () => {
    const problems = problemsOf([
      { command: 'a' },
      { name: 'dup', command: 'a' },
      { name: 'dup', command: 'b' },
      { name: 'no-command' },
      { name: 'web', transport: 'http', url: 'ftp://x' },
      { name: 'web2', transport: 'streamable_http' },
      { name: 'web3', transport: 'http', url: 'not a url' },
      'just a string',
    ]);
    expect(problems).toEqual([
      'mcpTools[0].name must be a non-empty string, got nothing',
      'mcpTools[2].name "dup" is already used by mcpTools[1]; server names must be unique',
      'mcpTools[3].command must be a non-empty string (the program to start), got nothing',
      'mcpTools[4].url must be an http(s) URL, got "ftp://x"',
      'mcpTools[5].url is required for transport "streamable_http", got nothing',
      'mcpTools[6].url must be an http(s) URL, got "not a url"',
      'mcpTools[7] must be an object, got "just a string"',
    ]);
  });

  it('checks transports, field types and unknown keys', () => {
    const problems = problemsOf([
      { name: 'a', transport: 'sse', url: 'http://x' },
      { name: 'b', url: 'http://x' },
      { name: 'c', command: 'x', args: ['ok', 3], env: { A: 1 }, cwd: '' },
      { name: 'd', transport_type: 'stdio', command: 'x' },
      { name: 'e', transport: 'http', url: 'http://x', command: 'y', headers: 'h' },
    ]);
    expect(problems).toEqual([
      'mcpTools[0].transport must be one of "stdio", "streamable_http", "http", got "sse"',
      'mcpTools[1] has a url but no transport; set transport: "streamable_http" (stdio servers need a command instead)',
      'mcpTools[2].args[1] must be a string, got 3',
      'mcpTools[2].env.A must be a string, got 1',
      'mcpTools[2].cwd must be a non-empty string, got ""',
      'mcpTools[3].transport_type is not a known option (use "transport" instead)',
      'mcpTools[4].command is not a known option (allowed keys: name, transport, url, headers)',
      'mcpTools[4].headers must be an object of string values, got "h"',
    ]);
  });

  it('joins the problems into the error message', () => {
    expect(() => validateMcpServerConfigs([{ name: '' }, { name: 'x', transport: 'http', url: 'ftp://x' }])).toThrow(
      'mcpTools[0].name must be a non-empty string, got ""; mcpTools[0].command must be a non-empty string (the program to start), got nothing; mcpTools[1].url must be an http(s) URL, got "ftp://x"',
    );
  });
});
