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
    expect(endpointProblems('ftp://user:a-long-password-0123@host')[0]).toContain('"ftp://user:****0123@host"');
  });

  const endpointProblems = (endpoint: string) => problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 's3', AWS_S3_BUCKET: 'run-files', AWS_ENDPOINT_URL: endpoint });

  it('takes an endpoint of scheme, host, port and an optional path (some S3-compatible servers sit under one)', () => {
    for (const endpoint of ['http://127.0.0.1:9000', 'https://s3.example.com', 'https://gw.example.com/s3', 'http://[::1]:9000/', 'https://gw.example.com/s3/']) {
      expect(endpointProblems(endpoint), endpoint).toEqual([]);
    }
  });

  it.each([
    [
      'http://127.0.0.1:18030/?token=S1-secret-token-value', '"http://127.0.0.1:18030/?token=****alue"',
      'a query ("?..."): S3 requests carry their own signed query string, so this one would be dropped or break the signature',
    ],
    ['http://127.0.0.1:18030/#frag', '"http://127.0.0.1:18030/#frag"', 'a fragment ("#..."), which is never sent to a server'],
    [
      'https://app:a-long-password-0123@minio:9000', '"https://app:****0123@minio:9000"',
      'user info ("user:password@"): requests are signed with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, so set the keys there',
    ],
  ])('refuses the endpoint %j, showing it masked and saying why', (endpoint, shown, why) => {
    const problems = endpointProblems(endpoint);
    expect(problems).toEqual([
      `AWS_ENDPOINT_URL must be scheme://host[:port] with at most a path (such as http://localhost:9000), got ${shown}: it has ${why}`,
    ]);
    expect(problems[0]).not.toMatch(/S1-secret|a-long-password/);
  });

  it.each(['eu-west-1', 'us-gov-west-1', 'cn-north-1', 'ap-southeast-5'])('takes the AWS region %j', (region) => {
    expect(problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 's3', AWS_S3_BUCKET: 'run-files', AWS_REGION: region })).toEqual([]);
  });

  it.each(['bad region!', 'EU-WEST-1', 'eu_west_1', 'eu-west-1.', '-eu-west-1', `a${'-b'.repeat(40)}`])('refuses the AWS region %j', (region) => {
    expect(problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 's3', AWS_S3_BUCKET: 'run-files', AWS_REGION: region })).toEqual([
      `AWS_REGION must be an AWS region name such as eu-west-1 (lowercase letters and digits in groups joined by "-", at most 63 ` +
        `characters), got ${JSON.stringify(region)}`,
    ]);
  });

  it("takes an S3-compatible server's own region names with AWS_ENDPOINT_URL, but not spaces or punctuation", () => {
    const compatible = (region: string) =>
      problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 's3', AWS_S3_BUCKET: 'run-files', AWS_ENDPOINT_URL: 'http://minio:9000', AWS_REGION: region });
    for (const region of ['us-east-1', 'garage', 'fr-par', 'Garage', 'zone1', 'a']) expect(compatible(region), region).toEqual([]);
    // The AWS SDK refuses anything that is not a host name label (US_WEST included) at the first request.
    for (const region of ['bad region!', 'eu/west', 'a.b', '_x', 'US_WEST', 'x-', 'x'.repeat(64)]) {
      expect(compatible(region), region).toEqual([
        'AWS_REGION must be a region name such as eu-west-1, or the one the S3-compatible server at AWS_ENDPOINT_URL expects ' +
          `(letters, digits and "-", starting and ending with a letter or digit, at most 63 characters), got ${JSON.stringify(region)}`,
      ]);
    }
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

  it('takes a prefix of safe names, with its outer slashes removed, or none: "/" puts the files at the bucket root', () => {
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
    ['xn--abc', 'it starts with "xn--", which AWS reserves'],
    ['sthree-abc', 'it starts with "sthree-", which AWS reserves'],
    ['amzn-s3-demo-runs', 'it starts with "amzn-s3-demo-", which AWS reserves'],
    ['abc-s3alias', 'it ends with "-s3alias", which AWS reserves'],
    ['abc--ol-s3', 'it ends with "--ol-s3", which AWS reserves'],
    ['abc.mrap', 'it ends with ".mrap", which AWS reserves'],
    ['abc--x-s3', 'it ends with "--x-s3", which AWS reserves'],
    ['abc--table-s3', 'it ends with "--table-s3", which AWS reserves'],
  ])('refuses the S3 bucket name %j (%s)', (bucket, reason) => {
    expect(problemsOf({ OMNICOREAGENT_WORKSPACE_BACKEND: 's3', AWS_S3_BUCKET: bucket })).toEqual([
      'AWS_S3_BUCKET must be an S3 bucket name: 3-63 characters, lowercase letters, digits, "." and "-", starting and ending ' +
        'with a letter or digit, no "..", not an IP address, not starting with xn--, sthree- or amzn-s3-demo-, not ending ' +
        `with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3; got ${JSON.stringify(bucket)}: ${reason}`,
    ]);
  });

  it('takes S3 bucket names that follow the rules, and holds R2 buckets to R2 rules (no dots)', () => {
    for (const bucket of ['abc', 'a'.repeat(63), 'my.bucket-01', '1-2-3', '192.168.5.4a', 'xn-abc', 'abc-s3', 'mrap.abc', 'runs-s3alias-2']) {
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
