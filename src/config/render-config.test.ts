import { describe, expect, it } from 'vitest';
import { SERVE_ENV_VARS, shownDefault } from './env-vars.ts';
import { LLM_ENVIRONMENT_VARIABLES } from './llm-environment.ts';
import { maskToken, renderConfigShow, renderEnvExample } from './render-config.ts';
import { loadServeConfig } from './serve-config.ts';
import { resolveTaskStoreConfig } from './task-store-config.ts';
import { readWorkspaceEnvironment } from './workspace-environment.ts';

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
    expect(lines).toContain('# export OMNICOREAGENT_BACKGROUND_TASK_STORE_CONNECT_TIMEOUT=10');
    for (const spec of SERVE_ENV_VARS) {
      const value = shownDefault(spec);
      const shown = Array.isArray(value) ? value.join(',') : String(value ?? '');
      expect(lines, spec.name).toContain(`# export ${spec.name}=${shown}`);
      expect(lines, spec.name).toContain(`# ${spec.description}`);
    }
  });
});

/** What `omniserve config --show` prints for this environment, read the way the command reads it. */
function show(env: NodeJS.ProcessEnv): string[] {
  return renderConfigShow(loadServeConfig({}, env), readWorkspaceEnvironment(env)).trimEnd().split('\n');
}

describe('renderConfigShow', () => {
  it('prints a heading, a 40-dash rule and one snake_case line per setting in order', () => {
    const lines = show({});
    expect(lines[0]).toBe('Current OmniServe Configuration:');
    expect(lines[1]).toBe('-'.repeat(40));
    expect(lines.slice(2, 6)).toEqual(['  host: 0.0.0.0', '  port: 8000', '  workers: 1', '  api_prefix: ""']);
    expect(lines).toContain('  cors_origins: ["*"]');
    expect(lines).toContain('  auth_token: null');
    expect(lines).toContain('  max_concurrent_runs: 24');
    expect(lines).toContain('  shutdown_grace_seconds: 30');
    expect(lines.at(-1)).toBe('  otlp_endpoint: null');
  });

  it('leaves out the settings the in-memory store and the local workspace do not use', () => {
    const lines = show({});
    expect(lines).toContain('  background_task_store: in_memory');
    expect(lines.filter((line) => line.startsWith('  background_task_store'))).toEqual(['  background_task_store: in_memory']);
    expect(lines.filter((line) => line.startsWith('  workspace_'))).toEqual([
      '  workspace_backend: local',
      '  workspace_dir: .omnicoreagent/workspace',
    ]);
    expect(lines).toHaveLength(2 + SERVE_ENV_VARS.length - 7);
  });
});

describe('renderConfigShow: the task store the server would open', () => {
  it('shows sql when a URL alone selects it, as the server resolves it', () => {
    const env = { OMNICOREAGENT_BACKGROUND_TASK_STORE_URL: 'postgres://app:hunter2@db:5432/bg' };
    expect(resolveTaskStoreConfig(loadServeConfig({}, env)).backend).toBe('sql');
    const lines = show(env);
    expect(lines).toContain('  background_task_store: sql (selected by OMNICOREAGENT_BACKGROUND_TASK_STORE_URL)');
    expect(lines).toContain('  background_task_store_url: postgres://app:****@db:5432/bg');
    expect(lines).toContain('  background_task_store_prefix: "" (default)');
    expect(lines).toContain('  background_task_store_connect_timeout: 10 (default)');
    expect(lines.join('\n')).not.toContain('hunter2');
  });

  it('shows mongodb when a URI alone selects it, with its database and collection prefix', () => {
    const lines = show({ OMNICOREAGENT_BACKGROUND_TASK_STORE_URI: 'mongodb://db:27017/?replicaSet=rs0' });
    expect(lines).toContain('  background_task_store: mongodb (selected by OMNICOREAGENT_BACKGROUND_TASK_STORE_URI)');
    expect(lines).toContain('  background_task_store_uri: mongodb://db:27017/?replicaSet=rs0');
    expect(lines).toContain('  background_task_store_database: omnicoreagent');
    expect(lines).toContain('  background_task_store_collection_prefix: omnicoreagent_background (default)');
  });

  it('fills in the SQLite file the sql store opens without a URL', () => {
    const lines = show({ OMNICOREAGENT_BACKGROUND_TASK_STORE: 'sql', OMNICOREAGENT_BACKGROUND_TASK_STORE_CONNECT_TIMEOUT: '2.5' });
    expect(lines).toContain('  background_task_store: sql');
    expect(lines).toContain('  background_task_store_url: sqlite:///.omnicoreagent/omniserve.db (default)');
    expect(lines).toContain('  background_task_store_connect_timeout: 2.5');
  });

  it('says so when a setting given is not used by the chosen store', () => {
    const lines = show({
      OMNICOREAGENT_BACKGROUND_TASK_STORE: 'redis',
      OMNICOREAGENT_BACKGROUND_TASK_STORE_URL: 'redis://cache:6379/0',
      OMNICOREAGENT_BACKGROUND_TASK_STORE_COLLECTION_PREFIX: 'mine',
    });
    expect(lines).toContain('  background_task_store: redis');
    expect(lines).toContain('  background_task_store_prefix: omnicoreagent:background (default)');
    expect(lines).toContain('  background_task_store_collection_prefix: mine (not used by the redis task store)');
  });
});

