/**
 * OmniServe from code instead of the CLI: build the agent, hand it to `new OmniServe(agent, options)`, then
 * `await server.start()` and, on shutdown, `await server.stop()`. `server.app` is the Fastify instance, so a test
 * can call `server.app.inject(...)` without opening a port.
 *
 *   LLM_API_KEY=<your OpenAI key> node --import tsx cookbook/omniserve/programmatic_api.ts
 *
 * Every option is listed below with the environment variable that sets the same thing. The environment always
 * wins over code: `OMNICOREAGENT_SERVE_PORT=9000 node --import tsx cookbook/omniserve/programmatic_api.ts` serves
 * on 9000 whatever `port` says here. An invalid value (in code or in the environment) stops the constructor with
 * every problem listed at once.
 */
import { pathToFileURL } from 'node:url';
import { OmniCoreAgent, OmniServe, type ModelConfig, type OmniServeExtras, type OmniServeOptions } from 'omnicoreagent';

export const PROVIDER = 'openai';
export const MODEL = 'gpt-4o-mini';

/** The agent. Its key comes from LLM_API_KEY (or OPENAI_API_KEY), its endpoint from LLM_BASE_URL, unless given here. */
export function createAgent(model: Partial<ModelConfig> = {}): OmniCoreAgent {
  return new OmniCoreAgent({
    name: 'ProgrammaticAssistant',
    systemInstruction: 'You are a concise assistant. Answer in at most three sentences.',
    modelConfig: { provider: PROVIDER, model: MODEL, temperature: 0.3, ...model },
    agentConfig: { maxSteps: 6 },
  });
}

