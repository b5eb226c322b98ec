import type { ServableAgent } from '../agent/servable-agent.ts';
import type { ToolRegistry } from '../agent/tool-registry.ts';
import { newId } from '../core/ids.ts';
import type { SessionStore } from '../stores/types.ts';
import type { Workspace } from '../workspace/workspace.ts';
import { AgentCatalog } from './agent-catalog.ts';
import { AgentResolver, type AgentFactory } from './agent-resolver.ts';
import type { BackgroundContext } from './background-context.ts';
import { BackgroundScheduler } from './background-scheduler.ts';
import { BackgroundWorker } from './background-worker.ts';
import { settledWithin, systemClock, type Clock } from './clock.ts';
import { RunCatalog } from './run-catalog.ts';
import { RunEventSink, silentLogger, type BackgroundLogger, type RunObserver } from './run-event-sink.ts';
import { RunExecutor, type AgentTelemetry } from './run-executor.ts';
import { ACTIVE_STATUSES, type RunStatus } from './run-record.ts';
import { BackgroundRunTelemetry, type BackgroundTelemetryTarget } from './background-run-telemetry.ts';
import { RunWorkspaceLog } from './run-workspace-log.ts';
import { TaskCatalog } from './task-catalog.ts';
import type { TaskStore } from './task-store.ts';

export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_MAX_CONCURRENT_RUNS = 4;

export interface BackgroundManagerOptions {
  readonly store: TaskStore;
  /** Where tasks go when they name no agent: the served agent's id (`OMNICOREAGENT_BACKGROUND_AGENT_ID`). */
  readonly defaultAgentId: string;
  readonly clock?: Clock;
  readonly workerId?: string;
  /** Lease length (spec 6.3: 30 s); heartbeats come every quarter of it. */
  readonly leaseMs?: number;
  /** Runs executing at once in this process; 0 means no limit. */
  readonly maxConcurrentRuns?: number;
  /** Idle sleep of the worker loop (spec 6.3: 50 ms). */
  readonly idleMs?: number;
  /** Due schedules and expired leases handled per pass (spec 6.3: 25). */
  readonly batch?: number;
  /** Run files (`run.json`, `events.jsonl`); none are written without one. */
  readonly workspace?: Workspace | null;
  /** Where run traces go (spec 5.5): a `TelemetryStore` or a writer in front of one; none are written without. */
  readonly telemetry?: BackgroundTelemetryTarget | null;
  /** Records the agent's own events of each run (model and tool calls) as its trace. */
  readonly agentTelemetry?: AgentTelemetry;
  /** Longest one telemetry write may take (spec 5.5: 2 s). */
  readonly telemetryTimeoutMs?: number;
  /** Tool sets agent specs may name in `local_tools_ref`. */
  readonly localTools?: Readonly<Record<string, ToolRegistry>>;
  readonly agentFactory?: AgentFactory;
  /** The server's conversation store for agents built from specs; they keep their own memory without it. */
  readonly sessionStore?: () => SessionStore | null;
  readonly logger?: BackgroundLogger;
  readonly random?: () => number;
  /** How often a `wait` request re-reads the run (changes made in this process wake it at once). */
  readonly waitPollMs?: number;
}

export interface BackgroundStatus {
  readonly running: boolean;
  readonly initialized: boolean;
  readonly worker_id: string;
  readonly lease_seconds: number;
  readonly agents: number;
  readonly tasks: number;
  readonly runs: number;
  readonly active_runs: number;
  readonly status_counts: Partial<Record<RunStatus, number>>;
}

/** How long shutdown waits for run files still queued for the workspace. */
const SHUTDOWN_SETTLE_MS = 5_000;

/**
 * Background execution for one process (spec 6): the agent, task and run catalogues the API uses, and the
 * scheduler/worker loop. Any number of processes may share one store.
 */
export class BackgroundManager {
  readonly workerId: string;
  readonly leaseMs: number;
  readonly defaultAgentId: string;
  readonly agents: AgentCatalog;
  readonly tasks: TaskCatalog;
  readonly runs: RunCatalog;
  readonly worker: BackgroundWorker;
  readonly store: TaskStore;
  readonly #sink: RunEventSink;
  readonly #resolver: AgentResolver;
  readonly #clock: Clock;
  readonly #logger: BackgroundLogger;
  #initialized = false;
  #closed: Promise<void> | null = null;