describe('renderConfigShow: secrets', () => {
  it('shows nothing of a token shorter than 16 characters', () => {
    const lines = show({ OMNICOREAGENT_SERVE_AUTH_ENABLED: 'true', OMNICOREAGENT_SERVE_AUTH_TOKEN: '0123456789' });
    expect(lines).toContain('  auth_token: ****');
    expect(lines.join('\n')).not.toMatch(/0123|6789/);
  });

  it('shows only the last 4 characters of a long token', () => {
    const text = show({ OMNICOREAGENT_SERVE_AUTH_ENABLED: 'true', OMNICOREAGENT_SERVE_AUTH_TOKEN: 'supersecrettoken' }).join('\n');
    expect(text).toContain('  auth_token: ****oken\n');
    expect(text).not.toContain('supe');
  });

  it.each([
    ['redis://:a-long-redis-password-1234@cache:6379/0', 'redis://:****1234@cache:6379/0'],
    ['postgres://app:p@ss@db:5432/bg', 'postgres://app:****@db:5432/bg'],
    ['mysql://app@db:3306/bg?password=hunter2&ssl=true', 'mysql://app@db:3306/bg?password=****&ssl=true'],
  ])('masks the password inside %j', (url, masked) => {
    const lines = show({ OMNICOREAGENT_BACKGROUND_TASK_STORE: url.startsWith('redis') ? 'redis' : 'sql', OMNICOREAGENT_BACKGROUND_TASK_STORE_URL: url });
    expect(lines).toContain(`  background_task_store_url: ${masked}`);
  });
});

describe('renderConfigShow: the workspace', () => {
  const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

  it('shows an S3 bucket, its region, endpoint and prefix, and the keys masked', () => {
    const lines = show({
      OMNICOREAGENT_WORKSPACE_BACKEND: 's3',
      OMNICOREAGENT_WORKSPACE_PREFIX: '/runs/',
      AWS_S3_BUCKET: 'my-bucket',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: 'http://localhost:9000',
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: SECRET,
    });
    expect(lines.filter((line) => line.startsWith('  workspace_'))).toEqual([
      '  workspace_backend: s3',
      '  workspace_prefix: runs',
      '  workspace_bucket: my-bucket',
      '  workspace_region: eu-west-1',
      '  workspace_endpoint: http://localhost:9000',
      '  workspace_credentials: AWS_ACCESS_KEY_ID=****MPLE, AWS_SECRET_ACCESS_KEY=****EKEY',
    ]);
    expect(lines.join('\n')).not.toContain(SECRET.slice(0, 8));
  });

  it('names the AWS SDK default chain when no keys are set, and AWS S3 when no endpoint is', () => {
    const lines = show({ OMNICOREAGENT_WORKSPACE_BACKEND: 's3', AWS_S3_BUCKET: 'runs-bucket' });
    expect(lines).toContain('  workspace_region: us-east-1');
    expect(lines).toContain('  workspace_endpoint: AWS S3');
    expect(lines).toContain('  workspace_credentials: the AWS SDK default credential chain');
  });

  it('shows an R2 bucket with its account endpoint', () => {
    const lines = show({
      OMNICOREAGENT_WORKSPACE_BACKEND: 'r2',
      R2_BUCKET_NAME: 'r2-bucket',
      R2_ACCOUNT_ID: 'abc123',
      R2_ACCESS_KEY_ID: 'short-id',
      R2_SECRET_ACCESS_KEY: SECRET,
    });
    expect(lines).toContain('  workspace_bucket: r2-bucket');
    expect(lines).toContain('  workspace_endpoint: https://abc123.r2.cloudflarestorage.com');
    expect(lines).toContain('  workspace_credentials: R2_ACCESS_KEY_ID=****, R2_SECRET_ACCESS_KEY=****EKEY');
  });
});

describe('maskToken', () => {
  it.each([
    ['0123456789abcdef', '****cdef'],
    ['0123456789abcde', '****'],
    ['0123456789', '****'],
    ['abc', '****'],
  ])('masks %j as %j', (token, masked) => {
    expect(maskToken(token)).toBe(masked);
  });

  it('keeps null visible as null', () => {
    expect(maskToken(null)).toBe('null');
  });
});
