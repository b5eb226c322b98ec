import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { renderDockerfile, quoteEnvValue } from './render-dockerfile.ts';

describe('renderDockerfile', () => {
  const text = renderDockerfile({ agentPath: '/app/agents/agent file.ts' });

  it('is deterministic', () => {
    expect(renderDockerfile({ agentPath: '/app/agents/agent file.ts' })).toBe(text);
  });

  it('has the elements in order: base, env, workdir, user, lockfile install, copy, user, port, healthcheck, start', () => {
    const order = ['FROM node:', 'ENV NODE_ENV=production', 'WORKDIR /app', 'useradd --uid 10001', 'COPY --chown=appuser:appuser package.json package-lock.json', 'npm ci --omit=dev', 'COPY --chown=appuser:appuser . /app', 'USER appuser', 'EXPOSE 8000', 'HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3', 'CMD ["sh", "-c", "exec node_modules/.bin/omniserve run --agent \\"$AGENT_PATH\\""]'];
    const positions = order.map((needle) => text.indexOf(needle));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('sets the workspace defaults and quotes the agent path', () => {
    expect(text).toContain('AGENT_PATH="/app/agents/agent file.ts"');
    expect(text).toContain('OMNICOREAGENT_WORKSPACE_BACKEND=local');
    expect(text).toContain('OMNICOREAGENT_WORKSPACE_DIR=/tmp/workspace');
  });

  it('escapes backslashes and quotes in the agent path', () => {
    expect(quoteEnvValue('/app/a "b"\\c.ts')).toBe('"/app/a \\"b\\"\\\\c.ts"');
  });

  it("starts this package's own bin when the build context is the package itself", () => {
    const own = renderDockerfile({ agentPath: '/app/cookbook/agent.ts', selfPackage: true });
    expect(own).toContain('CMD ["sh", "-c", "exec node bin/omniserve.js run --agent \\"$AGENT_PATH\\""]');
    expect(own).not.toContain('node_modules/.bin/omniserve');
  });

  it('writes no secret and needs no curl', () => {
    expect(text).not.toMatch(/LLM_API_KEY|AWS_SECRET|curl/);
    expect(text).not.toContain('omniserver');
  });

  it('health-checks the prefixed /health on the configured port, with node', async () => {
    const line = text.split('\n').find((l) => l.startsWith('HEALTHCHECK'))!;
    const command = JSON.parse(line.slice(line.indexOf('['))) as string[];
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.statusCode = req.url === '/api/v1/health' ? 200 : 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = String((server.address() as AddressInfo).port);
    const check = (prefix: string) =>
      new Promise<number | null>((resolve) => {
        spawn(process.execPath, ['-e', command[2]!], {
          env: { ...process.env, OMNICOREAGENT_SERVE_PORT: port, OMNICOREAGENT_SERVE_API_PREFIX: prefix },
        }).on('exit', resolve);
      });
    expect(await check('api/v1/')).toBe(0);
    expect(await check('/api/v1')).toBe(0);
    expect(await check('')).toBe(1);
    expect(seen).toEqual(['/api/v1/health', '/api/v1/health', '/health']);
    server.close();
  });
});