  constructor(options: BackgroundManagerOptions) {
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    this.store = options.store;
    this.#clock = clock;
    this.#logger = logger;
    this.workerId = options.workerId ?? newId('worker');
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.defaultAgentId = options.defaultAgentId;
    const batch = options.batch ?? 25;
    const observers: RunObserver[] = [];
    if (options.workspace) observers.push(new RunWorkspaceLog(options.workspace, logger));
    if (options.telemetry) observers.push(new BackgroundRunTelemetry(options.telemetry, { logger, ...(options.telemetryTimeoutMs === undefined ? {} : { timeoutMs: options.telemetryTimeoutMs }) }));
    this.#sink = new RunEventSink(observers, logger);
    this.#resolver = new AgentResolver({
      store: this.store,
      ...(options.localTools ? { localTools: options.localTools } : {}),
      ...(options.agentFactory ? { factory: options.agentFactory } : {}),
      ...(options.sessionStore ? { sessionStore: options.sessionStore } : {}),
    });
    const shared = { store: this.store, clock, sink: this.#sink, logger };
    const executor = new RunExecutor({
      ...shared,
      workerId: this.workerId,
      leaseMs: this.leaseMs,
      resolver: this.#resolver,
      workspace: options.workspace ?? null,
      ...(options.agentTelemetry ? { agentTelemetry: options.agentTelemetry } : {}),
    });
    const scheduler = new BackgroundScheduler({ ...shared, batch, ...(options.random ? { random: options.random } : {}) });
    this.worker = new BackgroundWorker({
      ...shared,
      scheduler,
      executor,
      workerId: this.workerId,
      leaseMs: this.leaseMs,
      maxConcurrentRuns: options.maxConcurrentRuns ?? DEFAULT_MAX_CONCURRENT_RUNS,
      idleMs: options.idleMs ?? 50,
      recoverEveryMs: Math.min(1_000, this.leaseMs / 4),
    });
    const context: BackgroundContext = {
      ...shared,
      resolver: this.#resolver,
      worker: this.worker,
      executor,
      workerId: this.workerId,
      defaultAgentId: options.defaultAgentId,
      workspace: options.workspace ?? null,
    };
    this.agents = new AgentCatalog(context);
    this.tasks = new TaskCatalog(context);
    this.runs = new RunCatalog(context, options.waitPollMs === undefined ? {} : { pollMs: options.waitPollMs });
  }

  get initialized(): boolean {
    return this.#initialized;
  }

  get running(): boolean {
    return this.worker.running;
  }

  /** Start-up (spec 6.4): register the served agent under the default id (replacing any earlier registration). */
  async initialize(servedAgent?: ServableAgent, agentId?: string): Promise<void> {
    if (servedAgent !== undefined) await this.agents.registerInstance(servedAgent, agentId ?? this.defaultAgentId, true);
    this.#initialized = true;
  }

  /** Starts the scheduler/worker loop in this process. */
  start(): void {
    this.worker.start();
  }

  async status(): Promise<BackgroundStatus> {
    const [agents, tasks, counts] = await Promise.all([this.store.listAgents(), this.store.listTasks(), this.store.countRuns()]);
    return {
      running: this.running,
      initialized: this.#initialized,
      worker_id: this.workerId,
      lease_seconds: this.leaseMs / 1000,
      agents: agents.length,
      tasks: tasks.length,
      runs: counts.total,
      active_runs: ACTIVE_STATUSES.reduce((sum, status) => sum + (counts.byStatus[status] ?? 0), 0),
      status_counts: counts.byStatus,
    };
  }

  /** Resolves once queued workspace and telemetry writes are done. */
  flush(): Promise<void> {
    return this.#sink.flush();
  }

  /**
   * Stops the loop, gives executing runs `graceMs` to finish, hands the rest back to the queue, then waits for
   * pending writes and closes built agents and the store. Safe to call twice.
   */
  shutdown(graceMs = 0): Promise<void> {
    this.#closed ??= (async () => {
      await this.worker.stop(graceMs);
      // Run files still queued for a workspace that stopped answering would hold the exit for minutes (each request
      // has its own time limit, and they go one after another): they get a bounded wait, then are given up, logged.
      if (!(await settledWithin(this.#clock, this.#sink.flush(), SHUTDOWN_SETTLE_MS))) this.#logger.error({ waited_ms: SHUTDOWN_SETTLE_MS }, 'background run files (run.json, events.jsonl) still unwritten at shutdown were given up: the workspace did not answer');
      await this.#resolver.close();
      await this.store.close();
    })();
    return this.#closed;
  }
}
