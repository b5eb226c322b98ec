/**
 * The S3 workspace against a real S3-compatible server (s3rver on loopback, see test/support/s3-test-server.ts),
 * through the real AWS SDK: keys stay under the prefix, background runs keep their files in the bucket, the agent's
 * workspace tools write there, and a bucket the server cannot use stops start-up with one clear line.
 */
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServableAgent } from '../../src/agent/servable-agent.ts';
import { OmniServe } from '../../src/app/omni-serve.ts';
import { ScriptedAgent } from '../../src/background/testing/scripted-agent.ts';
import type { OmniServeOptions } from '../../src/config/serve-config.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { openS3Workspace } from '../../src/workspace/s3/s3-connection.ts';
import { ScopedWorkspace } from '../../src/workspace/scoped-workspace.ts';
import { UnsafeWorkspacePathError } from '../../src/workspace/workspace-path.ts';
import { startS3TestServer, type S3TestServer } from '../support/s3-test-server.ts';
import { scriptedAgent, useScriptedModel } from '../support/serve-fixture.ts';

const SECRET = 'do-not-print-this-secret-0123456789';

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3TestServer();
});
afterAll(async () => s3?.close());

const model = useScriptedModel();
let prefixes = 0;
const uniquePrefix = () => `it-${(prefixes += 1)}`;

function s3Serve(agent: ServableAgent, options: OmniServeOptions = {}, env: Record<string, string> = {}): OmniServe {
  const server = new OmniServe(agent, { workspaceBackend: 's3', shutdownGraceSeconds: 0, ...options }, { env: s3.env(env), logger: false });
  return model.tracked(server);
}

async function request(server: OmniServe, method: 'GET' | 'POST', url: string, payload?: object): Promise<any> {
  const res = await server.app.inject({ method, url, ...(payload === undefined ? {} : { payload }) });
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(200);
  return res.json();
}

async function finishedRun(server: OmniServe, taskId: string, query: string): Promise<any> {
  await request(server, 'POST', '/background/tasks', { task_id: taskId, query, schedule: { type: 'manual' } });
  const run = await request(server, 'POST', `/background/tasks/${taskId}/run`, { wait: true });
  expect(run.status, JSON.stringify(run)).toBe('completed');
  return run;
}

async function startFailure(server: OmniServe): Promise<string> {
  try {
    await server.start('127.0.0.1', 0);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.join('\n');
  }
  throw new Error('expected start-up to fail');
}

