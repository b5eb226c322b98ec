/** One environment variable a remote workspace backend reads, with what it means, for docs that must list every one. */
export interface WorkspaceEnvironmentVariable {
  readonly name: string;
  /** The `OMNICOREAGENT_WORKSPACE_BACKEND` that reads it. */
  readonly backend: 's3' | 'r2';
  readonly meaning: string;
}

export const WORKSPACE_ENVIRONMENT_VARIABLES = [
  { name: 'AWS_S3_BUCKET', backend: 's3',
    meaning: 'Bucket of the s3 workspace; required when OMNICOREAGENT_WORKSPACE_BACKEND=s3. 3-63 characters: a-z, 0-9, ".", "-"; no AWS-reserved prefix or suffix.' },
  { name: 'AWS_REGION', backend: 's3',
    meaning: 'Region of the bucket, such as eu-west-1; us-east-1 when unset (a bucket elsewhere is still found, at the cost of a redirect).' },
  { name: 'AWS_ACCESS_KEY_ID', backend: 's3',
    meaning: 'Access key for the s3 workspace, set together with AWS_SECRET_ACCESS_KEY; with neither, the AWS SDK default credential chain is used.' },
  { name: 'AWS_SECRET_ACCESS_KEY', backend: 's3',
    meaning: 'Secret key that goes with AWS_ACCESS_KEY_ID.' },
  { name: 'AWS_SESSION_TOKEN', backend: 's3',
    meaning: 'Session token of temporary credentials, sent with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.' },
  { name: 'AWS_ENDPOINT_URL', backend: 's3',
    meaning: 'Endpoint of an S3-compatible server (MinIO, Ceph, LocalStack...): http(s)://host[:port][/path], no query. Buckets are then addressed path-style.' },
  { name: 'R2_BUCKET_NAME', backend: 'r2',
    meaning: 'Bucket of the r2 workspace; required when OMNICOREAGENT_WORKSPACE_BACKEND=r2. 3-63 characters: a-z, 0-9, "-".' },
  { name: 'R2_ACCOUNT_ID', backend: 'r2',
    meaning: 'Cloudflare account id; the endpoint is https://<account id>.r2.cloudflarestorage.com. Required for r2.' },
  { name: 'R2_ACCESS_KEY_ID', backend: 'r2',
    meaning: 'R2 API token access key id; required for r2.' },
  { name: 'R2_SECRET_ACCESS_KEY', backend: 'r2',
    meaning: 'R2 API token secret access key; required for r2.' },
] as const satisfies readonly WorkspaceEnvironmentVariable[];

export type WorkspaceEnvironmentVariableName = (typeof WORKSPACE_ENVIRONMENT_VARIABLES)[number]['name'];

/**
 * The remote workspace settings found in the environment, keyed by variable name so an error message and the code
 * name the same thing. A variable that is unset or empty is absent.
 */
export type WorkspaceEnvironment = { readonly [Name in WorkspaceEnvironmentVariableName]?: string };

/** The only reader of `process.env` for workspace credentials; everything else receives the result. */
export function readWorkspaceEnvironment(env: NodeJS.ProcessEnv = process.env): WorkspaceEnvironment {
  const found: { [Name in WorkspaceEnvironmentVariableName]?: string } = {};
  for (const { name } of WORKSPACE_ENVIRONMENT_VARIABLES) {
    // `KEY=` left behind in a .env file means "not set", exactly as for the LLM variables.
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') found[name] = value;
  }
  return Object.freeze(found);
}
