import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { ServableAgent } from '../agent/servable-agent.ts';
import { loadServeConfig, type OmniServeConfig, type OmniServeOptions } from '../config/serve-config.ts';
import { RunAdmission } from '../http/admission/run-admission.ts';
import { createHttpApp, pinoLevel } from '../http/create-http-app.ts';
import { API_ROUTES } from '../http/routes/index.ts';
import type { ServeContext, ServerState } from '../http/serve-context.ts';
import { ServedAgent } from '../http/served-agent.ts';

export interface OmniServeExtras {
  /** Environment to read settings from; `process.env` unless given (tests pass their own). */
  readonly env?: NodeJS.ProcessEnv;
  /** A pino logger to use instead of the one built from the log level; `false` silences request logs. */
  readonly logger?: Logger | false;
}

/**
 * The composition root: config -> agent -> HTTP app, and the server's start/stop lifecycle.
 * `app` is the Fastify instance, usable with `inject()` without listening.
 */
export class OmniServe {
  readonly config: OmniServeConfig;
  readonly app: FastifyInstance;
  readonly logger: Logger | false;
  readonly #context: ServeContext;
  readonly #state: ServerState;
  #stopping: Promise<void> | null = null;

  constructor(agent: ServableAgent, options: OmniServeOptions = {}, extras: OmniServeExtras = {}) {
    // Config first: a bad setting must fail before anything touches the agent.
    this.config = loadServeConfig(options, extras.env);
    const served = new ServedAgent(agent);
    this.logger = extras.logger ?? pino({ level: pinoLevel(this.config.logLevel), base: { service: 'omniserve' } });
    this.#state = { startedAt: performance.now(), startupComplete: false, draining: false };
    this.#context = {
      agent: served,
      config: this.config,
      state: this.#state,
      admission: new RunAdmission({
        maxConcurrentRuns: this.config.maxConcurrentRuns,
        waitSeconds: this.config.runAdmissionWaitSeconds,
      }),
      openStreams: new Set(),
    };
    this.app = createHttpApp({ context: this.#context, routes: API_ROUTES, logger: this.logger });
    this.app.addHook('onReady', async () => this.#startup());
    this.app.addHook('preClose', async () => this.#drain());
    this.app.addHook('onClose', async () => served.cleanup());
  }

  get agent(): ServedAgent {
    return this.#context.agent;
  }

  /** Connects the agent's MCP servers, then listens. Resolves with the bound address. */
  async start(host: string = this.config.host, port: number = this.config.port): Promise<string> {
    return this.app.listen({ host, port });
  }

  /**
   * Stops accepting work, ends open streams with a terminal frame, lets in-flight requests finish within the grace
   * period, then releases the agent (MCP clients). Safe to call twice.
   */
  async stop(): Promise<void> {
    this.#stopping ??= this.#close();
    return this.#stopping;
  }

  async #close(): Promise<void> {
    const graceMs = this.config.shutdownGraceSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        // Past the grace period, cut what is left so the process can exit.
        this.app.server.closeAllConnections?.();
        resolve();
      }, graceMs);
      timer.unref();
    });
    await Promise.race([this.app.close(), grace.then(() => this.app.close())]);
    clearTimeout(timer);
  }

  async #startup(): Promise<void> {
    this.#state.startedAt = performance.now();
    await this.#context.agent.connect();
    this.#state.startupComplete = true;
  }

  async #drain(): Promise<void> {
    this.#state.draining = true;
    for (const stream of this.#context.openStreams) stream.close('server shutting down');
  }
}
