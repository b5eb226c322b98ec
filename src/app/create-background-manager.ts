import type { ToolRegistry } from '../agent/tool-registry.ts';
import { BackgroundManager, type BackgroundManagerOptions } from '../background/background-manager.ts';
import type { BackgroundLogger } from '../background/run-event-sink.ts';
import type { BackgroundTelemetryTarget } from '../background/background-run-telemetry.ts';
import type { TaskStore } from '../background/task-store.ts';
import type { OmniServeConfig } from '../config/serve-config.ts';
import { resolveTaskStoreConfig } from '../config/task-store-config.ts';
import { ConfigError } from '../core/errors.ts';
import { MemoryTaskStore } from '../stores/memory/memory-task-store.ts';
import type { TelemetryRecorder } from '../telemetry/telemetry-recorder.ts';
import { LocalWorkspace } from '../workspace/local-workspace.ts';
import type { Workspace } from '../workspace/workspace.ts';

export interface BackgroundWiring {
  /** Tool sets agent specs may name in `local_tools_ref`. */
  readonly localTools?: Readonly<Record<string, ToolRegistry>>;
  /** The server's telemetry, read when the first run event is written (so it may be built after the manager). */
  readonly telemetry: () => TelemetryRecorder;
  readonly logger: BackgroundLogger;
  /** Overrides for embedding and tests (a store, a clock, a workspace, an agent factory...). */
  readonly overrides?: Partial<BackgroundManagerOptions>;
}

/**
 * The background manager for a server configuration: its task store (spec 2.3), run workspace (spec 10) and
 * telemetry. Null when background execution is disabled.
 */
export function createBackgroundManager(config: OmniServeConfig, wiring: BackgroundWiring): BackgroundManager | null {
  if (!config.backgroundEnabled) return null;
  const overrides = wiring.overrides ?? {};
  const telemetry: BackgroundTelemetryTarget = {
    appendEvent: (event) => wiring.telemetry().append(event),
    saveTrace: (trace) => wiring.telemetry().saveTrace(trace),
    getTrace: (traceId) => wiring.telemetry().store.getTrace(traceId),
  };
  return new BackgroundManager({
    defaultAgentId: config.backgroundAgentId,
    maxConcurrentRuns: config.backgroundMaxConcurrentRuns,
    telemetry,
    agentTelemetry: (run) => wiring.telemetry().watchRun(run),
    logger: wiring.logger,
    ...(wiring.localTools ? { localTools: wiring.localTools } : {}),
    ...overrides,
    store: overrides.store ?? createTaskStore(config),
    workspace: overrides.workspace === undefined ? createWorkspace(config) : overrides.workspace,
  });
}

function createTaskStore(config: OmniServeConfig): TaskStore {
  const store = resolveTaskStoreConfig(config);
  if (store.backend === 'in_memory') return new MemoryTaskStore();
  throw new ConfigError([
    `OMNICOREAGENT_BACKGROUND_TASK_STORE=${store.backend} is not available in this version yet; use in_memory ` +
      '(or set OMNICOREAGENT_BACKGROUND_ENABLED=false)',
  ]);
}

function createWorkspace(config: OmniServeConfig): Workspace {
  if (config.workspaceBackend === 'local') return new LocalWorkspace(config.workspaceDir);
  throw new ConfigError([`OMNICOREAGENT_WORKSPACE_BACKEND=${config.workspaceBackend} is not available in this version yet; use local`]);
}
