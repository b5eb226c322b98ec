#!/usr/bin/env node
// Architecture checks that the type checker cannot make: no import cycles, and the layering rules of the style
// guide (only src/config reads process.env; only src/app wires concrete store adapters).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const problems = [];

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The source without comments and string literals, so text that merely mentions process.env is not a read. */
function codeOnly(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''")
    .replace(/\/\/.*$/gm, '');
}

for (const file of walk(join(root, 'src'))) {
  const rel = relative(root, file).split(sep).join('/');
  if (rel.endsWith('.test.ts')) continue;
  const text = readFileSync(file, 'utf8');
  if (/process\.env\b/.test(codeOnly(text)) && !rel.startsWith('src/config/') && !rel.startsWith('src/testing/')) {
    problems.push(`${rel} reads process.env: only src/config may (pass settings down instead)`);
  }
  if (!rel.startsWith('src/app/') && !rel.startsWith('src/stores/') && !rel.startsWith('src/agent/') && /from '\.\.?\/.*stores\/(sql|redis|mongo)\//.test(text)) {
    problems.push(`${rel} imports a concrete store adapter: only src/app wires adapters`);
  }
  // The AWS SDK is large and only an S3/R2 workspace needs it: it stays behind the adapter, which src/app imports lazily.
  if (!rel.startsWith('src/workspace/s3/') && /^\s*import\s+(?!type\b)[^;]*from\s+'@aws-sdk\//m.test(text)) {
    problems.push(`${rel} imports the AWS SDK: only src/workspace/s3/ may (loaded when an s3 or r2 workspace is configured)`);
  }
  if (!rel.startsWith('src/workspace/') && /^\s*import\s+(?!type\b)[^;]*from\s+'[^']*workspace\/s3\//m.test(text)) {
    problems.push(`${rel} imports the S3 workspace adapter statically: use await import() so the AWS SDK loads only when selected`);
  }
}

try {
  execFileSync(process.execPath, [join(root, 'node_modules/madge/bin/cli.js'), '--circular', '--extensions', 'ts', '--no-spinner', 'src'], {
    cwd: root,
    stdio: 'pipe',
  });
} catch (error) {
  problems.push(`import cycle found:\n${error.stdout?.toString() ?? error.message}`);
}

if (problems.length > 0) {
  console.error(problems.map((p) => `- ${p}`).join('\n'));
  process.exit(1);
}
console.log('imports: no cycles, layering respected');
