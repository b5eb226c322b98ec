/**
 * An S3 workspace whose bucket goes away after start-up, through the real AWS SDK against s3rver on loopback: behind
 * a proxy that stops answering, behind one whose port is closed, and with the bucket deleted. Calls fail within the
 * client's timeouts, and the run listing answers with a catalogued error naming the backend, bucket and endpoint.
 * Ports: s3rver 19611, proxies 19612 and 19613.
 */
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OmniServe } from '../../src/app/omni-serve.ts';
import { ScriptedAgent } from '../../src/background/testing/scripted-agent.ts';
import type { RemoteWorkspaceConfig } from '../../src/config/workspace-config.ts';
import { createS3Client, openS3Workspace } from '../../src/workspace/s3/s3-connection.ts';
import type { S3Workspace } from '../../src/workspace/s3/s3-workspace.ts';
import { WorkspaceUnavailableError } from '../../src/workspace/workspace-errors.ts';
import { startS3TestServer, type S3TestServer } from '../support/s3-test-server.ts';
import { SwitchableTcpProxy } from '../support/switchable-tcp-proxy.ts';

const SECRET = 'do-not-print-this-secret-0123456789';
/** Short enough for a test; the defaults (3 s to connect, 30 s per request) are the same mechanism. */
const TIMEOUTS = { connectTimeoutMs: 300, requestTimeoutMs: 400 };

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3TestServer('omni-unavailable-test', 19611);
});
afterAll(async () => s3?.close());

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The bucket's config, with a long secret (s3rver checks the key id only), reached at `endpoint`. */
function config(prefix: string, endpoint: string, bucket = s3.bucket): RemoteWorkspaceConfig {
  const base = s3.config(prefix);
  return { ...base, bucket, endpoint, credentials: { accessKeyId: base.credentials?.accessKeyId ?? '', secretAccessKey: SECRET } };
}

async function proxy(port: number): Promise<SwitchableTcpProxy> {
  const started = await SwitchableTcpProxy.start(port, Number(new URL(s3.endpoint).port));
  cleanups.push(() => started.close());
  return started;
}

async function open(settings: RemoteWorkspaceConfig): Promise<S3Workspace> {
  const workspace = await openS3Workspace(settings, TIMEOUTS);
  cleanups.push(() => workspace.close());
  return workspace;
}

/** A server whose background runs use `workspace`, with one finished run of task `digest`. */
async function serverWithRun(workspace: S3Workspace): Promise<{ server: OmniServe; runId: string }> {
  const server = new OmniServe(new ScriptedAgent([{ reply: 'digest ready' }]), { shutdownGraceSeconds: 0 }, { env: {}, logger: false, background: { workspace } });
  cleanups.push(() => server.app.close());
  await server.app.ready();
  await server.app.inject({ method: 'POST', url: '/background/tasks', payload: { task_id: 'digest', query: 'Write it', schedule: { type: 'manual' } } });
  const run = (await server.app.inject({ method: 'POST', url: '/background/tasks/digest/run', payload: { wait: true } })).json();
  expect(run.status).toBe('completed');
  const listed = await server.app.inject({ method: 'GET', url: `/background/runs/${run.run_id}/workspace` });
  expect(listed.json().files.map((file: { path: string }) => file.path)).toEqual(['events.jsonl', 'run.json']);
  return { server, runId: run.run_id };
}

async function failure(promise: Promise<unknown>): Promise<WorkspaceUnavailableError> {
  const error = await promise.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(WorkspaceUnavailableError);
  return error as WorkspaceUnavailableError;
}

describe('S3 workspace: a bucket that goes away after start-up', () => {
  it('an endpoint that stops answering: each call gives up within the timeouts, the listing answers 503 WorkspaceUnreachable', async () => {
    const silent = await proxy(19612);
    const workspace = await open(config('unreachable', silent.endpoint));
    const { server, runId } = await serverWithRun(workspace);
    silent.silence();

    const started = performance.now();
    const write = await failure(workspace.writeFile('background/x/output.md', 'x'));
    // Three attempts (the SDK's retries) of at most 0.4 s each, plus its short backoff.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(write).toMatchObject({ kind: 'unreachable', backend: 's3', bucket: s3.bucket, endpoint: silent.endpoint });
    expect(write.message).toMatch(/cannot be reached: a request has exceeded the configured 400 ms requestTimeout\.$/);

    const listing = await server.app.inject({ method: 'GET', url: `/background/runs/${runId}/workspace` });
    expect(listing.statusCode).toBe(503);
    const body = listing.json();
    expect(body).toMatchObject({ error: 'WorkspaceUnreachable', backend: 's3', bucket: s3.bucket, endpoint: silent.endpoint });
    expect(body.message).toMatch(
      new RegExp(`^OMNICOREAGENT_WORKSPACE_BACKEND=s3: bucket "${s3.bucket}" at http://127\\.0\\.0\\.1:19612 \\(AWS_S3_BUCKET, AWS_ENDPOINT_URL\\) cannot be reached: `),
    );
    expect(listing.body).not.toContain(SECRET);
  });

  it('a closed port: the listing answers 503 with the refused connection, never the 500 InternalServerError', async () => {
    const closing = await proxy(19613);
    const workspace = await open(config('closed', closing.endpoint));
    const { server, runId } = await serverWithRun(workspace);
    await closing.close();

    const listing = await server.app.inject({ method: 'GET', url: `/background/runs/${runId}/workspace` });
    expect(listing.statusCode).toBe(503);
    expect(listing.json()).toMatchObject({ error: 'WorkspaceUnreachable', endpoint: 'http://127.0.0.1:19613' });
    expect(listing.json().message).toMatch(/at http:\/\/127\.0\.0\.1:19613 \(AWS_S3_BUCKET, AWS_ENDPOINT_URL\) cannot be reached: .*ECONNREFUSED/);
    expect(listing.body).not.toContain(SECRET);
  });

  it('a bucket deleted under the server: the listing answers 502 WorkspaceRefused, saying it does not exist', async () => {
    const bucket = 'omni-deleted-test';
    const admin = createS3Client(s3.config(''));
    cleanups.push(() => admin.destroy());
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    const workspace = await open(config('deleted', s3.endpoint, bucket));
    const { server, runId } = await serverWithRun(workspace);
    const keys = await admin.send(new ListObjectsV2Command({ Bucket: bucket }));
    for (const { Key } of keys.Contents ?? []) await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
    await admin.send(new DeleteBucketCommand({ Bucket: bucket }));

    expect(await failure(workspace.readFile('anything.md'))).toMatchObject({ kind: 'refused', bucket });
    const listing = await server.app.inject({ method: 'GET', url: `/background/runs/${runId}/workspace` });
    expect(listing.statusCode).toBe(502);
    expect(listing.json()).toMatchObject({ error: 'WorkspaceRefused', backend: 's3', bucket, endpoint: s3.endpoint });
    expect(listing.json().message).toBe(
      `OMNICOREAGENT_WORKSPACE_BACKEND=s3: bucket "${bucket}" at ${s3.endpoint} (AWS_S3_BUCKET, AWS_ENDPOINT_URL) does not exist ` +
        '(HTTP 404): create it, or set AWS_S3_BUCKET to an existing bucket',
    );
  });
});
