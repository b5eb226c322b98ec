import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childEnv, CLI_BIN } from './spawn-cli.ts';

function project(): string {
  // realpath: the CLI names resolved paths, and the temporary directory may sit behind a symlink.
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'omniserve-docker-')));
  mkdirSync(join(dir, 'agents'));
  // The side effect proves the generator never runs the agent file.
  writeFileSync(join(dir, 'agents', 'agent file.ts'), "import { writeFileSync } from 'node:fs';\nwriteFileSync('ran.marker', 'x');\nexport const agent = { name: 'a', run: async () => 'b' };\n");
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-agent', dependencies: { omnicoreagent: '^0.1.0' } }));
  writeFileSync(join(dir, 'package-lock.json'), '{}');
  return dir;
}

function omniserve(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, [CLI_BIN, ...args], { cwd, encoding: 'utf8', env: childEnv() });
}

function cli(cwd: string, ...args: string[]) {
  return omniserve(cwd, 'generate-dockerfile', ...args);
}

describe('omniserve generate-dockerfile', () => {
  it('writes a deterministic Dockerfile and a .dockerignore without running the agent file', () => {
    const dir = project();
    const first = cli(dir, '--file', 'agents/agent file.ts');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('Agent path inside image: /app/agents/agent file.ts');
    expect(first.stdout).toContain('docker build -t omnicoreagent-serve .');
    expect(first.stdout).toContain('-e LLM_API_KEY=$LLM_API_KEY');
    expect(first.stdout).toContain('OMNICOREAGENT_WORKSPACE_BACKEND=s3');
    expect(first.stdout).not.toContain('omniserver');
    expect(first.stdout).not.toMatch(/replaced|Warning: (package\.json|no package|the existing)/);
    const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('AGENT_PATH="/app/agents/agent file.ts"');
    expect(readFileSync(join(dir, '.dockerignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['node_modules', '.git', '**/.env', '**/.npmrc']));
    expect(existsSync(join(dir, 'ran.marker'))).toBe(false);
    const second = cli(dir, '--file', 'agents/agent file.ts');
    expect(second.stdout).toContain(`Dockerfile written to ${join(dir, 'Dockerfile')} (replaced existing Dockerfile)`);
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toBe(dockerfile);
  });

  it('keeps an existing .dockerignore and names the recommended entries it lacks', () => {
    const dir = project();
    writeFileSync(join(dir, '.dockerignore'), 'mine\n.git/\n/.omnicoreagent\n.env.*\n');
    const result = cli(dir, '-f', 'agents/agent file.ts');
    expect(result.status).toBe(0);
    expect(readFileSync(join(dir, '.dockerignore'), 'utf8')).toBe('mine\n.git/\n/.omnicoreagent\n.env.*\n');
    expect(result.stdout).toContain('Warning: the existing .dockerignore (kept) lacks node_modules, .env, .npmrc:');
  });

  it('says nothing about a .dockerignore that has every recommended entry', () => {
    const dir = project();
    writeFileSync(join(dir, '.dockerignore'), 'node_modules\n.git\n.env\n**/.env.*\n.npmrc\n.omnicoreagent\n');
    expect(cli(dir, '-f', 'agents/agent file.ts').stdout).not.toContain('.dockerignore');
  });

  it('writes into --output-dir, creating it, and prints the -f build command', () => {
    const dir = project();
    const result = cli(dir, '-f', 'agents/agent file.ts', '-o', 'deploy/docker');
    expect(result.status).toBe(0);
    expect(existsSync(join(dir, 'deploy', 'docker', 'Dockerfile'))).toBe(true);
    expect(result.stdout).toContain('docker build -f deploy/docker/Dockerfile -t omnicoreagent-serve .');
    // A directory whose name starts with two dots is still inside the context.
    expect(cli(dir, '-f', 'agents/agent file.ts', '-o', '..deploy').stdout).toContain('docker build -f ..deploy/Dockerfile -t omnicoreagent-serve .');
  });

  it('refuses an --output-dir that is, or runs through, a file, in one line and before writing anything', () => {
    const dir = project();
    writeFileSync(join(dir, 'afile'), 'x');
    const onFile = cli(dir, '-f', 'agents/agent file.ts', '-o', 'afile');
    expect(onFile.status).toBe(2);
    expect(onFile.stderr).toBe(`Error: Invalid value for '--output-dir' / '-o': ${join(dir, 'afile')} is a file, not a directory\n`);
    const through = cli(dir, '-f', 'agents/agent file.ts', '-o', 'afile/sub');
    expect(through.status).toBe(2);
    expect(through.stderr).toBe(`Error: Invalid value for '--output-dir' / '-o': cannot create ${join(dir, 'afile', 'sub')}: ${join(dir, 'afile')} is a file, not a directory\n`);
    expect(existsSync(join(dir, '.dockerignore'))).toBe(false);
  });

  it('refuses an agent file name with a control character, which would break out of the ENV line', () => {
    const dir = project();
    writeFileSync(join(dir, 'agents', 'x\nRUN echo INJECTED\n.ts'), 'export const agent = {}');
    const result = cli(dir, '-f', 'agents/x\nRUN echo INJECTED\n.ts');
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `Error: Invalid value for '--file' / '-f': "agents/x\\nRUN echo INJECTED\\n.ts" has a control character (such as a newline), which a Dockerfile line cannot hold; rename the file\n`,
    );
    expect(existsSync(join(dir, 'Dockerfile'))).toBe(false);
  });

  it('refuses an --output-dir the system will not create (under /proc) in one line instead of hanging', () => {
    const dir = project();
    // Node's recursive mkdir loops forever on such a path; the CLI creates one level at a time.
    const result = spawnSync(process.execPath, [CLI_BIN, 'generate-dockerfile', '-f', 'agents/agent file.ts', '-o', '/proc/omniserve/x'], {
      cwd: dir, encoding: 'utf8', env: childEnv(), timeout: 20_000,
    });
    expect(result.signal).toBeNull();
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^Error: Invalid value for '--output-dir' \/ '-o': cannot create \/proc\/omniserve\/x: ENOENT[^\n]*\n$/);
    expect(existsSync(join(dir, '.dockerignore'))).toBe(false);
    // A directory that exists but takes no file: the flag is named too.
    const write = cli(dir, '-f', 'agents/agent file.ts', '-o', '/proc');
    expect(write.status).toBe(2);
    expect(write.stderr).toMatch(/^Error: Invalid value for '--output-dir' \/ '-o': cannot write \/proc\/Dockerfile: [^\n]*\n$/);
    expect(existsSync(join(dir, '.dockerignore'))).toBe(false);
  });

  it('refuses an agent outside the build context, naming both, and writes nothing', () => {
    const dir = project();
    const outside = realpathSync(mkdtempSync(join(tmpdir(), 'omniserve-outside-')));
    writeFileSync(join(outside, 'a.ts'), 'export const agent = {}');
    const result = cli(dir, '-f', join(outside, 'a.ts'));
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `Error: Agent file must be inside the current Docker build context: ${join(outside, 'a.ts')} is not inside ${dir}\n`,
    );
    expect(existsSync(join(dir, 'Dockerfile'))).toBe(false);
  });

  it('accepts a file inside the context whose name starts with two dots', () => {
    const dir = project();
    writeFileSync(join(dir, '..dots.ts'), 'export const agent = {}');
    const result = cli(dir, '-f', '..dots.ts');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toContain('AGENT_PATH="/app/..dots.ts"');
  });

  // `run --agent "$AGENT_PATH"` is the image's start command: a path it refuses would make the container crash-loop.
  it.each([
    ['a directory', 'agents'],
    ['a file run does not serve', 'package.json'],
  ])('refuses %s with the words run uses (exit 2), and writes nothing', (_, file) => {
    const dir = project();
    const generated = cli(dir, '-f', file);
    expect(generated.status).toBe(2);
    expect(generated.stderr).toBe(`Error: Error loading agent file: ${join(dir, file)} is not a .ts, .mts, .js or .mjs file\n`);
    expect(existsSync(join(dir, 'Dockerfile'))).toBe(false);
    expect(existsSync(join(dir, '.dockerignore'))).toBe(false);
    const run = omniserve(dir, 'run', '--agent', file);
    expect(run.status).not.toBe(0);
    expect(run.stderr.split('\n')[0]).toBe(generated.stderr.trimEnd());
  });

  it('escapes $ in the agent path, which Docker would otherwise substitute', () => {
    const dir = project();
    writeFileSync(join(dir, 'dol$HOME.ts'), 'export const agent = {}');
    expect(cli(dir, '-f', 'dol$HOME.ts').status).toBe(0);
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toContain('AGENT_PATH="/app/dol\\$HOME.ts"');
  });

  it.each([
    ['does not depend on omnicoreagent', { name: 'x', dependencies: { zod: '^4' } }, 'Warning: package.json does not list omnicoreagent in "dependencies"'],
    ['has it only as a dev dependency', { name: 'x', devDependencies: { omnicoreagent: '^0.1.0' } }, 'Warning: package.json has omnicoreagent only in devDependencies'],
  ])('warns, and still writes the Dockerfile, when package.json %s', (_, manifest, warning) => {
    const dir = project();
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
    const result = cli(dir, '-f', 'agents/agent file.ts');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(warning);
    expect(result.stdout).toContain('node_modules/.bin/omniserve will not exist in the image');
    expect(existsSync(join(dir, 'Dockerfile'))).toBe(true);
  });

  it('needs --file (exit 1) and an existing file (exit 2)', () => {
    const dir = project();
    const missing = cli(dir);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('Error: Please specify agent file with --file');
    expect(cli(dir, '-f', 'nope.ts').status).toBe(2);
  });
});
