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
    expect(resolveWorkspaceConfig(settings('s3', '/team/runs/'), { AWS_S3_BUCKET: 'run-files' })).toMatchObject({
      backend: 's3', bucket: 'run-files', region: 'us-east-1', endpoint: null, forcePathStyle: false, credentials: null, prefix: 'team/runs',
    });
    const compatible = resolveWorkspaceConfig(settings('s3'), {
      AWS_S3_BUCKET: 'run-files', AWS_REGION: 'eu-west-3', AWS_ENDPOINT_URL: 'http://minio:9000', AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret',
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
      OMNICOREAGENT_WORKSPACE_BACKEND: 's3', AWS_S3_BUCKET: 'run-files', AWS_ENDPOINT_URL: 'minio:9000', AWS_SECRET_ACCESS_KEY: SECRET,
    });
    expect(problems).toEqual([
      'AWS_ENDPOINT_URL must be an http:// or https:// URL (such as http://localhost:9000), got "minio:9000"',
      'AWS_ACCESS_KEY_ID is required when AWS_SECRET_ACCESS_KEY is set: set both, or neither to use the AWS SDK default credential chain',
    ]);
    expect(problems.join('\n')).not.toContain(SECRET);
    expect(problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 's3', AWS_S3_BUCKET: 'run-files', AWS_ENDPOINT_URL: 'https://user:pw@host' })).toEqual([]);
    expect(problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 's3', AWS_S3_BUCKET: 'run-files', AWS_ENDPOINT_URL: 'ftp://user:pw@host' })[0]).toContain('"ftp://****@host"');
  });

  it('lists every missing r2 variable at once, and a malformed account id', () => {
    expect(problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 'r2', R2_BUCKET_NAME: 'runs', R2_SECRET_ACCESS_KEY: SECRET })).toEqual([
      'R2_ACCOUNT_ID, R2_ACCESS_KEY_ID are required when OMNICOREAGENT_WORKSPACE_BACKEND=r2: R2 needs the bucket name, the ' +
        'Cloudflare account id and an R2 API token (access key id and secret)',
    ]);
    const bad = problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 'r2', R2_BUCKET_NAME: 'run-files', R2_ACCOUNT_ID: 'evil.com/x', R2_ACCESS_KEY_ID: 'i', R2_SECRET_ACCESS_KEY: SECRET });
    expect(bad).toEqual(['R2_ACCOUNT_ID must be the account id shown in the Cloudflare dashboard (letters, digits, "-"), got "evil.com/x"']);
  });

  it('reports the remote problems next to the other configuration problems', () => {
    const problems = problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 'r2', OMNICOREAGENT_SERVE_PORT: '0' });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('OMNICOREAGENT_SERVE_PORT');
    expect(problems[1]).toContain('R2_BUCKET_NAME, R2_ACCOUNT_ID, R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY are required');
  });

  it.each([
    ['..', 'a ".." name'],
    ['../..', 'a ".." name'],
    ['team/../other', 'a ".." name'],
    ['team/./runs', 'a "." name'],
    ['team//runs', 'an empty name'],
    ['team\\runs', 'a backslash'],
    ['C:/runs', 'a drive letter'],
    ['team/\u0007runs', 'a control character'],
    [`team/${'x'.repeat(256)}`, 'a name of 256 bytes'],
  ])('refuses the prefix %j (%s), naming the variable, the value and what is allowed', (prefix, reason) => {
    const env = { OMNICOREAGENT_WORKSPACE_BACKEND: 's3', OMNICOREAGENT_WORKSPACE_PREFIX: prefix, AWS_S3_BUCKET: 'run-files' };
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^OMNICOREAGENT_WORKSPACE_PREFIX must be a key prefix of "\/"-separated names \(any printable characters but "\\"; no empty, "\." or "\.\." names; no drive letter such as "C:"; each name at most 255 bytes\); got "/,
    );
    expect(problems[0]).toContain(`got ${JSON.stringify(prefix).slice(0, 20)}`);
    expect(problems[0]?.endsWith(`: it has ${reason}`)).toBe(true);
    expect(() => resolveWorkspaceConfig(settings('r2', prefix), { R2_BUCKET_NAME: 'run-files', R2_ACCOUNT_ID: 'a1', R2_ACCESS_KEY_ID: 'i', R2_SECRET_ACCESS_KEY: SECRET })).toThrow(
      /OMNICOREAGENT_WORKSPACE_PREFIX must be/,
    );
  });

  it('takes a prefix of safe names, with its outer slashes removed, or none', () => {
    for (const [prefix, resolved] of [['/team/runs/', 'team/runs'], ['', ''], ['/', ''], ['équipe 1/runs.v2', 'équipe 1/runs.v2']] as const) {
      expect(resolveWorkspaceConfig(settings('s3', prefix), { AWS_S3_BUCKET: 'run-files' })).toMatchObject({ prefix: resolved });
    }
  });

  it.each([
    ['ab', 'it has 2 characters'],
    ['a'.repeat(64), 'it has 64 characters'],
    ['My-Bucket', 'it has a character other than a-z, 0-9, "." and "-"'],
    ['my_bucket', 'it has a character other than a-z, 0-9, "." and "-"'],
    ['-bucket', 'it starts or ends with "." or "-"'],
    ['bucket.', 'it starts or ends with "." or "-"'],
    ['my..bucket', 'it has ".."'],
    ['192.168.5.4', 'it is an IP address'],
  ])('refuses the S3 bucket name %j (%s)', (bucket, reason) => {
    expect(problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 's3', AWS_S3_BUCKET: bucket })).toEqual([
      'AWS_S3_BUCKET must be an S3 bucket name: 3-63 characters, lowercase letters, digits, "." and "-", starting and ending ' +
        `with a letter or digit, no "..", not an IP address; got ${JSON.stringify(bucket)}: ${reason}`,
    ]);
  });

  it('takes S3 bucket names that follow the rules, and holds R2 buckets to R2 rules (no dots)', () => {
    for (const bucket of ['abc', 'a'.repeat(63), 'my.bucket-01', '1-2-3', '192.168.5.4a']) {
      expect(problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 's3', AWS_S3_BUCKET: bucket }), bucket).toEqual([]);
    }
    const r2 = (bucket: string) =>
      problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 'r2', R2_BUCKET_NAME: bucket, R2_ACCOUNT_ID: 'a1', R2_ACCESS_KEY_ID: 'i', R2_SECRET_ACCESS_KEY: SECRET });
    expect(r2('run-files-01')).toEqual([]);
    expect(r2('run.files')).toEqual([
      'R2_BUCKET_NAME must be an R2 bucket name: 3-63 characters, lowercase letters, digits and "-", starting and ending ' +
        'with a letter or digit; got "run.files": it has a character other than a-z, 0-9 and "-"',
    ]);
  });
});
