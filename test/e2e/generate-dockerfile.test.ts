import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/omniserve.js', import.meta.url).pathname;

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'omniserve-docker-'));
  mkdirSync(join(dir, 'agents'));
  // The side effect proves the generator never runs the agent file.
  writeFileSync(join(dir, 'agents', 'agent file.ts'), "import { writeFileSync } from 'node:fs';\nwriteFileSync('ran.marker', 'x');\nexport const agent = { name: 'a', run: async () => 'b' };\n");
  writeFileSync(join(dir, 'package-lock.json'), '{}');
  return dir;
}

function cli(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, [BIN, 'generate-dockerfile', ...args], { cwd, encoding: 'utf8' });
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
    const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('AGENT_PATH="/app/agents/agent file.ts"');
    expect(existsSync(join(dir, '.dockerignore'))).toBe(true);
    expect(existsSync(join(dir, 'ran.marker'))).toBe(false);
    cli(dir, '--file', 'agents/agent file.ts');
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toBe(dockerfile);
  });

  it('keeps an existing .dockerignore', () => {
    const dir = project();
    writeFileSync(join(dir, '.dockerignore'), 'mine\n');
    expect(cli(dir, '-f', 'agents/agent file.ts').status).toBe(0);
    expect(readFileSync(join(dir, '.dockerignore'), 'utf8')).toBe('mine\n');
  });

  it('writes into --output-dir, creating it, and prints the -f build command', () => {
    const dir = project();
    const result = cli(dir, '-f', 'agents/agent file.ts', '-o', 'deploy/docker');
    expect(result.status).toBe(0);
    expect(existsSync(join(dir, 'deploy', 'docker', 'Dockerfile'))).toBe(true);
    expect(result.stdout).toContain('docker build -f deploy/docker/Dockerfile -t omnicoreagent-serve .');
  });

  it('refuses an agent outside the build context and writes nothing', () => {
    const dir = project();
    const outside = mkdtempSync(join(tmpdir(), 'omniserve-outside-'));
    writeFileSync(join(outside, 'a.ts'), 'export const agent = {}');
    const result = cli(dir, '-f', join(outside, 'a.ts'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Error: Agent file must be inside the current Docker build context');
    expect(existsSync(join(dir, 'Dockerfile'))).toBe(false);
  });

  it('needs --file (exit 1) and an existing file (exit 2)', () => {
    const dir = project();
    const missing = cli(dir);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('Error: Please specify agent file with --file');
    expect(cli(dir, '-f', 'nope.ts').status).toBe(2);
  });
});
