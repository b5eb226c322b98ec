import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { RemoteWorkspaceConfig } from '../../config/workspace-config.ts';
import { ConfigError } from '../../core/errors.ts';
import { describeBucketFailure, workspaceUnavailable } from './bucket-failure.ts';
import { S3Workspace } from './s3-workspace.ts';

export { describeBucketFailure } from './bucket-failure.ts';

/** Milliseconds a request gets to open its connection. */
export const S3_CONNECT_TIMEOUT_MS = 3_000;
/** Milliseconds a request gets for the answer to start, and at most between two parts of it. */
export const S3_REQUEST_TIMEOUT_MS = 30_000;

/** Per-request limits of the S3 client; the defaults above unless given (tests shorten them). */
export interface S3ClientTimeouts {
  readonly connectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
}

export interface OpenS3WorkspaceOptions extends S3ClientTimeouts {
  /** Seconds the bucket check at start-up may take; 10 unless given. */
  readonly timeoutSeconds?: number;
  /** Keys per list request (tests use small pages to exercise paging). */
  readonly pageSize?: number;
}

/** An S3 client for the configured bucket: AWS S3, an S3-compatible server, or R2. */
export function createS3Client(config: RemoteWorkspaceConfig, timeouts: S3ClientTimeouts = {}): S3Client {
  const requestTimeout = timeouts.requestTimeoutMs ?? S3_REQUEST_TIMEOUT_MS;
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
    // The SDK's request timeout only logs a warning unless told to throw, and its socket idle timeout is unset: an
    // endpoint that accepts and never answers would hold a listing or a tool call forever. The SDK retries a failed
    // request twice (three attempts), so a call to such an endpoint gives up after about three request timeouts.
    requestHandler: {
      connectionTimeout: timeouts.connectTimeoutMs ?? S3_CONNECT_TIMEOUT_MS,
      requestTimeout,
      throwOnRequestTimeout: true,
      socketTimeout: requestTimeout,
    },
  });
}

/**
 * Opens the bucket's workspace, first proving with HeadBucket, within the timeout, that the bucket exists and the
 * credentials may use it. A failure becomes one `ConfigError` line naming the variables, the bucket and the endpoint,
 * never a secret. Later failures of the bucket reject with a `WorkspaceUnavailableError` saying the same.
 */
export async function openS3Workspace(config: RemoteWorkspaceConfig, options: OpenS3WorkspaceOptions = {}): Promise<S3Workspace> {
  const client = createS3Client(config, options);
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
    toError: (error) => workspaceUnavailable(config, error),
  });
}
