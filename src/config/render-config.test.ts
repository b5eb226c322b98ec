import { describe, expect, it } from 'vitest';
import { SERVE_ENV_VARS } from './env-vars.ts';
import { LLM_ENVIRONMENT_VARIABLES } from './llm-environment.ts';
import { maskToken, renderConfigShow, renderEnvExample } from './render-config.ts';
import { loadServeConfig } from './serve-config.ts';

describe('renderEnvExample', () => {
  const text = renderEnvExample();
  const lines = text.split('\n');

  it('sets only the LLM key and comments out everything else', () => {
    expect(text).toContain('export LLM_API_KEY=your_api_key_here');
    expect(lines.filter((line) => line.startsWith('export '))).toEqual(['export LLM_API_KEY=your_api_key_here']);
    expect(text).toMatch(/^# export LLM_BASE_URL=/m);
    for (const { name } of LLM_ENVIRONMENT_VARIABLES) expect(text).toContain(name);
  });

  it.each([
    '# export OMNICOREAGENT_SERVE_PORT=',
    '# export OMNICOREAGENT_SERVE_HOST=',
    '# export OMNICOREAGENT_SERVE_AUTH_ENABLED=true',
    '# export OMNICOREAGENT_SERVE_AUTH_TOKEN=',
    '# export OMNICOREAGENT_SERVE_RATE_LIMIT_ENABLED=true',
    '# export OMNICOREAGENT_SERVE_RATE_LIMIT_REQUESTS=',
    'Choose one backend',
    '# export OMNICOREAGENT_BACKGROUND_TASK_STORE=sql\n',
    '# export OMNICOREAGENT_BACKGROUND_TASK_STORE_URL=sqlite:///.omnicoreagent/background.db\n',
    '# export OMNICOREAGENT_BACKGROUND_TASK_STORE=redis\n',
    '# export OMNICOREAGENT_BACKGROUND_TASK_STORE_URL=redis://localhost:6379/0\n',
    '# export OMNICOREAGENT_BACKGROUND_TASK_STORE=mongodb\n',
    '# export OMNICOREAGENT_BACKGROUND_TASK_STORE_URI=mongodb://localhost:27017\n',
    '# export OMNICOREAGENT_BACKGROUND_TASK_STORE_DATABASE=omnicoreagent\n',
  ])('contains %j', (snippet) => {
    expect(text).toContain(snippet);
  });

  it('never names the bare REDIS_URL or MONGODB_URI variables', () => {
    expect(text).not.toContain('REDIS_URL');
    expect(text).not.toContain('MONGODB_URI');
  });

  it('lists every setting, commented, with its default', () => {
    expect(lines).toContain('# export OMNICOREAGENT_SERVE_CORS_ORIGINS=*');
    expect(lines).toContain('# export OMNICOREAGENT_SERVE_PUBLIC_PATHS=');
    expect(lines).toContain('# export OMNICOREAGENT_SERVE_BODY_LIMIT_BYTES=1048576');
    for (const spec of SERVE_ENV_VARS) {
      const shown = Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default ?? '');
      expect(lines, spec.name).toContain(`# export ${spec.name}=${shown}`);
      expect(lines, spec.name).toContain(`# ${spec.description}`);
    }
  });
});

describe('renderConfigShow', () => {
  it('prints a heading, a 40-dash rule and one snake_case line per field in order', () => {
    const lines = renderConfigShow(loadServeConfig({}, {})).trimEnd().split('\n');
    expect(lines[0]).toBe('Current OmniServe Configuration:');
    expect(lines[1]).toBe('-'.repeat(40));
    expect(lines).toHaveLength(2 + SERVE_ENV_VARS.length);
    expect(lines.slice(2, 6)).toEqual(['  host: 0.0.0.0', '  port: 8000', '  workers: 1', '  api_prefix: ""']);
    expect(lines).toContain('  cors_origins: ["*"]');
    expect(lines).toContain('  auth_token: null');
    expect(lines).toContain('  background_task_store_connect_timeout: null');
    expect(lines).toContain('  max_concurrent_runs: 24');
    expect(lines).toContain('  shutdown_grace_seconds: 30');
    expect(lines.at(-1)).toBe('  otlp_endpoint: null');
  });

  it('masks the auth token', () => {
    const text = renderConfigShow(loadServeConfig({ authEnabled: true, authToken: 'supersecrettoken' }, {}));
    expect(text).toContain('  auth_token: supe****oken\n');
    expect(text).not.toContain('supersecrettoken');
  });

  it('masks passwords inside task store URLs', () => {
    const config = loadServeConfig({}, { OMNICOREAGENT_BACKGROUND_TASK_STORE_URL: 'postgres://app:hunter2@db:5432/bg' });
    const text = renderConfigShow(config);
    expect(text).toContain('  background_task_store_url: postgres://app:****@db:5432/bg\n');
    expect(text).not.toContain('hunter2');
  });
});

describe('maskToken', () => {
  it.each([
    ['abcdefghi', 'abcd****fghi'],
    ['abcdefgh', '****'],
    ['abc', '****'],
  ])('masks %j as %j', (token, masked) => {
    expect(maskToken(token)).toBe(masked);
  });

  it('keeps null visible as null', () => {
    expect(maskToken(null)).toBe('null');
  });
});
