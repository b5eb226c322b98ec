import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { loadServeConfig } from '../config/serve-config.ts';
import { renderDockerfile, quoteEnvValue } from './render-dockerfile.ts';

/** Reads a double-quoted Dockerfile word as BuildKit's lexer does; an unescaped `$` would be substituted, so it fails. */
function dockerDoubleQuoted(word: string): string {
  expect(word.startsWith('"') && word.endsWith('"')).toBe(true);
  let out = '';
  for (let i = 1; i < word.length - 1; i++) {
    const ch = word[i]!;
    if (ch === '$') throw new Error(`unescaped $ at ${i} in ${word}`);
    if (ch === '"') throw new Error(`unescaped " at ${i} in ${word}`);
    if (ch === '\\' && ['"', '$', '\\'].includes(word[i + 1]!)) out += word[++i];
    else out += ch;
  }
  return out;
}

/** Listens on a free loopback port in 19000-19499 (the range these tests may use). */
async function listenInRange(server: Server): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 19000 + Math.floor(Math.random() * 500);
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) return port;
  }
  throw new Error('no free port in 19000-19499');
}

describe('renderDockerfile', () => {
  const text = renderDockerfile({ agentPath: '/app/agents/agent file.ts' });

  it('is deterministic', () => {
    expect(renderDockerfile({ agentPath: '/app/agents/agent file.ts' })).toBe(text);
  });

  it('has the elements in order: base, env, workdir, user, /app to the user, lockfile install, copy, user, port, healthcheck, start', () => {
    const order = ['FROM node:', 'ENV NODE_ENV=production', 'WORKDIR /app', 'useradd --uid 10001', 'chown appuser:appuser /app', 'COPY --chown=appuser:appuser package.json package-lock.json', 'npm ci --omit=dev', 'COPY --chown=appuser:appuser . /app', 'USER appuser', 'EXPOSE 8000', 'HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3', 'CMD ["sh", "-c", "exec node_modules/.bin/omniserve run --agent \\"$AGENT_PATH\\""]'];
    const positions = order.map((needle) => text.indexOf(needle));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('sets the workspace defaults and quotes the agent path', () => {
    expect(text).toContain('AGENT_PATH="/app/agents/agent file.ts"');
    expect(text).toContain('OMNICOREAGENT_WORKSPACE_BACKEND=local');
    expect(text).toContain('OMNICOREAGENT_WORKSPACE_DIR=/tmp/workspace');
  });

  it('escapes backslashes, quotes and dollars in the agent path', () => {
    expect(quoteEnvValue('/app/a "b"\\c.ts')).toBe('"/app/a \\"b\\"\\\\c.ts"');
    expect(quoteEnvValue('/app/dol$HOME.ts')).toBe('"/app/dol\\$HOME.ts"');
    for (const path of ['/app/dol$HOME.ts', '/app/${X}/a "b"\\c $.ts', '/app/\\$x.ts']) {
      expect(dockerDoubleQuoted(quoteEnvValue(path))).toBe(path);
    }
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

  it('health-checks the prefixed /health on the port the server would read from the same variables', async () => {
    const line = text.split('\n').find((l) => l.startsWith('HEALTHCHECK'))!;
    const command = JSON.parse(line.slice(line.indexOf('['))) as string[];
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.statusCode = req.url === '/api/v1/health' ? 200 : 404;
      res.end();
    });
    const port = await listenInRange(server);
    const check = (env: Record<string, string>) =>
      new Promise<number | null>((resolve) => {
        spawn(process.execPath, ['-e', command[2]!], { env: { PATH: process.env['PATH'] ?? '', ...env } }).on('exit', resolve);
      });
    try {
      const cases = [
        { OMNICOREAGENT_SERVE_PORT: String(port), OMNICOREAGENT_SERVE_API_PREFIX: 'api/v1/' },
        { OMNICOREAGENT_SERVE_PORT: ` ${port} `, OMNICOREAGENT_SERVE_API_PREFIX: '//api//v1//' },
        { OMNICOREAGENT_SERVE_PORT: `+${port}`, OMNICOREAGENT_SERVE_API_PREFIX: '  /api/v1  ' },
        { OMNICOREAGENT_SERVE_PORT: `0${port}`, OMNICOREAGENT_SERVE_API_PREFIX: '/api/v1' },
        { OMNICOREAGENT_SERVE_PORT: String(port), OMNICOREAGENT_SERVE_API_PREFIX: '//' },
        { OMNICOREAGENT_SERVE_PORT: String(port), OMNICOREAGENT_SERVE_API_PREFIX: '' },
      ];
      for (const env of cases) {
        const config = loadServeConfig({}, env);
        expect(config.port, JSON.stringify(env)).toBe(port);
        const before = seen.length;
        expect(await check(env), JSON.stringify(env)).toBe(config.apiPrefix === '/api/v1' ? 0 : 1);
        expect(seen.slice(before), JSON.stringify(env)).toEqual([`${config.apiPrefix}/health`]);
      }
    } finally {
      server.close();
    }
  });
});
