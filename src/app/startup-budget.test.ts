import { describe, expect, it } from 'vitest';
import type { RemoteWorkspaceConfig } from '../config/workspace-config.ts';
import { describeStoreStep, describeWorkspaceStep, explainStartupTimeout, startupTimeoutMs } from './startup-budget.ts';
import { WORKSPACE_CHECK_TIMEOUT_SECONDS } from './startup-workspace.ts';

const FASTIFY_DEFAULT_MS = 10_000;

const bucket: RemoteWorkspaceConfig = {
  backend: 's3',
  bucket: 'runs',
  region: 'eu-west-1',
  endpoint: 'http://minio:secretpass@127.0.0.1:9000',
  forcePathStyle: true,
  credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret-key-never-shown' },
  prefix: 'workspace',
  variables: { bucket: 'AWS_S3_BUCKET', endpoint: 'AWS_ENDPOINT_URL', credentials: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] },
};

describe('startupTimeoutMs', () => {
  it('outlasts the store connect timeout (connect, then tables) and the bucket check together', () => {
    const connectTimeout = 45;
    const budget = startupTimeoutMs({ store: { backend: 'sql', url: 'postgres://h/db', connectTimeout }, workspace: bucket });
    expect(budget).toBeGreaterThan((2 * connectTimeout + WORKSPACE_CHECK_TIMEOUT_SECONDS) * 1000);
  });

  it('outlasts the bucket check, which alone equals Fastify\'s default', () => {
    expect(WORKSPACE_CHECK_TIMEOUT_SECONDS * 1000).toBeGreaterThanOrEqual(FASTIFY_DEFAULT_MS);
    expect(startupTimeoutMs({ store: { backend: 'in_memory' }, workspace: bucket })).toBeGreaterThan(WORKSPACE_CHECK_TIMEOUT_SECONDS * 1000);
  });

  it('counts the default connect timeout when none is set', () => {
    const unset = startupTimeoutMs({ store: { backend: 'redis', url: 'redis://h' }, workspace: null });
    const inMemory = startupTimeoutMs({ store: { backend: 'in_memory' }, workspace: null });
    expect(unset).toBeGreaterThan(inMemory);
  });

  it('stays within what a Node timer can wait, whatever the connect timeout', () => {
    const budget = startupTimeoutMs({ store: { backend: 'sql', connectTimeout: 1e12 }, workspace: null });
    expect(budget).toBeLessThanOrEqual(2_147_483_647);
    expect(budget).toBeGreaterThan(FASTIFY_DEFAULT_MS);
  });
});

describe('explainStartupTimeout', () => {
  it('replaces Fastify\'s hook timeout with the step start-up was in', () => {
    const fastify = Object.assign(new Error("A callback for 'onReady' hook timed out"), { code: 'FST_ERR_HOOK_TIMEOUT' });
    const step = describeStoreStep({ backend: 'sql', url: 'postgres://app:hunter22@db.internal:5432/x' });
    const explained = explainStartupTimeout(fastify, step, 40_000) as Error;
    expect(explained.message).toBe(
      'Start-up did not finish within 40 seconds: it was still opening the SQL task store at ' +
        'postgres://app:****@db.internal:5432/x (OMNICOREAGENT_BACKGROUND_TASK_STORE_URL)',
    );
    expect(explained.cause).toBe(fastify);
  });

  it('leaves every other error as it is', () => {
    const other = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    expect(explainStartupTimeout(other, 'starting', 40_000)).toBe(other);
  });
});

describe('step descriptions', () => {
  it('name the variable and the host, never a password or key', () => {
    const steps = [
      describeStoreStep({ backend: 'redis', url: 'redis://:redispw99@cache:6379/0' }),
      describeStoreStep({ backend: 'mongodb', uri: 'mongodb://u:mongopw77@mongo:27017/?replicaSet=rs0', database: 'x' }),
      describeWorkspaceStep(bucket),
    ];
    expect(steps[0]).toContain('OMNICOREAGENT_BACKGROUND_TASK_STORE_URL');
    expect(steps[0]).toContain('cache:6379');
    expect(steps[1]).toContain('OMNICOREAGENT_BACKGROUND_TASK_STORE_URI');
    expect(steps[1]).toContain('mongo:27017');
    expect(steps[2]).toBe('checking the bucket "runs" at http://minio:****@127.0.0.1:9000 (AWS_S3_BUCKET)');
    for (const step of steps) expect(step).not.toMatch(/redispw99|mongopw77|secretpass|secret-key-never-shown/);
  });
});
