import type { ToolRegistry } from '../agent/tool-registry.ts';
import { BackgroundManager, type BackgroundManagerOptions } from '../background/background-manager.ts';
import type { BackgroundLogger } from '../background/run-event-sink.ts';
import type { BackgroundTelemetryTarget } from '../background/background-run-telemetry.ts';
import type { TaskStore } from '../background/task-store.ts';
import type { OmniServeConfig } from '../config/serve-config.ts';
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
  /** The task store of the configured backend (spec 2.3); a new in-memory one when not given. */
  readonly store?: TaskStore;
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
  const telemetry: BackgroundTelemetryTarget = {
    appendEvent: (event) => wiring.telemetry().append(event),
    saveTrace: (trace) => wiring.telemetry().saveTrace(trace),
    getTrace: (traceId) => wiring.telemetry().store.getTrace(traceId),
  };
  return new BackgroundManager({
    defaultAgentId: config.backgroundAgentId,
    maxConcurrentRuns: config.backgroundMaxConcurrentRuns,
    leaseMs: config.backgroundLeaseSeconds * 1000,
    telemetry,
    agentTelemetry: (run) => wiring.telemetry().watchRun(run),
    logger: wiring.logger,
    ...(wiring.localTools ? { localTools: wiring.localTools } : {}),
    ...overrides,
    store: overrides.store ?? wiring.store ?? new MemoryTaskStore(),
    workspace: overrides.workspace === undefined ? createWorkspace(config) : overrides.workspace,
  });
}

function createWorkspace(config: OmniServeConfig): Workspace {
  if (config.workspaceBackend === 'local') return new LocalWorkspace(config.workspaceDir);
  throw new ConfigError([`OMNICOREAGENT_WORKSPACE_BACKEND=${config.workspaceBackend} is not available in this version yet; use local`]);
}
