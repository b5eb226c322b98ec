import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { workspaceConformance } from '../../src/workspace/conformance/workspace.conformance.ts';
import { LocalWorkspace } from '../../src/workspace/local-workspace.ts';
import { openS3Workspace } from '../../src/workspace/s3/s3-connection.ts';
import type { S3Workspace } from '../../src/workspace/s3/s3-workspace.ts';
import { startS3TestServer, type S3TestServer } from '../support/s3-test-server.ts';

const directories: string[] = [];
afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

workspaceConformance('local', () => ({
  async open() {
    const directory = await mkdtemp(join(tmpdir(), 'ws-conformance-'));
    directories.push(directory);
    return new LocalWorkspace(directory);
  },
}));

let s3: S3TestServer | undefined;
const opened: S3Workspace[] = [];
let next = 0;
beforeAll(async () => {
  s3 = await startS3TestServer();
});
afterAll(async () => {
  for (const workspace of opened) workspace.close();
  await s3?.close();
});

workspaceConformance('s3 (s3rver over loopback)', () => ({
  async open() {
    if (s3 === undefined) throw new Error('the S3 server starts in beforeAll');
    next += 1;
    // Pages of 5 keys make the 12-file listing and removal go through ListObjectsV2 continuation tokens.
    const workspace = await openS3Workspace(s3.config(`conformance/${next}`), { pageSize: 5 });
    opened.push(workspace);
    return workspace;
  },
}));
