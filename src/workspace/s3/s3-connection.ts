import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { redactUserInfo, type RemoteWorkspaceConfig } from '../../config/workspace-config.ts';
import { ConfigError } from '../../core/errors.ts';
import { S3Workspace } from './s3-workspace.ts';

export interface OpenS3WorkspaceOptions {
  /** Seconds the bucket check at start-up may take; 10 unless given. */
  readonly timeoutSeconds?: number;
  /** Keys per list request (tests use small pages to exercise paging). */
  readonly pageSize?: number;
}

/** An S3 client for the configured bucket: AWS S3, an S3-compatible server, or R2. */
export function createS3Client(config: RemoteWorkspaceConfig): S3Client {
  return new S3Client({
    region: config.region,
    ...(config.endpoint === null ? {} : { endpoint: config.endpoint }),
    forcePathStyle: config.forcePathStyle,
    // Null: the SDK's default chain (its own environment variables, shared config files, SSO, instance roles).
    ...(config.credentials === null ? {} : { credentials: { ...config.credentials } }),
    // AWS_REGION defaults to us-east-1; a bucket in another region then answers with a redirect the SDK follows.
    followRegionRedirects: true,
    // The SDK's default is to add CRC checksums to every upload, sent as aws-chunked bodies, and to demand them on
    // downloads. Many S3-compatible servers (older MinIO, R2 in places, s3rver in our tests) reject or mangle those,
    // and the files here are small text: checksums only where an operation requires them, whatever the endpoint.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  });
}

/**
 * Opens the bucket's workspace, first proving with HeadBucket, within the timeout, that the bucket exists and the
 * credentials may use it. A failure becomes one `ConfigError` line naming the variables, the bucket and the endpoint,
 * never a secret.
 */
export async function openS3Workspace(config: RemoteWorkspaceConfig, options: OpenS3WorkspaceOptions = {}): Promise<S3Workspace> {
  const client = createS3Client(config);
  const timeoutMs = (options.timeoutSeconds ?? 10) * 1000;
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.send(new HeadBucketCommand({ Bucket: config.bucket }), { abortSignal: abort.signal }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} seconds`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    abort.abort();
    client.destroy();
    throw new ConfigError([describeBucketFailure(config, error)]);
  } finally {
    clearTimeout(timer);
  }
  return new S3Workspace(client, {
    bucket: config.bucket,
    prefix: config.prefix,
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
  });
}

/** One line saying what failed and which variables to look at. */
export function describeBucketFailure(config: RemoteWorkspaceConfig, error: unknown): string {
  const { variables } = config;
  const endpoint = config.endpoint === null ? `AWS S3 (region ${config.region})` : redactUserInfo(config.endpoint);
  const settings = [variables.bucket, ...(variables.endpoint === null ? [] : [variables.endpoint])].join(', ');
  const head = `OMNICOREAGENT_WORKSPACE_BACKEND=${config.backend}: bucket "${config.bucket}" at ${endpoint} (${settings})`;
  const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = $metadata?.httpStatusCode;
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
  return `${head} cannot be reached: ${scrub(config, reason(error))}`;
}

function reason(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const text = error instanceof Error ? error.message || error.name : String(error);
  const extra = cause instanceof Error && cause.message !== '' && !text.includes(cause.message) ? ` (${cause.message})` : '';
  return `${text}${extra}`.replace(/\s+/g, ' ').trim();
}

/** Belt and braces: driver text that somehow carried a secret would lose it here. */
function scrub(config: RemoteWorkspaceConfig, text: string): string {
  const secrets = [config.credentials?.secretAccessKey, config.credentials?.sessionToken].filter(
    (secret): secret is string => secret !== undefined && secret.length >= 4,
  );
  return secrets.reduce((out, secret) => out.split(secret).join('****'), text);
}
