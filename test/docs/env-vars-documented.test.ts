/**
 * Every environment variable the server reads is documented (README table with its default, and
 * `omniserve config --env-example`), and nothing in src/ reads a variable that is not in the documented lists.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVE_ENV_VARS, shownDefault, type EnvVarDefault } from '../../src/config/env-vars.ts';
import { LLM_ENVIRONMENT_VARIABLES } from '../../src/config/llm-environment.ts';
import { renderEnvExample } from '../../src/config/render-config.ts';
import { WORKSPACE_ENVIRONMENT_VARIABLES } from '../../src/config/workspace-environment.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SERVE_NAMES = SERVE_ENV_VARS.map((spec) => spec.name);
const LLM_NAMES = LLM_ENVIRONMENT_VARIABLES.map((spec) => spec.name);
const WORKSPACE_NAMES = WORKSPACE_ENVIRONMENT_VARIABLES.map((spec) => spec.name);
const DOCUMENTED = new Set<string>([...SERVE_NAMES, ...LLM_NAMES, ...WORKSPACE_NAMES]);

/**
 * Reads that name no variable in the source text: each reads only names from a documented list (or a type made from
 * one). A new dynamic read must be added here with its reason, after checking it reads documented names only.
 */
const DYNAMIC_READS: Readonly<Record<string, string>> = {
  'src/config/serve-config.ts': 'loops over SERVE_ENV_VARS',
  'src/config/llm-environment.ts': 'loops over LLM_ENVIRONMENT_VARIABLES',
  'src/llm/create-language-model.ts': 'indexes an LlmEnvironment with PROVIDER_KEY_VARIABLES (typed by the LLM list)',
  'src/config/workspace-environment.ts': 'loops over WORKSPACE_ENVIRONMENT_VARIABLES',
  'src/config/workspace-config.ts': 'indexes a WorkspaceEnvironment with the R2 names (typed by the workspace list)',
};

/** README table rows, as cells, keyed by the variable in the first cell. */
function readmeRows(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of README.split('\n')) {
    const match = /^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|(.*)\|\s*$/.exec(line);
    const cells = match?.[2]?.split('|').map((cell) => cell.trim());
    // The Errors table has the same first-cell form; its second cell is an HTTP status, not an option.
    if (match?.[1] !== undefined && cells !== undefined && !/^\d{3}$/.test(cells[0] ?? '')) rows.set(match[1], cells);
  }
  return rows;
}

/** How the README shows a default: in backticks, as `--env-example` would print it, or `none` when empty. */
function defaultCell(value: EnvVarDefault): string {
  const text = value === null ? '' : Array.isArray(value) ? value.join(',') : String(value);
  return text === '' ? 'none' : `\`${text}\``;
}

const NAMED_READ =
  /\b(?:process\.env|env)(?:\.([A-Z_][A-Z0-9_]*)\b|\[\s*(['"`])([A-Za-z_][A-Za-z0-9_]*)\2\s*\])|\{([^{}]*)\}\s*=\s*(?:process\.)?env\b/g;

/** The variable names a piece of code reads by name. */
function namedReads(text: string): string[] {
  return [...text.matchAll(NAMED_READ)]
    .flatMap((match) => (match[4] !== undefined ? match[4].split(',').map((part) => part.split(':')[0]?.trim() ?? '') : [match[1] ?? match[3] ?? '']))
    .filter((name) => /^[A-Z_][A-Z0-9_]*$/.test(name));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

/** Source text without comments, so a variable mentioned in prose is not taken for a read. */
function code(path: string): string {
  return readFileSync(path, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

describe('environment variables are documented', () => {
  const rows = readmeRows();

  it.each(SERVE_ENV_VARS.map((spec) => [spec.name, spec] as const))('%s: README row with option and default', (name, spec) => {
    const cells = rows.get(name);
    expect(cells, `README has no table row for ${name}`).toBeDefined();
    expect(cells?.[0]).toBe(`\`${spec.field}\``);
    expect(cells?.[1]).toBe(defaultCell(shownDefault(spec)));
    expect(cells?.[2]?.length ?? 0).toBeGreaterThan(10);
  });

  it.each(LLM_NAMES)('%s: README row with its meaning', (name) => {
    expect(rows.get(name)?.[0]?.length ?? 0, `README has no table row for ${name}`).toBeGreaterThan(10);
  });

  it.each(WORKSPACE_ENVIRONMENT_VARIABLES.map((spec) => [spec.name, spec] as const))('%s: README row with its backend and meaning', (name, spec) => {
    const cells = rows.get(name);
    expect(cells, `README has no table row for ${name}`).toBeDefined();
    expect(cells?.[0]).toBe(`\`${spec.backend}\``);
    expect(cells?.[1]?.length ?? 0).toBeGreaterThan(10);
  });

  it('the README documents no variable the code does not know, and no obsolete prefix', () => {
    const mentioned = new Set([...README.matchAll(/\b(?:OMNICOREAGENT|OMNISERVER?)_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0]));
    expect([...mentioned].filter((name) => !DOCUMENTED.has(name))).toEqual([]);
    expect([...rows.keys()].filter((name) => !DOCUMENTED.has(name))).toEqual([]);
  });

  it('every variable is in `omniserve config --env-example`', () => {
    const example = renderEnvExample();
    for (const name of DOCUMENTED) expect(example, name).toMatch(new RegExp(`^(?:# )?export ${name}=`, 'm'));
  });
});

describe('src/ reads no undocumented variable', () => {
  const files = sourceFiles(join(ROOT, 'src')).map((path) => ({ path: relative(ROOT, path), text: code(path) }));

  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it('every variable read by name (process.env.X, env.X, env["X"], const { X } = env) is documented', () => {
    const undocumented = files.flatMap(({ path, text }) => namedReads(text).filter((name) => !DOCUMENTED.has(name)).map((name) => `${path}: ${name}`));
    expect(undocumented).toEqual([]);
  });

  it('every OMNICOREAGENT_* name in src/config (the only reader of process.env) is a documented variable', () => {
    // Elsewhere such names are written, not read: a Dockerfile's ENV lines, a `docker run -e` example.
    const config = files.filter(({ path }) => path.startsWith('src/config/'));
    expect(config.map(({ path }) => path)).toEqual(expect.arrayContaining(['src/config/env-vars.ts', 'src/config/llm-environment.ts']));
    const unknown: string[] = [];
    for (const { path, text } of config) {
      for (const [name] of text.matchAll(/\bOMNICOREAGENT_[A-Z0-9_]*[A-Z0-9]\b/g)) {
        if (!DOCUMENTED.has(name)) unknown.push(`${path}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('reads by a computed name happen only where the names come from the documented lists', () => {
    const dynamic = /\b(?:process\.env|env)\[\s*(?!['"`])[^\]]+\]/g;
    const places = files.filter(({ text }) => dynamic.test(text)).map(({ path }) => path);
    expect(places.filter((path) => !(path in DYNAMIC_READS))).toEqual([]);
  });

  it('the scan catches the read forms it claims to', () => {
    // Guards the regular expression: each form must be seen as a read of its name, and prose is not code.
    const sample = [
      'const a = process.env.SECRET_A;',
      "const b = env['SECRET_B'];",
      'const c = process.env["SECRET_C"];',
      'const d = options.env.SECRET_D;',
      'const { SECRET_E, SECRET_F: f } = process.env;',
      'const g = environment.NOT_A_READ;',
    ].join('\n');
    expect(namedReads(sample)).toEqual(['SECRET_A', 'SECRET_B', 'SECRET_C', 'SECRET_D', 'SECRET_E', 'SECRET_F']);
  });
});
