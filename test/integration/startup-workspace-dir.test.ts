// A local workspace directory that cannot hold run files stops start-up, as a missing bucket does for S3; before,
// background runs "completed" with their run.json and events.jsonl silently missing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OmniServe } from '../../src/app/omni-serve.ts';
import { ScriptedAgent } from '../../src/background/testing/scripted-agent.ts';
import { ConfigError } from '../../src/core/errors.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omni-workspace-dir-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function start(env: NodeJS.ProcessEnv): Promise<unknown> {
  const server = new OmniServe(new ScriptedAgent(), { shutdownGraceSeconds: 0 }, { env, logger: false });
  return server.start('127.0.0.1', 0).then(
    () => server.stop().then(() => null),
    (error: unknown) => error,
  );
}

describe('start-up checks the local workspace directory', () => {
  it('refuses a directory that is a file, naming the variable and the path', async () => {
    const file = join(dir, 'not-a-directory');
    await writeFile(file, 'x');
    const error = await start({ OMNICOREAGENT_WORKSPACE_DIR: file });
    expect(error, String(error)).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).problems.join('\n');
    expect(text).toContain('OMNICOREAGENT_WORKSPACE_DIR');
    expect(text).toContain(file);
  });

  it('refuses a directory the system will not create (under /proc) instead of hanging at start', async () => {
    const error = await start({ OMNICOREAGENT_WORKSPACE_DIR: '/proc/omniserve-test/workspace' });
    expect(error, String(error)).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join('\n')).toContain('OMNICOREAGENT_WORKSPACE_DIR=/proc/omniserve-test/workspace cannot hold run workspaces');
  });

  it('starts with a directory that does not exist yet, creating it', async () => {
    expect(await start({ OMNICOREAGENT_WORKSPACE_DIR: join(dir, 'fresh', 'workspace') })).toBeNull();
  });

  it('does not check the directory when background runs are off', async () => {
    const file = join(dir, 'ignored-file');
    await writeFile(file, 'x');
    expect(await start({ OMNICOREAGENT_WORKSPACE_DIR: file, OMNICOREAGENT_BACKGROUND_ENABLED: 'false' })).toBeNull();
  });
});
