import { ConfigError } from '../../core/errors.ts';

/** Transports an `mcpTools` entry may name; `http` is an alias of `streamable_http`. */
export const MCP_TRANSPORTS = ['stdio', 'streamable_http', 'http'] as const;
export type McpTransport = (typeof MCP_TRANSPORTS)[number];

/** A server the agent spawns and talks to over its stdin/stdout. */
export interface McpStdioServerConfig {
  readonly name: string;
  readonly transport?: 'stdio';
  readonly command: string;
  readonly args?: readonly string[];
  /** Added to the SDK's small safe default environment (PATH, HOME, ...), not to the whole `process.env`. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/** A remote server reached over MCP Streamable HTTP. */
export interface McpHttpServerConfig {
  readonly name: string;
  readonly transport: 'streamable_http' | 'http';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One entry of an agent's `mcpTools`. */
export type McpServerConfig = McpStdioServerConfig | McpHttpServerConfig;

/** True for Streamable HTTP entries (`transport` is optional on stdio ones, so a plain check does not narrow). */
export function isHttpServerConfig(config: McpServerConfig): config is McpHttpServerConfig {
  return config.transport === 'streamable_http' || config.transport === 'http';
}

const STDIO_KEYS = new Set(['name', 'transport', 'command', 'args', 'env', 'cwd']);
const HTTP_KEYS = new Set(['name', 'transport', 'url', 'headers']);

/** Keys people bring over from the Python agent's config, so the error can say what to write instead. */
const RENAMED_KEYS: Readonly<Record<string, string>> = { transport_type: 'transport' };

/**
 * Checks `mcpTools` and returns clean copies. Collects every problem before throwing, so a user fixes their config in
 * one pass instead of one error per restart.
 */
export function validateMcpServerConfigs(input: unknown): McpServerConfig[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) {
    throw new ConfigError([`mcpTools must be an array of MCP server configs, got ${describe(input)}`]);
  }
  const problems: string[] = [];
  const configs: McpServerConfig[] = [];
  const firstUse = new Map<string, number>();
  input.forEach((entry: unknown, index) => {
    const at = `mcpTools[${index}]`;
    if (!isRecord(entry)) {
      problems.push(`${at} must be an object, got ${describe(entry)}`);
      return;
    }
    const name = entry['name'];
    if (typeof name !== 'string' || name.trim() === '') {
      problems.push(`${at}.name must be a non-empty string, got ${describe(name)}`);
    } else {
      const earlier = firstUse.get(name);
      if (earlier === undefined) firstUse.set(name, index);
      else problems.push(`${at}.name "${name}" is already used by mcpTools[${earlier}]; server names must be unique`);
    }
    const config = validateEntry(entry, at, typeof name === 'string' ? name : '', problems);
    if (config !== null) configs.push(config);
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return configs;
}

function validateEntry(entry: Record<string, unknown>, at: string, name: string, problems: string[]): McpServerConfig | null {
  const transport = entry['transport'];
  if (transport !== undefined && !(MCP_TRANSPORTS as readonly unknown[]).includes(transport)) {
    problems.push(`${at}.transport must be one of ${MCP_TRANSPORTS.map((t) => `"${t}"`).join(', ')}, got ${describe(transport)}`);
    return null;
  }
  if (transport === undefined && entry['url'] !== undefined && entry['command'] === undefined) {
    problems.push(`${at} has a url but no transport; set transport: "streamable_http" (stdio servers need a command instead)`);
    return null;
  }
  const isHttp = transport === 'streamable_http' || transport === 'http';
  reportUnknownKeys(entry, at, isHttp ? HTTP_KEYS : STDIO_KEYS, problems);
  return isHttp ? validateHttp(entry, at, name, transport, problems) : validateStdio(entry, at, name, problems);
}

function validateStdio(entry: Record<string, unknown>, at: string, name: string, problems: string[]): McpStdioServerConfig {
  const { command, args, env, cwd } = entry;
  if (typeof command !== 'string' || command.trim() === '') {
    problems.push(`${at}.command must be a non-empty string (the program to start), got ${describe(command)}`);
  }
  if (args !== undefined) {
    if (!Array.isArray(args)) problems.push(`${at}.args must be an array of strings, got ${describe(args)}`);
    else args.forEach((arg: unknown, i) => {
      if (typeof arg !== 'string') problems.push(`${at}.args[${i}] must be a string, got ${describe(arg)}`);
    });
  }
  if (env !== undefined) checkStringRecord(env, `${at}.env`, problems);
  if (cwd !== undefined && (typeof cwd !== 'string' || cwd === '')) {
    problems.push(`${at}.cwd must be a non-empty string, got ${describe(cwd)}`);
  }
  return {
    name,
    transport: 'stdio',
    command: typeof command === 'string' ? command : '',
    ...(Array.isArray(args) ? { args: args.map(String) } : {}),
    ...(isRecord(env) ? { env: { ...(env as Record<string, string>) } } : {}),
    ...(typeof cwd === 'string' ? { cwd } : {}),
  };
}

function validateHttp(
  entry: Record<string, unknown>,
  at: string,
  name: string,
  transport: 'streamable_http' | 'http',
  problems: string[],
): McpHttpServerConfig {
  const { url, headers } = entry;
  if (typeof url !== 'string' || url === '') {
    problems.push(`${at}.url is required for transport "${transport}", got ${describe(url)}`);
  } else if (!isHttpUrl(url)) {
    problems.push(`${at}.url must be an http(s) URL, got ${describe(url)}`);
  }
  if (headers !== undefined) checkStringRecord(headers, `${at}.headers`, problems);
  return {
    name,
    transport,
    url: typeof url === 'string' ? url : '',
    ...(isRecord(headers) ? { headers: { ...(headers as Record<string, string>) } } : {}),
  };
}

function reportUnknownKeys(entry: Record<string, unknown>, at: string, allowed: ReadonlySet<string>, problems: string[]): void {
  for (const key of Object.keys(entry)) {
    if (allowed.has(key)) continue;
    const renamed = RENAMED_KEYS[key];
    const hint = renamed === undefined ? `allowed keys: ${[...allowed].join(', ')}` : `use "${renamed}" instead`;
    problems.push(`${at}.${key} is not a known option (${hint})`);
  }
}

function checkStringRecord(value: unknown, at: string, problems: string[]): void {
  if (!isRecord(value)) {
    problems.push(`${at} must be an object of string values, got ${describe(value)}`);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') problems.push(`${at}.${key} must be a string, got ${describe(item)}`);
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
