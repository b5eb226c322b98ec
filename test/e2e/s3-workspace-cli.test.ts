import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startS3TestServer, type S3TestServer } from '../support/s3-test-server.ts';
import { FIXTURES, freePort, runCli, stopAllClis } from './spawn-cli.ts';

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3TestServer();
});
afterAll(async () => s3?.close());
afterEach(async () => stopAllClis());

describe('omniserve run with an S3 workspace', () => {
  it('fails start on a missing bucket with one "Error:" line naming it, and never prints the secret', async () => {
    const secret = 'cli-secret-value-9876543210';
    const port = await freePort();
    const result = await runCli(['run', '--agent', join(FIXTURES, 'light-agent.ts'), '--host', '127.0.0.1', '--port', String(port)], {
      env: { OMNICOREAGENT_WORKSPACE_BACKEND: 's3', ...s3.env({ AWS_S3_BUCKET: 'missing-bucket', AWS_SECRET_ACCESS_KEY: secret }) },
    });
    expect(result.code).toBe(1);
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('Error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`bucket "missing-bucket" at ${s3.endpoint} (AWS_S3_BUCKET, AWS_ENDPOINT_URL) does not exist`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it('fails before loading the agent when the bucket variable is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omni-marker-'));
    const marker = join(dir, 'imported');
    try {
      const result = await runCli(['run', '--agent', join(FIXTURES, 'side-effect-agent.ts')], {
        env: { OMNICOREAGENT_WORKSPACE_BACKEND: 's3', AWS_S3_BUCKET: undefined, AGENT_IMPORT_MARKER: marker },
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('AWS_S3_BUCKET is required when OMNICOREAGENT_WORKSPACE_BACKEND=s3');
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
