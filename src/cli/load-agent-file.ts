import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServableAgent } from '../agent/servable-agent.ts';
import { ConfigError } from '../core/errors.ts';
import { scrubSecrets } from '../llm/scrub-secrets.ts';
import { CliError } from './cli-error.ts';

const EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/**
 * Imports an agent file (TypeScript through tsx, or JavaScript) and returns its agent: an exported `agent` wins,
 * else `createAgent()` (sync or async) is called. Every failure is a CliError with the reference's wording.
 */
export async function loadAgentFile(path: string): Promise<ServableAgent> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new CliError(`Agent file not found: ${absolute}`);
  if (!EXTENSIONS.some((ext) => absolute.endsWith(ext))) {
    throw new CliError(`Error loading agent file: ${absolute} is not a .ts, .mts, .js or .mjs file`);
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`Error loading agent file: ${describe(error)}`);
  }
  const exported = module['agent'] ?? (module['default'] as Record<string, unknown> | undefined)?.['agent'];
  if (exported !== undefined && exported !== null) return checkAgent(exported, 'agent');
  const factory = module['createAgent'] ?? (module['default'] as Record<string, unknown> | undefined)?.['createAgent'];
  if (typeof factory === 'function') {
    let created: unknown;
    try {
      created = await (factory as () => unknown)();
    } catch (error) {
      throw new CliError(`createAgent() failed: ${describe(error)}`);
    }
    return checkAgent(created, 'createAgent()');
  }
  throw new CliError("Agent file must define an 'agent' variable or 'create_agent()' function (in TypeScript: export const agent, or export function createAgent())");
}

function checkAgent(value: unknown, source: string): ServableAgent {
  if (value === null || typeof value !== 'object' || typeof (value as { run?: unknown }).run !== 'function') {
    throw new CliError(`The ${source} of the agent file is not an agent: it needs a run(query, options) method`);
  }
  return value as ServableAgent;
}

function describe(error: unknown): string {
  if (error instanceof ConfigError) return error.problems.join('; ');
  // An agent file often builds clients with keys; a failure there must not print them.
  return scrubSecrets(error instanceof Error ? error.message : String(error));
}
