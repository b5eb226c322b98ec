import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pino, type Logger } from 'pino';
import type { ServableAgent } from '../agent/servable-agent.ts';
import type { ToolRegistry } from '../agent/tool-registry.ts';
import type { BackgroundManagerOptions } from '../background/background-manager.ts';
import { loadServeConfig, type OmniServeConfig, type OmniServeOptions } from '../config/serve-config.ts';
import { resolveTaskStoreConfig, type TaskStoreConfig } from '../config/task-store-config.ts';
import { resolveWorkspaceConfig } from '../config/workspace-config.ts';
import { readWorkspaceEnvironment } from '../config/workspace-environment.ts';
import { ConfigError, OmniError } from '../core/errors.ts';
import { RunAdmission } from '../http/admission/run-admission.ts';
import { createHttpApp, pinoLevel } from '../http/create-http-app.ts';
import { ServeMetrics } from '../http/metrics/serve-metrics.ts';
import { API_ROUTES } from '../http/routes/index.ts';
import type { ServeContext, ServerState } from '../http/serve-context.ts';
import { ServedAgent } from '../http/served-agent.ts';
import { scrubSecrets } from '../llm/scrub-secrets.ts';
import { MemoryTelemetryStore } from '../stores/memory/memory-telemetry-store.ts';
import { OtlpTraceExporter } from '../telemetry/otlp-trace-exporter.ts';
import { SharedTelemetryFeed } from '../telemetry/shared-telemetry-feed.ts';
import { TelemetryRecorder, type TelemetryErrorReporter, type TraceExporter } from '../telemetry/telemetry-recorder.ts';
import { createBackgroundManager } from './create-background-manager.ts';
import { openStores, type StoreBundle } from './open-stores.ts';
import { describeStoreStep, describeWorkspaceStep, explainStartupTimeout, startupTimeoutMs } from './startup-budget.ts';
import { StartupTaskStore } from './startup-task-store.ts';
import { StartupWorkspace } from './startup-workspace.ts';
import { checkLocalWorkspace } from '../workspace/check-local-workspace.ts';

export interface OmniServeExtras {
  /** Environment to read settings from; `process.env` unless given (tests pass their own). */
  readonly env?: NodeJS.ProcessEnv;
  /** A pino logger to use instead of the one built from the log level; `false` silences request logs. */
  readonly logger?: Logger | false;
  /** Tool sets a background agent spec may name in `local_tools_ref` (`POST /background/agents`). */
  readonly localToolsRegistry?: Readonly<Record<string, ToolRegistry>>;
  /** Overrides of the background manager's parts (its task store, clock, workspace...), for embedding and tests. */
  readonly background?: Partial<BackgroundManagerOptions>;
}

/** The `error` frame a stream still open at the end of the grace period gets before it is closed. */
export const SHUTDOWN_MESSAGE = 'Server shutting down';

/** After the grace period, how long the terminal frames get to reach clients before connections are cut. */
const FLUSH_MS = 1_000;

type CleanupStep = readonly [what: string, run: () => Promise<void>];

/** The context as this class holds it: start-up swaps in the durable backend's telemetry. */
type MutableContext = { -readonly [K in keyof ServeContext]: ServeContext[K] };

/**
 * The composition root: config -> agent -> HTTP app, and the server's start/stop lifecycle.
 * `app` is the Fastify instance, usable with `inject()` without listening.
 *
 * Shutdown (`stop()`, or SIGTERM/SIGINT through the CLI) drains: `/ready` answers false at once, the listener stops
 * taking connections, requests still arriving on open connections get 503 (only the probes are answered), and
 * requests in flight, SSE streams included, get `shutdownGraceSeconds` to finish. Streams still open after that end
 * with an `error` frame and `session` ended, connections are closed, and the agent is released last.
 */
