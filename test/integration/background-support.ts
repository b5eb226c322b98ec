import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServableAgent } from '../../src/agent/servable-agent.ts';
import type { ToolRegistry } from '../../src/agent/tool-registry.ts';
import { OmniServe } from '../../src/app/omni-serve.ts';
import type { BackgroundManagerOptions } from '../../src/background/background-manager.ts';
import { settle } from '../../src/background/clock.ts';
import type { OmniServeOptions } from '../../src/config/serve-config.ts';
import { LocalWorkspace } from '../../src/workspace/local-workspace.ts';

export interface BackgroundServer {
  readonly server: OmniServe;
  readonly workspaceDir: string;
  request(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown): Promise<{ status: number; body: any }>;
  /** Polls the run until `done(run)` (the worker runs on real or manual time; this only waits for it). */
  until(runId: string, done: (run: any) => boolean): Promise<any>;
  close(): Promise<void>;
}

/** An OmniServe with background execution, a temporary workspace directory and no environment. */
export async function backgroundServer(
  agent: ServableAgent,
  options: OmniServeOptions = {},
  extras: { background?: Partial<BackgroundManagerOptions>; localToolsRegistry?: Record<string, ToolRegistry> } = {},
): Promise<BackgroundServer> {
  const workspaceDir = await mkdtemp(join(tmpdir(), 'omni-bg-'));
  const server = new OmniServe(agent, { shutdownGraceSeconds: 0, ...options }, {
    env: {},
    logger: false,
    background: { workspace: new LocalWorkspace(workspaceDir), ...extras.background },
    ...(extras.localToolsRegistry ? { localToolsRegistry: extras.localToolsRegistry } : {}),
  });
  await server.app.ready();
  const request: BackgroundServer['request'] = async (method, url, payload) => {
    const res = await server.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: res.statusCode, body: res.body === '' ? undefined : res.json() };
  };
  return {
    server,
    workspaceDir,
    request,
    async until(runId, done) {
      for (let i = 0; i < 400; i += 1) {
        const { body } = await request('GET', `/background/runs/${runId}`);
        if (done(body)) return body;
        await settle();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`run ${runId} never reached the expected state`);
    },
    async close() {
      await server.stop();
      await rm(workspaceDir, { recursive: true, force: true });
    },
  };
}
