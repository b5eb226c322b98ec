import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { resolveWorkspaceConfig, type RemoteWorkspaceConfig } from '../../src/config/workspace-config.ts';
import { readWorkspaceEnvironment } from '../../src/config/workspace-environment.ts';
import { createS3Client } from '../../src/workspace/s3/s3-connection.ts';

/** s3rver's one account. It checks the access key id of a SigV4 request, not the signature, so a wrong secret passes. */
export const S3RVER_ACCESS_KEY = 'S3RVER';
export const S3RVER_SECRET = 'S3RVER';

export interface S3TestServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** A bucket that exists on the server. */
  readonly bucket: string;
  /** The environment that selects this server's bucket as an `s3` workspace (`AWS_*` only; add the backend). */
  env(overrides?: Record<string, string>): Record<string, string>;
  /** The resolved config, as the server would build it from `env()`, with the given key prefix. */
  config(prefix: string): RemoteWorkspaceConfig;
  /** Every key in the bucket (or under `prefix`), read back with a plain SDK client. */
  keys(prefix?: string): Promise<string[]>;
  close(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./s3rver-main.mjs', import.meta.url));

/**
 * A real S3-compatible server (s3rver, in a child process, files in a temporary directory) on loopback, with one
 * bucket. The workspace under test talks to it through the real AWS SDK, over HTTP. `port` 0 takes any free port.
 */
export async function startS3TestServer(bucket = 'omni-workspace-test', port = 0): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const args = ['--openssl-legacy-provider', MAIN, directory, String(port), bucket];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`s3rver exited with code ${String(code)} before listening`))),
  ]);
  lines.close();
  const listening = (JSON.parse(first) as { port: number }).port;
  const endpoint = `http://127.0.0.1:${listening}`;
  const env = (overrides: Record<string, string> = {}) => ({
    AWS_S3_BUCKET: bucket,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: S3RVER_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: S3RVER_SECRET,
    ...overrides,
  });
  const config = (prefix: string) => {
    const resolved = resolveWorkspaceConfig({ workspaceBackend: 's3', workspaceDir: '', workspacePrefix: prefix }, readWorkspaceEnvironment(env()));
    if (resolved.backend === 'local') throw new Error('unreachable: an s3 config was asked for');
    return resolved;
  };
  const reader = createS3Client(config(''));
  return {
    endpoint,
    bucket,
    env,
    config,
    async keys(prefix = '') {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await reader.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
        keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return keys.sort();
    },
    async close() {
      reader.destroy();
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.stdin.end();
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}