describe('S3 workspace: keys', () => {
  it('never builds a key outside <prefix>/files/, whatever the path', async () => {
    const workspace = await openS3Workspace(s3.config('/escape-check/'));
    try {
      await workspace.writeFile('inside.txt', 'ok');
      await workspace.writeFile('%2e%2e/literal.txt', 'percent-encoding is just a name');
      for (const path of ['../outside.txt', '../../root.txt', '/abs.txt', 'a/../../up.txt', '..', 'a\\..\\..\\b.txt', './x.txt']) {
        await expect(workspace.writeFile(path, 'x'), path).rejects.toBeInstanceOf(UnsafeWorkspacePathError);
        await expect(workspace.remove(path), path).rejects.toBeInstanceOf(UnsafeWorkspacePathError);
      }
      const scoped = new ScopedWorkspace(workspace, 'background/a/t/run_1');
      await scoped.writeFile('output.md', 'mine');
      await expect(scoped.writeFile('../run_2/theirs.md', 'x')).rejects.toBeInstanceOf(UnsafeWorkspacePathError);
      const keys = await s3.keys();
      expect(keys.filter((key) => key.startsWith('escape-check/'))).toEqual([
        'escape-check/files/%2e%2e/literal.txt',
        'escape-check/files/background/a/t/run_1/output.md',
        'escape-check/files/inside.txt',
      ]);
      expect(keys.filter((key) => !/^[^/]+\/files\//.test(key))).toEqual([]);
    } finally {
      workspace.close();
    }
  });
});

describe('S3 workspace: background runs', () => {
  it('keeps run.json and events.jsonl in the bucket, under the configured prefix, and lists them', async () => {
    const prefix = uniquePrefix();
    const server = s3Serve(new ScriptedAgent([{ reply: 'digest ready' }]), { workspacePrefix: `/${prefix}/` });
    await server.app.ready();
    const run = await finishedRun(server, 'digest', 'Write the digest');
    const listing = await request(server, 'GET', `/background/runs/${run.run_id}/workspace`);
    expect(listing).toMatchObject({ run_id: run.run_id, workspace_path: `background/default/digest/${run.run_id}` });
    expect(listing.files.map((file: { path: string; is_dir: boolean }) => [file.path, file.is_dir])).toEqual([
      ['events.jsonl', false],
      ['run.json', false],
    ]);
    const dir = `${prefix}/files/background/default/digest/${run.run_id}`;
    expect(await s3.keys(`${prefix}/`)).toEqual([`${dir}/events.jsonl`, `${dir}/run.json`]);
    const events = await request(server, 'GET', `/background/runs/${run.run_id}/events`);
    expect(events.events.at(-1)).toMatchObject({ event: 'background_run_completed', run_id: run.run_id });
  });

  it('lets the agent write its result with workspace_write_file, and answers an escaping path with an error text', async () => {
    const prefix = uniquePrefix();
    const { llm } = model;
    llm.enqueue(
      {
        toolCalls: [
          { name: 'workspace_write_file', arguments: { path: 'output.md', content: '# Digest\nAll quiet.' } },
          { name: 'workspace_write_file', arguments: { path: '../../other-task/stolen.md', content: 'x' } },
          { name: 'workspace_write_file', arguments: { path: 'run.json', content: '{}' } },
        ],
      },
      { text: 'Saved the digest to output.md.' },
    );
    const server = s3Serve(scriptedAgent(llm), { workspacePrefix: prefix });
    await server.app.ready();
    const run = await finishedRun(server, 'digest', 'Write the digest');
    expect(run.result_preview).toBe('Saved the digest to output.md.');

    const listing = await request(server, 'GET', `/background/runs/${run.run_id}/workspace`);
    expect(listing.files.map((file: { path: string }) => file.path)).toEqual(['events.jsonl', 'output.md', 'run.json']);
    const dir = `${prefix}/files/background/default/digest/${run.run_id}`;
    expect(await s3.keys(`${prefix}/`)).toEqual([`${dir}/events.jsonl`, `${dir}/output.md`, `${dir}/run.json`]);
    const workspace = await openS3Workspace(s3.config(prefix));
    try {
      expect(await workspace.readFile(`background/default/digest/${run.run_id}/output.md`)).toBe('# Digest\nAll quiet.');
      expect(JSON.parse((await workspace.readFile(`background/default/digest/${run.run_id}/run.json`)) ?? '')).toMatchObject({ run_id: run.run_id });
    } finally {
      workspace.close();
    }

    const toolAnswers = (llm.requests[1]?.body?.messages ?? []).filter((message) => message.role === 'tool').map((message) => String(message.content));
    expect(toolAnswers[0]).toContain('"bytes_written":19');
    expect(toolAnswers[1]).toMatch(/^Error: Tool "workspace_write_file" failed: workspace path "\.\.\/\.\.\/other-task\/stolen\.md" must not contain/);
    expect(toolAnswers[2]).toContain('run.json is kept by the server');
    const written = await request(server, 'GET', `/telemetry/events?run_id=${run.run_id}&event_type=workspace_write`);
    expect(written.events.map((event: { input: { path: string } }) => event.input.path)).toEqual(['output.md']);
  });
});

describe('S3 workspace: agent tools', () => {
  it('delete one file at a time in the bucket: a directory is refused, a missing file reported', async () => {
    const prefix = uniquePrefix();
    const { llm } = model;
    llm.enqueue(
      { toolCalls: [{ name: 'workspace_write_file', arguments: { path: 'notes/a.md', content: 'a' } }] },
      {
        toolCalls: [
          { name: 'workspace_delete_file', arguments: { path: 'notes' } },
          { name: 'workspace_delete_file', arguments: { path: 'notes/missing.md' } },
        ],
      },
      { toolCalls: [{ name: 'workspace_delete_file', arguments: { path: 'notes/a.md' } }] },
      { text: 'Tidied up.' },
    );
    const server = s3Serve(scriptedAgent(llm), { workspacePrefix: prefix });
    await server.app.ready();
    const run = await finishedRun(server, 'tidy', 'Tidy up');
    const answers = (index: number) => (llm.requests[index]?.body?.messages ?? []).filter((message) => message.role === 'tool').map((message) => String(message.content));
    const [directory, missing] = answers(2).slice(1);
    expect(directory).toBe(
      'Error: Tool "workspace_delete_file" failed: "notes" is a directory; workspace_delete_file deletes one file at a time: ' +
        'list it with workspace_list_files and delete its files',
    );
    expect(JSON.parse(missing ?? '')).toEqual({ path: 'notes/missing.md', deleted: false, reason: 'there is no file at "notes/missing.md"' });
    expect(JSON.parse(answers(3).at(-1) ?? '')).toEqual({ path: 'notes/a.md', deleted: true });
    const dir = `${prefix}/files/background/default/tidy/${run.run_id}`;
    expect(await s3.keys(`${prefix}/`)).toEqual([`${dir}/events.jsonl`, `${dir}/run.json`]);
  });
});

describe('S3 workspace: start-up checks', () => {
  it('refuses a prefix that climbs out and a malformed bucket name when the configuration loads', () => {
    const agent = new ScriptedAgent();
    expect(() => s3Serve(agent, { workspacePrefix: '/../../' })).toThrow(
      /OMNICOREAGENT_WORKSPACE_PREFIX must be a key prefix of "\/"-separated names .*; got "\.\.\/\.\.": it has a "\.\." name/,
    );
    expect(() => s3Serve(agent, {}, { AWS_S3_BUCKET: 'Team_Runs' })).toThrow(/AWS_S3_BUCKET must be an S3 bucket name: .*; got "Team_Runs"/);
  });

  it('stops start-up on a bucket that does not exist, naming the variable, bucket and endpoint, never the secret', async () => {
    const text = await startFailure(s3Serve(new ScriptedAgent(), {}, { AWS_S3_BUCKET: 'no-such-bucket', AWS_SECRET_ACCESS_KEY: SECRET }));
    expect(text).toBe(
      `OMNICOREAGENT_WORKSPACE_BACKEND=s3: bucket "no-such-bucket" at ${s3.endpoint} (AWS_S3_BUCKET, AWS_ENDPOINT_URL) does not exist ` +
        '(HTTP 404): create it, or set AWS_S3_BUCKET to an existing bucket',
    );
  });

  it('stops start-up on credentials the server refuses, pointing at the key variables', async () => {
    // s3rver knows one access key id and checks it (not the signature), so a wrong key id is what it refuses.
    const text = await startFailure(s3Serve(new ScriptedAgent(), {}, { AWS_ACCESS_KEY_ID: 'AKIAWRONGKEY', AWS_SECRET_ACCESS_KEY: SECRET }));
    expect(text).toContain(`bucket "${s3.bucket}" at ${s3.endpoint}`);
    expect(text).toContain('refused the credentials (HTTP 403): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    expect(text).not.toContain(SECRET);
    expect(text.split('\n')).toHaveLength(1);
  });

  it('stops start-up when the endpoint refuses connections', async () => {
    const text = await startFailure(s3Serve(new ScriptedAgent(), {}, { AWS_ENDPOINT_URL: 'http://127.0.0.1:1', AWS_SECRET_ACCESS_KEY: SECRET }));
    expect(text).toMatch(/^OMNICOREAGENT_WORKSPACE_BACKEND=s3: bucket ".+" at http:\/\/127\.0\.0\.1:1 \(AWS_S3_BUCKET, AWS_ENDPOINT_URL\) cannot be reached: .*ECONNREFUSED/);
    expect(text).not.toContain(SECRET);
  });

  it('gives up on an endpoint that never answers within the timeout', async () => {
    const silent: Server = createServer(() => undefined).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as { port: number };
    try {
      const config = { ...s3.config(''), endpoint: `http://127.0.0.1:${port}` };
      const failure = await openS3Workspace(config, { timeoutSeconds: 0.5 }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ConfigError);
      expect((failure as ConfigError).message).toContain(`at http://127.0.0.1:${port} (AWS_S3_BUCKET, AWS_ENDPOINT_URL) cannot be reached: no answer within 0.5 seconds`);
    } finally {
      silent.close();
    }
  });

  it('does not check a bucket when background execution is off (nothing would use it)', async () => {
    const server = s3Serve(new ScriptedAgent(), { backgroundEnabled: false }, { AWS_S3_BUCKET: 'no-such-bucket' });
    await server.app.ready();
    expect((await server.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});