export class OmniServe {
  readonly config: OmniServeConfig;
  readonly app: FastifyInstance;
  readonly logger: Logger | false;
  readonly #context: MutableContext;
  /** Which backend keeps tasks, telemetry and conversations (spec 2.3); a durable one is opened at start-up. */
  readonly #storeConfig: TaskStoreConfig;
  /** The background manager's store until start-up attaches the durable backend's; null for the in-memory backend. */
  readonly #startupTasks: StartupTaskStore | null;
  /** The S3/R2 workspace background runs use, opened (bucket checked) at start-up; null for a local workspace. */
  readonly #startupWorkspace: StartupWorkspace | null;
  /** The local workspace directory background runs use, proved writable at start-up; null when not the server's. */
  readonly #checkedDirectory: string | null;
  /** Fastify's limit on start-up, above every timeout of our own, so that a slow check ends with our message. */
  readonly #startupTimeoutMs: number;
  /** What start-up is waiting for, named if it still runs out of time. */
  #startupStep = 'starting';
  readonly #bucketStep: string;
  readonly #traceExporter: TraceExporter | null;
  readonly #reportTelemetryError: TelemetryErrorReporter;
  #stores: StoreBundle | null = null;
  /** When `stop()` began draining (epoch ms): the one grace period counts from here. */
  #drainStartedAt: number | null = null;
  readonly #state: ServerState;
  /** Responses not finished yet (any route, inject included): shutdown waits for these. */
  readonly #inFlight = new Set<FastifyReply['raw']>();
  readonly #idleWaiters = new Set<() => void>();
  /** Route URLs still answered while draining, so probes and scrapers see the state instead of a refusal. */
  readonly #drainExempt: ReadonlySet<string>;
  /** Released in this order when the server closes; stores and the agent go last, once nothing can use them. */
  readonly #cleanupSteps: readonly CleanupStep[];
  #starting: Promise<string> | null = null;
  #stopping: Promise<void> | null = null;
  #releasing: Promise<void> | null = null;

