import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { loadServeConfig } from './serve-config.ts';
import { resolveWorkspaceConfig } from './workspace-config.ts';
import { readWorkspaceEnvironment, WORKSPACE_ENVIRONMENT_VARIABLES } from './workspace-environment.ts';

const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadServeConfig({}, env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

const settings = (backend: string, prefix = 'workspace') => ({ workspaceBackend: backend, workspaceDir: '.ws', workspacePrefix: prefix });

describe('workspace configuration (spec 10)', () => {
  it('reads only the listed variables, treating blank values as unset', () => {
    const env = readWorkspaceEnvironment({ AWS_S3_BUCKET: ' runs ', AWS_REGION: '', AWS_PROFILE: 'ignored', R2_BUCKET_NAME: 'r' });
    expect(env).toEqual({ AWS_S3_BUCKET: 'runs', R2_BUCKET_NAME: 'r' });
    expect(Object.isFrozen(env)).toBe(true);
    expect(new Set(WORKSPACE_ENVIRONMENT_VARIABLES.map((variable) => variable.name)).size).toBe(WORKSPACE_ENVIRONMENT_VARIABLES.length);
  });

  it('needs no remote variable for the local backend', () => {
    expect(resolveWorkspaceConfig(settings('local'), {})).toEqual({ backend: 'local', directory: '.ws' });
    expect(problemsOf({})).toEqual([]);
  });

  it('builds an s3 config: AWS S3 by default, path-style for an endpoint, keys only when both are set', () => {
    expect(resolveWorkspaceConfig(settings('s3', '/team/runs/'), { AWS_S3_BUCKET: 'b' })).toMatchObject({
      backend: 's3', bucket: 'b', region: 'us-east-1', endpoint: null, forcePathStyle: false, credentials: null, prefix: 'team/runs',
    });
    const compatible = resolveWorkspaceConfig(settings('s3'), {
      AWS_S3_BUCKET: 'b', AWS_REGION: 'eu-west-3', AWS_ENDPOINT_URL: 'http://minio:9000', AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret',
    });
    expect(compatible).toMatchObject({
      region: 'eu-west-3', endpoint: 'http://minio:9000', forcePathStyle: true,
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
      variables: { bucket: 'AWS_S3_BUCKET', endpoint: 'AWS_ENDPOINT_URL', credentials: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] },
    });
  });

  it('builds an r2 config from the account id: its endpoint, region auto', () => {
    const env = { R2_BUCKET_NAME: 'runs', R2_ACCOUNT_ID: 'abc123', R2_ACCESS_KEY_ID: 'id', R2_SECRET_ACCESS_KEY: SECRET };
    expect(resolveWorkspaceConfig(settings('r2'), env)).toMatchObject({
      backend: 'r2', bucket: 'runs', region: 'auto', endpoint: 'https://abc123.r2.cloudflarestorage.com', forcePathStyle: true,
      credentials: { accessKeyId: 'id', secretAccessKey: SECRET },
    });
  });

  it('fails config load on a missing bucket, naming the variable and what it is for', () => {
    const problems = problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: ' S3 ' });
    expect(problems).toEqual([
      'AWS_S3_BUCKET is required when OMNICOREAGENT_WORKSPACE_BACKEND=s3: set it to the bucket that keeps run workspaces',
    ]);
  });

  it('names a bad AWS_ENDPOINT_URL with its value, and half a key pair, never showing the secret', () => {
    const problems = problemsOf({
      OMNICOREAGENT_WORKSPACE_BACKEND: 's3', AWS_S3_BUCKET: 'b', AWS_ENDPOINT_URL: 'minio:9000', AWS_SECRET_ACCESS_KEY: SECRET,
    });
    expect(problems).toEqual([
      'AWS_ENDPOINT_URL must be an http:// or https:// URL (such as http://localhost:9000), got "minio:9000"',
      'AWS_ACCESS_KEY_ID is required when AWS_SECRET_ACCESS_KEY is set: set both, or neither to use the AWS SDK default credential chain',
    ]);
    expect(problems.join('\n')).not.toContain(SECRET);
    expect(problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 's3', AWS_S3_BUCKET: 'b', AWS_ENDPOINT_URL: 'https://user:pw@host' })).toEqual([]);
    expect(problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 's3', AWS_S3_BUCKET: 'b', AWS_ENDPOINT_URL: 'ftp://user:pw@host' })[0]).toContain('"ftp://****@host"');
  });

  it('lists every missing r2 variable at once, and a malformed account id', () => {
    expect(problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 'r2', R2_BUCKET_NAME: 'runs', R2_SECRET_ACCESS_KEY: SECRET })).toEqual([
      'R2_ACCOUNT_ID, R2_ACCESS_KEY_ID are required when OMNICOREAGENT_WORKSPACE_BACKEND=r2: R2 needs the bucket name, the ' +
        'Cloudflare account id and an R2 API token (access key id and secret)',
    ]);
    const bad = problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 'r2', R2_BUCKET_NAME: 'b', R2_ACCOUNT_ID: 'evil.com/x', R2_ACCESS_KEY_ID: 'i', R2_SECRET_ACCESS_KEY: SECRET });
    expect(bad).toEqual(['R2_ACCOUNT_ID must be the account id shown in the Cloudflare dashboard (letters, digits, "-"), got "evil.com/x"']);
  });

  it('reports the remote problems next to the other configuration problems', () => {
    const problems = problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 'r2', OMNICOREAGENT_SERVE_PORT: '0' });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('OMNICOREAGENT_SERVE_PORT');
    expect(problems[1]).toContain('R2_BUCKET_NAME, R2_ACCOUNT_ID, R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY are required');
  });
});
