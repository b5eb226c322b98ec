import type { ToolRegistry } from '../agent/tool-registry.ts';
import { BackgroundManager, type BackgroundManagerOptions } from '../background/background-manager.ts';
import type { BackgroundLogger } from '../background/run-event-sink.ts';
import type { BackgroundTelemetryTarget } from '../background/background-run-telemetry.ts';
import type { TaskStore } from '../background/task-store.ts';
import type { OmniServeConfig } from '../config/serve-config.ts';
import { MemoryTaskStore } from '../stores/memory/memory-task-store.ts';
import type { TelemetryRecorder } from '../telemetry/telemetry-recorder.ts';
import { LocalWorkspace } from '../workspace/local-workspace.ts';
import type { SessionStore } from '../stores/types.ts';
import type { Workspace } from '../workspace/workspace.ts';

export interface BackgroundWiring {
  /** Tool sets agent specs may name in `local_tools_ref`. */
  readonly localTools?: Readonly<Record<string, ToolRegistry>>;
  /** The server's telemetry, read when the first run event is written (so it may be built after the manager). */
  readonly telemetry: () => TelemetryRecorder;
  readonly logger: BackgroundLogger;
  /** The server's durable conversation store, once opened: agents built from specs keep their history there. */
  readonly sessions?: () => SessionStore | null;
  /** The task store of the configured backend (spec 2.3); a new in-memory one when not given. */
  readonly store?: TaskStore;
  /** The workspace of a remote backend (S3, R2), opened at start-up; the local one is built here. */
  readonly workspace?: Workspace;
  /** Overrides for embedding and tests (a store, a clock, a workspace, an agent factory...). */
  readonly overrides?: Partial<BackgroundManagerOptions>;
}

/**
 * The background manager for a server configuration: its task store, run workspace (spec 10), lease and
 * telemetry. Null when background execution is disabled.
 */
export function createBackgroundManager(config: OmniServeConfig, wiring: BackgroundWiring): BackgroundManager | null {
  if (!config.backgroundEnabled) return null;
  const overrides = wiring.overrides ?? {};
  const telemetry: BackgroundTelemetryTarget = { appendEvents: (events, trace) => wiring.telemetry().appendBatch(events, trace) };
  return new BackgroundManager({
    defaultAgentId: config.backgroundAgentId,
    maxConcurrentRuns: config.backgroundMaxConcurrentRuns,
    leaseMs: config.backgroundLeaseSeconds * 1000,
    telemetry,
    agentTelemetry: (run) => wiring.telemetry().watchRun(run),
    logger: wiring.logger,
    ...(wiring.sessions ? { sessionStore: wiring.sessions } : {}),
    ...(wiring.localTools ? { localTools: wiring.localTools } : {}),
    ...overrides,
    store: overrides.store ?? wiring.store ?? new MemoryTaskStore(),
    workspace: overrides.workspace === undefined ? createWorkspace(config, wiring.workspace) : overrides.workspace,
  });
}

function createWorkspace(config: OmniServeConfig, remote: Workspace | undefined): Workspace {
  if (remote !== undefined) return remote;
  if (config.workspaceBackend === 'local') return new LocalWorkspace(config.workspaceDir);
  // OmniServe builds the remote workspace; reaching this means a caller forgot to pass it, not a user mistake.
  throw new Error(`OMNICOREAGENT_WORKSPACE_BACKEND=${config.workspaceBackend} needs the workspace opened by the server (wiring.workspace)`);
}