  constructor(agent: ServableAgent, options: OmniServeOptions = {}, extras: OmniServeExtras = {}) {
    // Config first: a bad setting must fail before anything touches the agent.
    this.config = loadServeConfig(options, extras.env);
    this.#storeConfig = resolveTaskStoreConfig(this.config);
    const served = new ServedAgent(agent);
    this.logger = extras.logger ?? pino({ level: pinoLevel(this.config.logLevel), base: { service: 'omniserve' } });
    this.#state = { startedAt: performance.now(), startupComplete: false, draining: false };
    const admission = new RunAdmission({
      maxConcurrentRuns: this.config.maxConcurrentRuns,
      waitSeconds: this.config.runAdmissionWaitSeconds,
    });
    this.#reportTelemetryError = (message, error) => {
      const detail = error === null || error === undefined ? undefined : scrubSecrets(error instanceof Error ? error.message : String(error));
      this.app.log.warn(detail === undefined ? {} : { err: { type: (error as Error | null)?.name, message: detail } }, message);
    };
    const endpoint = this.config.otlpEndpoint;
    this.#traceExporter = endpoint === null ? null : new OtlpTraceExporter({ endpoint, onError: this.#reportTelemetryError });
    const durableTasks = this.config.backgroundEnabled && this.#storeConfig.backend !== 'in_memory' && extras.background?.store === undefined;
    this.#startupTasks = durableTasks ? new StartupTaskStore() : null;
    // Checked already by loadServeConfig; resolved again here for the bucket and keys, which are not config fields.
    const workspace = resolveWorkspaceConfig(this.config, readWorkspaceEnvironment(extras.env));
    const serverWorkspace = this.config.backgroundEnabled && extras.background?.workspace === undefined;
    const checkedBucket = serverWorkspace && workspace.backend !== 'local' ? workspace : null;
    this.#startupWorkspace = checkedBucket === null ? null : new StartupWorkspace(checkedBucket);
    this.#checkedDirectory = serverWorkspace && workspace.backend === 'local' ? workspace.directory : null;
    this.#startupTimeoutMs = startupTimeoutMs({ store: this.#storeConfig, workspace: checkedBucket });
    this.#bucketStep = checkedBucket === null ? '' : describeWorkspaceStep(checkedBucket);
    this.#context = {
      agent: served,
      config: this.config,
      state: this.#state,
      admission,
      metrics: new ServeMetrics({ admission: () => admission.snapshot() }),
      telemetry: new TelemetryRecorder({
        store: new MemoryTelemetryStore({ maxTraces: this.config.telemetryMaxTraces, maxEvents: this.config.telemetryMaxEvents }),
        exporter: this.#traceExporter,
        onError: this.#reportTelemetryError,
      }),
      background: createBackgroundManager(this.config, {
        telemetry: () => this.#context.telemetry,
        sessions: () => this.#stores?.sessions ?? null,
        logger: { warn: (details, message) => this.app.log.warn(details, message), error: (details, message) => this.app.log.error(details, message) },
        ...(extras.localToolsRegistry ? { localTools: extras.localToolsRegistry } : {}),
        ...(extras.background ? { overrides: extras.background } : {}),
        ...(this.#startupTasks === null ? {} : { store: this.#startupTasks }),
        ...(this.#startupWorkspace === null ? {} : { workspace: this.#startupWorkspace }),
      }),
      openStreams: new Set(),
    };
    const prefix = this.config.apiPrefix;
    this.#drainExempt = new Set([`${prefix}/health`, `${prefix}/ready`, '/prometheus']);
    this.#cleanupSteps = [
      // Background runs still write telemetry, so they stop first: given what is left of the grace period (one period
      // for the whole drain, requests and runs together), then handed back to the queue.
      ['background', async () => this.#context.background?.shutdown(this.#graceLeftMs())],
      ['telemetry', () => this.#context.telemetry.close()],
      ['agent', () => served.cleanup()],
      ['workspace', async () => this.#startupWorkspace?.close()],
      // Last: the connection every store of the backend shares.
      ['stores', async () => this.#stores?.close()],
    ];
    this.app = createHttpApp({ context: this.#context, routes: API_ROUTES, logger: this.logger, startupTimeoutMs: this.#startupTimeoutMs });
    this.app.addHook('onRequest', async (request, reply) => this.#admit(request, reply));
    this.app.addHook('onReady', async () => this.#startup());
    // Also reached by a bare `app.close()`: no grace period then, but streams still get their terminal frames.
    this.app.addHook('preClose', async () => {
      this.#state.draining = true;
      this.#context.telemetry.beginDrain();
      this.#endStreams();
    });
    this.app.addHook('onClose', async () => this.#release());
  }

  get agent(): ServedAgent {
    return this.#context.agent;
  }

  /**
   * Connects the agent's MCP servers, then listens. Resolves with the bound address. `port` 0 picks a free port.
   * If start-up fails the agent is still cleaned up, and the start-up error is the one thrown.
   */
  async start(host: string = this.config.host, port: number = this.config.port): Promise<string> {
    checkBindAddress(host, port);
    if (this.#stopping !== null) throw new Error('This OmniServe was stopped; create a new one to serve again');
    this.#starting = this.app.listen({ host, port });
    try {
      return await this.#starting;
    } catch (error) {
      this.#state.startupComplete = false;
      // Each cleanup failure is logged by #release; the start-up error is what the caller needs to see.
      await this.app.close().catch(() => undefined);
      throw explainStartupTimeout(error, this.#startupStep, this.#startupTimeoutMs);
    }
  }

  /**
   * Drains (see the class comment), then releases the agent. Safe to call twice; both calls resolve together.
   * Rejects with the first cleanup error, if any.
   */
  async stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    // Before anything else, so a load balancer polling /ready stops sending work while the rest drains.
    this.#state.draining = true;
    this.#context.telemetry.beginDrain();
    // No new connections from here on; Node also closes the idle keep-alive ones. Done before the first await, so
    // the listener is closed by the time stop() returns its promise (the CLI reports the signal after that).
    this.#closeListener();
    await this.#starting?.catch(() => undefined);
    this.#closeListener(); // a start that was still binding
    const graceSeconds = this.config.shutdownGraceSeconds;
    this.#drainStartedAt = Date.now();
    this.app.log.info({ in_flight: this.#inFlight.size, grace_seconds: graceSeconds }, 'draining before shutdown');
    if (!(await this.#idle(graceSeconds * 1000))) {
      this.app.log.warn({ in_flight: this.#inFlight.size }, 'grace period over: ending open streams and connections');
      this.#endStreams();
      await this.#idle(FLUSH_MS);
    }
    // Nothing is in flight now. A connection that never sent a request (a browser's pre-opened socket, a proxy
    // pool) is not idle to Node and would hold close() open until the client hangs up: cut them all.
    this.app.server.closeAllConnections();
    await this.app.close();
  }

  /** The grace period less the time the drain has taken so far (all of it when no drain started: a bare close). */
  #graceLeftMs(): number {
    const graceMs = this.config.shutdownGraceSeconds * 1000;
    return this.#drainStartedAt === null ? graceMs : Math.max(0, graceMs - (Date.now() - this.#drainStartedAt));
  }

  #closeListener(): void {
    if (this.app.server.listening) this.app.server.close();
  }

  async #admit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (this.#state.draining) {
      // Keep-alive clients should reconnect, and reach another instance.
      reply.header('connection', 'close');
      if (!this.#drainExempt.has(request.routeOptions.url ?? '')) {
        throw new OmniError('SHUTTING_DOWN', 'This server is shutting down and takes no new requests. Retry shortly.', {
          extra: { retry_after: 1 },
          headers: { 'retry-after': '1' },
        });
      }
    }
    const response = reply.raw;
    this.#inFlight.add(response);
    response.once('close', () => {
      this.#inFlight.delete(response);
      if (this.#inFlight.size === 0) for (const wake of [...this.#idleWaiters]) wake();
    });
  }

  /** Resolves true once no request is in flight, or false when `timeoutMs` passes first. */
  #idle(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (idle: boolean) => {
        clearTimeout(timer);
        this.#idleWaiters.delete(wake);
        resolve(idle);
      };
      const wake = () => finish(true);
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.#idleWaiters.add(wake);
    });
  }

  #endStreams(): void {
    for (const stream of [...this.#context.openStreams]) stream.close(SHUTDOWN_MESSAGE);
  }

  async #startup(): Promise<void> {
    this.#state.startedAt = performance.now();
    await this.#openStores();
    // Before the agent connects: a bucket that is missing or refuses the keys must fail start-up, not the first run.
    if (this.#startupWorkspace !== null) {
      this.#startupStep = this.#bucketStep;
      await this.#startupWorkspace.open();
    }
    // Likewise a local directory that is a file or not writable: runs would "complete" with their files missing.
    if (this.#checkedDirectory !== null) {
      this.#startupStep = `checking the workspace directory ${this.#checkedDirectory} (OMNICOREAGENT_WORKSPACE_DIR)`;
      await checkLocalWorkspace(this.#checkedDirectory);
    }
    this.#startupStep = "connecting the agent's MCP servers";
    await this.#context.agent.connect();
    for (const [name, server] of Object.entries(this.#context.agent.mcpServers())) {
      // /ready says false either way; the log says which server and why, for whoever reads it at 3 a.m.
      if (server.status !== 'connected') this.app.log.warn({ mcp_server: name, status: server.status, error: server.error ?? null }, 'MCP server not connected');
    }
    const background = this.#context.background;
    if (background) {
      // Spec 6.4: the served agent is registered under the background agent id (replacing), then the worker starts.
      this.#startupStep = 'registering the agent for background tasks';
      await background.initialize(this.#context.agent.raw, this.config.backgroundAgentId);
      if (this.config.backgroundStartWorker) background.start();
    }
    this.#state.startupComplete = true;
  }

  /**
   * Opens the configured durable backend (spec 2.3), failing start-up with the connection problem, and hands its
   * stores out: telemetry (with a feed that follows other processes' events), the agent's conversation memory, and
   * the background manager's task store.
   */
  async #openStores(): Promise<void> {
    const config = this.#storeConfig;
    if (config.backend === 'in_memory') return;
    this.#startupStep = describeStoreStep(config);
    const stores = await openStores(config, {
      telemetryRetention: { maxTraces: this.config.telemetryMaxTraces, maxEvents: this.config.telemetryMaxEvents },
      onError: this.#reportTelemetryError,
    });
    this.#stores = stores;
    if (this.#startupTasks !== null && this.#context.background) {
      if (stores.tasks === null) {
        throw new ConfigError([
          `OMNICOREAGENT_BACKGROUND_TASK_STORE=${config.backend}: background tasks cannot be kept in ${config.backend} in ` +
            'this version yet; use sql or in_memory (or set OMNICOREAGENT_BACKGROUND_ENABLED=false)',
        ]);
      }
      this.#startupTasks.attach(stores.tasks);
    }
    if (stores.telemetry !== null) {
      this.#context.telemetry = new TelemetryRecorder({
        store: stores.telemetry,
        ...(stores.telemetryNotifier === null ? {} : { feed: new SharedTelemetryFeed(stores.telemetryNotifier) }),
        exporter: this.#traceExporter,
        onError: this.#reportTelemetryError,
      });
    }
    if (stores.sessions !== null) this.#context.agent.attachSessionStore(stores.sessions);
  }

  /** Runs once, however the server closes (stop, bare `app.close()`, failed start). */
  #release(): Promise<void> {
    this.#releasing ??= this.#runCleanup();
    return this.#releasing;
  }

  /** Every step runs even if an earlier one fails; each failure is logged, and the first is re-thrown at the end. */
  async #runCleanup(): Promise<void> {
    this.#state.startupComplete = false;
    const failures: unknown[] = [];
    for (const [what, run] of this.#cleanupSteps) {
      try {
        await run();
      } catch (error) {
        failures.push(error);
        const message = scrubSecrets(error instanceof Error ? error.message : String(error));
        this.app.log.error({ err: { type: (error as Error | null)?.name, message } }, `${what} cleanup failed`);
      }
    }
    if (failures.length > 0) throw failures[0];
  }
}

/** Spec 7.9: `start()` arguments get the config's checks before anything binds (plus port 0, "any free port"). */
function checkBindAddress(host: unknown, port: unknown): void {
  const problems: string[] = [];
  if (typeof host !== 'string' || host.trim() === '') problems.push('OMNICOREAGENT_SERVE_HOST must not be empty');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(`OMNICOREAGENT_SERVE_PORT must be between 1 and 65535 (or 0 for any free port), got ${String(port)}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