/** Every OmniServe option, each next to the environment variable that overrides it. */
export const SERVE_OPTIONS = {
  // Where to listen
  host: '127.0.0.1', // OMNICOREAGENT_SERVE_HOST (0.0.0.0 to accept other machines)
  port: 8000, // OMNICOREAGENT_SERVE_PORT
  workers: 1, // OMNICOREAGENT_SERVE_WORKERS (must be 1: run several processes to scale)
  apiPrefix: '', // OMNICOREAGENT_SERVE_API_PREFIX (for example /api; docs stay at the root)

  // API docs
  enableDocs: true, // OMNICOREAGENT_SERVE_ENABLE_DOCS (Swagger UI at /docs)
  enableRedoc: true, // OMNICOREAGENT_SERVE_ENABLE_REDOC (ReDoc at /redoc)

  // CORS
  corsEnabled: true, // OMNICOREAGENT_SERVE_CORS_ENABLED
  corsOrigins: ['http://localhost:3000'], // OMNICOREAGENT_SERVE_CORS_ORIGINS (comma-separated in the environment)
  corsMethods: ['GET', 'POST', 'DELETE'], // OMNICOREAGENT_SERVE_CORS_METHODS
  corsHeaders: ['Authorization', 'Content-Type'], // OMNICOREAGENT_SERVE_CORS_HEADERS
  corsCredentials: true, // OMNICOREAGENT_SERVE_CORS_CREDENTIALS

  // Bearer auth: keep the token out of code; set OMNICOREAGENT_SERVE_AUTH_TOKEN in the environment instead
  authEnabled: false, // OMNICOREAGENT_SERVE_AUTH_ENABLED
  authToken: null, // OMNICOREAGENT_SERVE_AUTH_TOKEN

  // Logging and timeouts
  requestLogging: true, // OMNICOREAGENT_SERVE_REQUEST_LOGGING
  logLevel: 'INFO', // OMNICOREAGENT_SERVE_LOG_LEVEL
  requestTimeout: 120, // OMNICOREAGENT_SERVE_REQUEST_TIMEOUT (seconds; 0 disables)

  // Rate limiting, per client, fixed window
  rateLimitEnabled: false, // OMNICOREAGENT_SERVE_RATE_LIMIT_ENABLED
  rateLimitRequests: 100, // OMNICOREAGENT_SERVE_RATE_LIMIT_REQUESTS
  rateLimitWindow: 60, // OMNICOREAGENT_SERVE_RATE_LIMIT_WINDOW (seconds)

  // Background tasks and their store
  backgroundEnabled: true, // OMNICOREAGENT_BACKGROUND_ENABLED
  backgroundAgentId: 'default', // OMNICOREAGENT_BACKGROUND_AGENT_ID
  backgroundTaskStore: 'in_memory', // OMNICOREAGENT_BACKGROUND_TASK_STORE (in_memory, sql, redis or mongodb)
  backgroundTaskStoreUrl: null, // OMNICOREAGENT_BACKGROUND_TASK_STORE_URL (SQL or Redis URL)
  backgroundTaskStoreUri: null, // OMNICOREAGENT_BACKGROUND_TASK_STORE_URI (MongoDB URI)
  backgroundTaskStoreDatabase: null, // OMNICOREAGENT_BACKGROUND_TASK_STORE_DATABASE
  backgroundTaskStorePrefix: null, // OMNICOREAGENT_BACKGROUND_TASK_STORE_PREFIX
  backgroundTaskStoreCollectionPrefix: null, // OMNICOREAGENT_BACKGROUND_TASK_STORE_COLLECTION_PREFIX
  backgroundTaskStoreConnectTimeout: 10, // OMNICOREAGENT_BACKGROUND_TASK_STORE_CONNECT_TIMEOUT (seconds)
  backgroundStartWorker: true, // OMNICOREAGENT_BACKGROUND_START_WORKER
  backgroundMaxConcurrentRuns: 4, // OMNICOREAGENT_BACKGROUND_MAX_CONCURRENT_RUNS (0 = no limit)
  backgroundLeaseSeconds: 30, // OMNICOREAGENT_BACKGROUND_LEASE_SECONDS (a dead process's runs are recovered after it)

  // Per-run workspaces (files a background run reads and writes)
  workspaceBackend: 'local', // OMNICOREAGENT_WORKSPACE_BACKEND
  workspaceDir: '.omnicoreagent/workspace', // OMNICOREAGENT_WORKSPACE_DIR
  workspacePrefix: 'workspace', // OMNICOREAGENT_WORKSPACE_PREFIX (remote workspaces only)

  // Admission control: runs at once, and how long a request may wait for a slot before a 503
  maxConcurrentRuns: 8, // OMNICOREAGENT_SERVE_MAX_CONCURRENT_RUNS (0 = no limit)
  runAdmissionWaitSeconds: 5, // OMNICOREAGENT_SERVE_RUN_ADMISSION_WAIT

  // Recovery of interactive runs left behind by a process that died
  orphanSweepEnabled: true, // OMNICOREAGENT_SERVE_ORPHAN_SWEEP_ENABLED
  orphanSweepIntervalSeconds: 30, // OMNICOREAGENT_SERVE_ORPHAN_SWEEP_INTERVAL_SECONDS
  orphanSweepDecidedGraceSeconds: 30, // OMNICOREAGENT_SERVE_ORPHAN_SWEEP_DECIDED_GRACE_SECONDS
  orphanSweepMaxConcurrent: 2, // OMNICOREAGENT_SERVE_ORPHAN_SWEEP_MAX_CONCURRENT
  orphanSweepMaxRecoveries: 3, // OMNICOREAGENT_SERVE_ORPHAN_SWEEP_MAX_RECOVERIES

  // Paths open without a token, and proxies whose X-Forwarded-For the rate limiter believes
  publicPaths: [], // OMNICOREAGENT_SERVE_PUBLIC_PATHS (entries ending /* cover a whole directory)
  trustedProxies: [], // OMNICOREAGENT_SERVE_TRUSTED_PROXIES (IPs or CIDR ranges)

  // Requests, streams and shutdown
  bodyLimitBytes: 1_048_576, // OMNICOREAGENT_SERVE_BODY_LIMIT_BYTES
  sseHeartbeatSeconds: 15, // OMNICOREAGENT_SERVE_SSE_HEARTBEAT_SECONDS (0 disables)
  shutdownGraceSeconds: 20, // OMNICOREAGENT_SERVE_SHUTDOWN_GRACE_SECONDS

  // Telemetry kept in memory, and an optional OpenTelemetry collector for finished traces
  telemetryMaxTraces: 1_000, // OMNICOREAGENT_SERVE_TELEMETRY_MAX_TRACES
  telemetryMaxEvents: 100_000, // OMNICOREAGENT_SERVE_TELEMETRY_MAX_EVENTS
  otlpEndpoint: null, // OTEL_EXPORTER_OTLP_ENDPOINT (for example http://localhost:4318)
} as const satisfies OmniServeOptions;

/** The server, built but not listening: `start()` it, or `app.inject()` it in a test. */
export function createServer(agent: OmniCoreAgent = createAgent(), extras: OmniServeExtras = {}): OmniServe {
  return new OmniServe(agent, SERVE_OPTIONS, extras);
}

async function main(): Promise<void> {
  const server = createServer();
  const address = await server.start();
  console.log(`${server.agent.name} is serving at ${address} (API docs: ${address}/docs). Ctrl-C stops it.`);
  // stop() drains: in-flight runs get shutdownGraceSeconds to finish, then MCP servers and stores are closed.
  const stop = () => {
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

// Started only when run directly; importing this file (as the cookbook test does) serves nothing.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
