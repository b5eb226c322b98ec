import type { RemoteWorkspaceConfig } from '../../config/workspace-config.ts';
import { maskUrlSecrets } from '../../config/mask-secrets.ts';
import { WorkspaceUnavailableError } from '../workspace-errors.ts';

/** Where the bucket is, as shown to people: the endpoint with its secrets masked, or AWS S3 and the region. */
export function shownEndpoint(config: RemoteWorkspaceConfig): string {
  return config.endpoint === null ? `AWS S3 (region ${config.region})` : maskUrlSecrets(config.endpoint);
}

/**
 * A failure of the bucket after start-up, told as at start-up. `refused` when the bucket answered (any HTTP status)
 * or no credentials could be found; `unreachable` when nothing answered: a refused or reset connection, DNS, a timeout.
 */
export function workspaceUnavailable(config: RemoteWorkspaceConfig, error: unknown): WorkspaceUnavailableError {
  const { name } = (error ?? {}) as { name?: string };
  const kind = httpStatus(error) !== undefined || name === 'CredentialsProviderError' ? 'refused' : 'unreachable';
  const fields = { kind, backend: config.backend, bucket: config.bucket, endpoint: shownEndpoint(config) } as const;
  return new WorkspaceUnavailableError(fields, describeBucketFailure(config, error), { cause: error });
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** One line saying what failed and which variables to look at. */
export function describeBucketFailure(config: RemoteWorkspaceConfig, error: unknown): string {
  const { variables } = config;
  const endpoint = shownEndpoint(config);
  const settings = [variables.bucket, ...(variables.endpoint === null ? [] : [variables.endpoint])].join(', ');
  const head = `OMNICOREAGENT_WORKSPACE_BACKEND=${config.backend}: bucket "${config.bucket}" at ${endpoint} (${settings})`;
  const { name } = (error ?? {}) as { name?: string };
  const status = httpStatus(error);
  const keys = variables.credentials.length > 0
    ? variables.credentials.join(' and ')
    : 'the credentials the AWS SDK default chain found (or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)';
  if (name === 'CredentialsProviderError') {
    return `${head}: no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure the AWS SDK default credential chain`;
  }
  if (status === 404 || name === 'NoSuchBucket') {
    return `${head} does not exist (HTTP 404): create it, or set ${variables.bucket} to an existing bucket`;
  }
  if (status === 401 || status === 403) {
    return `${head} refused the credentials (HTTP ${status}): check ${keys}, and that they may read and write this bucket`;
  }
  if (status === 301 || status === 400) {
    return `${head} refused the request (HTTP ${status}${name ? ` ${name}` : ''}): check the bucket name${config.backend === 's3' ? ' and AWS_REGION' : ''}`;
  }
  if (status !== undefined) return `${head} answered with an error (HTTP ${status}${name ? ` ${name}` : ''}): ${scrub(config, reason(error))}`;
  return `${head} cannot be reached: ${scrub(config, reason(error))}`;
}

function reason(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const text = error instanceof Error ? error.message || error.name : String(error);
  const extra = cause instanceof Error && cause.message !== '' && !text.includes(cause.message) ? ` (${cause.message})` : '';
  // The SDK's HTTP handler starts its messages with its package name and a level: noise to the reader.
  return `${text}${extra}`.replace(/^@smithy\/[\w-]+ - (\[[A-Z]+\] )?/, '').replace(/\s+/g, ' ').trim();
}

/** Belt and braces: driver text that somehow carried a secret would lose it here. */
function scrub(config: RemoteWorkspaceConfig, text: string): string {
  const secrets = [config.credentials?.secretAccessKey, config.credentials?.sessionToken].filter(
    (secret): secret is string => secret !== undefined && secret.length >= 4,
  );
  return secrets.reduce((out, secret) => out.split(secret).join('****'), text);
}
