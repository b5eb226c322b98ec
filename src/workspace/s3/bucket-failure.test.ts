import { describe, expect, it } from 'vitest';
import type { RemoteWorkspaceConfig } from '../../config/workspace-config.ts';
import { describeBucketFailure, workspaceUnavailable } from './bucket-failure.ts';

const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';

/** Built in code, where no config load refused the endpoint's query and user info. */
const config: RemoteWorkspaceConfig = {
  backend: 's3',
  bucket: 'runs',
  region: 'us-east-1',
  endpoint: 'http://app:a-long-password-0123@127.0.0.1:19999/?token=S1-secret-token-value',
  forcePathStyle: true,
  credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET },
  prefix: 'workspace',
  variables: { bucket: 'AWS_S3_BUCKET', endpoint: 'AWS_ENDPOINT_URL', credentials: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] },
};

const refusedConnection = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:19999'), { code: 'ECONNREFUSED' });
const answered = (status: number, name: string) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('bucket failures', () => {
  it('show the endpoint masked the way store URLs are, and never a key', () => {
    const text = describeBucketFailure(config, Object.assign(new Error(`denied for ${SECRET}`), { name: 'Weird' }));
    expect(text).toBe(
      'OMNICOREAGENT_WORKSPACE_BACKEND=s3: bucket "runs" at http://app:****0123@127.0.0.1:19999/?token=****alue ' +
        '(AWS_S3_BUCKET, AWS_ENDPOINT_URL) cannot be reached: denied for ****',
    );
  });

  it('are unreachable when nothing answered and refused when the bucket answered, naming backend, bucket and endpoint', () => {
    const unreachable = workspaceUnavailable(config, refusedConnection);
    expect(unreachable).toMatchObject({ kind: 'unreachable', backend: 's3', bucket: 'runs', endpoint: 'http://app:****0123@127.0.0.1:19999/?token=****alue' });
    expect(unreachable.message).toMatch(/cannot be reached: connect ECONNREFUSED 127\.0\.0\.1:19999$/);
    expect(unreachable.cause).toBe(refusedConnection);
    expect(workspaceUnavailable(config, answered(403, 'AccessDenied'))).toMatchObject({ kind: 'refused' });
    expect(workspaceUnavailable(config, answered(403, 'AccessDenied')).message).toContain('refused the credentials (HTTP 403): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    expect(workspaceUnavailable(config, answered(503, 'SlowDown')).message).toMatch(/answered with an error \(HTTP 503 SlowDown\): SlowDown$/);
    const aws = workspaceUnavailable({ ...config, endpoint: null, variables: { ...config.variables, endpoint: null } }, refusedConnection);
    expect(aws.endpoint).toBe('AWS S3 (region us-east-1)');
  });

  it("drop the SDK handler's package name from a timeout's message", () => {
    const timeout = Object.assign(new Error('@smithy/node-http-handler - [ERROR] a request has exceeded the configured 30000 ms requestTimeout.'), { name: 'TimeoutError' });
    expect(describeBucketFailure(config, timeout)).toMatch(/cannot be reached: a request has exceeded the configured 30000 ms requestTimeout\.$/);
  });
});
