/**
 * docs/environment.md lists exactly the environment variables the server reads: every variable the code reads has a
 * row, and every row names a variable the code reads. "What the code reads" comes from the code, never from a list
 * kept here, so a variable added later is caught without touching this file:
 * - every list exported by a src/config module whose items carry an env-style `name` (SERVE_ENV_VARS,
 *   LLM_ENVIRONMENT_VARIABLES, and any list added beside them);
 * - every env-style string literal in src/config code (the only reader of process.env), such as a constant holding
 *   a variable name that is read directly;
 * - every read by name anywhere in src (`process.env.X`, `env.X`, `env['X']`, `const { X } = env`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { SERVE_ENV_VARS, shownDefault, type EnvVarDefault } from '../../src/config/env-vars.ts';
import { LLM_ENVIRONMENT_VARIABLES } from '../../src/config/llm-environment.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGE_PATH = 'docs/environment.md';
/** A variable name as read or listed: `PORT` counts. */
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

/** Source text without comments, so a name mentioned in prose is not taken for code. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function code(path: string): string {
  return withoutComments(readFileSync(path, 'utf8'));
}

/**
 * Whole string literals that look like a variable name: `'AWS_S3_BUCKET'`, `"LLM_API_KEY"`. At least one `_`, so
 * words such as the log level `'INFO'` are not taken for variables.
 */
function nameLiterals(text: string): string[] {
  return [...text.matchAll(/(['"`])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\1/g)].map((match) => match[2]!);
}

const NAMED_READ =
  /\b(?:process\.env|env)(?:\.([A-Z_][A-Z0-9_]*)\b|\[\s*(['"`])([A-Za-z_][A-Za-z0-9_]*)\2\s*\])|\{([^{}]*)\}\s*=\s*(?:process\.)?env\b/g;

/** Names read directly from an environment object. */
function namedReads(text: string): string[] {
  return [...text.matchAll(NAMED_READ)]
    .flatMap((match) => (match[4] !== undefined ? match[4].split(',').map((part) => part.split(':')[0]?.trim() ?? '') : [match[1] ?? match[3] ?? '']))
    .filter((name) => ENV_NAME.test(name));
}

/** Env-style `name`s of the items of every array a module exports. */
function listedNames(module: Record<string, unknown>): string[] {
  return Object.values(module)
    .filter((value): value is unknown[] => Array.isArray(value))
    .flatMap((items) => items.map((item) => (typeof item === 'object' && item !== null ? (item as { name?: unknown }).name : undefined)))
    .filter((name): name is string => typeof name === 'string' && ENV_NAME.test(name));
}

/** Every variable the code reads, each with where it was found. */
async function variablesTheCodeReads(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const note = (name: string, where: string) => found.has(name) || found.set(name, where);
  const configFiles = sourceFiles(join(ROOT, 'src/config'));
  for (const path of configFiles) {
    const where = relative(ROOT, path);
    const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    for (const name of listedNames(module)) note(name, `${where} (exported list)`);
    for (const name of nameLiterals(code(path))) note(name, `${where} (string literal)`);
  }
  for (const path of sourceFiles(join(ROOT, 'src'))) {
    for (const name of namedReads(code(path))) note(name, `${relative(ROOT, path)} (read by name)`);
  }
  return found;
}

/** Table rows of the page, as cells, keyed by the variable in the first cell (in backticks). */
function pageRows(page: string): { name: string; cells: string[] }[] {
  const rows: { name: string; cells: string[] }[] = [];
  for (const line of page.split('\n')) {
    const match = /^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`\s*\|(.*)\|\s*$/.exec(line);
    if (match !== null) rows.push({ name: match[1]!, cells: match[2]!.split('|').map((cell) => cell.trim()) });
  }
  return rows;
}

/** How the page shows a default: in backticks, or `none` when there is none. */
function defaultCell(value: EnvVarDefault): string {
  const text = value === null ? '' : Array.isArray(value) ? value.join(',') : String(value);
  return text === '' ? 'none' : `\`${text}\``;
}

describe(`${PAGE_PATH} lists exactly the variables the code reads`, () => {
  const page = readFileSync(join(ROOT, PAGE_PATH), 'utf8');
  const rows = pageRows(page);
  const documented = new Set(rows.map((row) => row.name));
  let reads = new Map<string, string>();

  beforeAll(async () => {
    reads = await variablesTheCodeReads();
  });

  it('finds the variables through the code (the discovery itself works)', () => {
    for (const { name } of [...SERVE_ENV_VARS, ...LLM_ENVIRONMENT_VARIABLES]) expect(reads.has(name), name).toBe(true);
    expect(rows.length).toBeGreaterThanOrEqual(SERVE_ENV_VARS.length + LLM_ENVIRONMENT_VARIABLES.length);
  });

  it('every variable the code reads has a row', () => {
    const missing = [...reads].filter(([name]) => !documented.has(name)).map(([name, where]) => `${name}, from ${where}`);
    expect(missing).toEqual([]);
  });

  it('every row names a variable the code reads', () => {
    expect([...documented].filter((name) => !reads.has(name))).toEqual([]);
  });

  it('every OMNICOREAGENT_* name on the page, prose included, is one the code reads', () => {
    const mentioned = new Set([...page.matchAll(/\bOMNICOREAGENT_[A-Z0-9_]*[A-Z0-9]\b/g)].map((match) => match[0]));
    expect([...mentioned].filter((name) => !reads.has(name))).toEqual([]);
  });

  it('no variable has two rows', () => {
    const names = rows.map((row) => row.name);
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
  });

  it.each(SERVE_ENV_VARS.map((spec) => [spec.name, shownDefault(spec)] as const))('%s: the default is the code default', (name, value) => {
    const row = rows.find((candidate) => candidate.name === name);
    expect(row?.cells[0]).toBe(defaultCell(value));
    expect(row?.cells[2]?.length ?? 0).toBeGreaterThan(10);
  });

  it('the scans see the forms they claim to, and not prose', () => {
    const sample = [
      "const bucket = env['AWS_S3_BUCKET'];",
      'const region = process.env.AWS_REGION;',
      'const port = process.env.PORT;',
      'const { R2_BUCKET_NAME, R2_ACCOUNT_ID: account } = env;',
      "const VAR = 'OMNICOREAGENT_EXAMPLE_VAR';",
      'const level = `INFO`; const backend = "in_memory";',
    ].join('\n');
    expect(namedReads(sample)).toEqual(['AWS_S3_BUCKET', 'AWS_REGION', 'PORT', 'R2_BUCKET_NAME', 'R2_ACCOUNT_ID']);
    expect(nameLiterals(sample)).toEqual(['AWS_S3_BUCKET', 'OMNICOREAGENT_EXAMPLE_VAR']);
    expect(nameLiterals(withoutComments("// see 'IN_A_COMMENT'\n/** `IN_A_DOC_COMMENT` */\nx();"))).toEqual([]);
    expect(listedNames({ LIST: [{ name: 'R2_SECRET_ACCESS_KEY' }, { name: 'PORT' }, { name: 'notAVar' }, 'PLAIN_STRING'], other: 3 })).toEqual(['R2_SECRET_ACCESS_KEY', 'PORT']);
  });
});
