/**
 * Every environment variable the server configuration reads, in the order of `OmniServeConfig`'s fields. The loader,
 * `omniserve config --env-example` and the docs are all driven by (or checked against) this one list, so a variable
 * cannot exist in one place and be missing from another.
 */

import { DEFAULT_TASK_STORE_CONNECT_TIMEOUT_SECONDS } from './task-store-config.ts';

/**
 * How a variable's text is read:
 * - `bool`: `true|1|yes|on` / `false|0|no|off`, case-insensitive;
 * - `int`, `float`: a decimal number (an integer for `int`);
 * - `string`: trimmed; a nullable one (default `null`) that is blank becomes `null`;
 * - `list`: comma-separated, items trimmed, empty items dropped;
 * - `run-limit`: a non-negative integer, or `none` / `unlimited` (both mean 0, no limit);
 * - `task-store`: a backend name (code may also pass a task store config object).
 */
export const ENV_VAR_TYPES = ['bool', 'int', 'float', 'string', 'list', 'run-limit', 'task-store'] as const;
export type EnvVarType = (typeof ENV_VAR_TYPES)[number];

export type EnvVarDefault = string | number | boolean | null | readonly string[];

export interface ServeEnvVar {
  readonly name: string;
  /** The camelCase field of `OmniServeConfig` (and option name) the variable sets. */
  readonly field: string;
  readonly type: EnvVarType;
  /** The value used when neither the environment nor code sets the field; `null` means "unset" and is allowed. */
  readonly default: EnvVarDefault;
  /**
   * For a `null` default that a later step fills in, the value it fills in: what the docs and `--env-example` show
   * as the default, since "none" would tell a reader there is no limit.
   */
  readonly effectiveDefault?: string | number;
  readonly description: string;
}

const ANY = ['*'] as const;
const NONE = [] as const;

export const SERVE_ENV_VARS = [
  { name: 'OMNICOREAGENT_SERVE_HOST', field: 'host', type: 'string', default: '0.0.0.0',
    description: 'Address to bind; must not be empty.' },
  { name: 'OMNICOREAGENT_SERVE_PORT', field: 'port', type: 'int', default: 8000,
    description: 'TCP port to listen on, 1-65535.' },
  { name: 'OMNICOREAGENT_SERVE_WORKERS', field: 'workers', type: 'int', default: 1,
    description: 'Must be 1: the agent lives in the server process. Scale by running several processes.' },
  { name: 'OMNICOREAGENT_SERVE_API_PREFIX', field: 'apiPrefix', type: 'string', default: '',
    description: 'Path prefix for the API routes, e.g. /api (a leading slash is added, a trailing one removed).' },
  { name: 'OMNICOREAGENT_SERVE_ENABLE_DOCS', field: 'enableDocs', type: 'bool', default: true,
    description: 'Serve Swagger UI at /docs.' },
  { name: 'OMNICOREAGENT_SERVE_ENABLE_REDOC', field: 'enableRedoc', type: 'bool', default: true,
    description: 'Serve ReDoc at /redoc.' },
  { name: 'OMNICOREAGENT_SERVE_CORS_ENABLED', field: 'corsEnabled', type: 'bool', default: true,
    description: 'Answer CORS requests; false disables CORS handling entirely.' },
  { name: 'OMNICOREAGENT_SERVE_CORS_ORIGINS', field: 'corsOrigins', type: 'list', default: ANY,
    description: 'Comma-separated allowed origins; * allows any.' },
  { name: 'OMNICOREAGENT_SERVE_CORS_METHODS', field: 'corsMethods', type: 'list', default: ANY,
    description: 'Comma-separated allowed methods; * allows any.' },
  { name: 'OMNICOREAGENT_SERVE_CORS_HEADERS', field: 'corsHeaders', type: 'list', default: ANY,
    description: 'Comma-separated allowed request headers; * allows any.' },
  { name: 'OMNICOREAGENT_SERVE_CORS_CREDENTIALS', field: 'corsCredentials', type: 'bool', default: true,
    description: 'Allow credentialed CORS requests.' },
  { name: 'OMNICOREAGENT_SERVE_AUTH_ENABLED', field: 'authEnabled', type: 'bool', default: false,
    description: 'Require "Authorization: Bearer <token>" on every non-public path.' },
  { name: 'OMNICOREAGENT_SERVE_AUTH_TOKEN', field: 'authToken', type: 'string', default: null,
    description: 'The Bearer token; required when auth is enabled.' },
  { name: 'OMNICOREAGENT_SERVE_REQUEST_LOGGING', field: 'requestLogging', type: 'bool', default: true,
    description: 'Log each request and add an X-Process-Time header.' },
  { name: 'OMNICOREAGENT_SERVE_LOG_LEVEL', field: 'logLevel', type: 'string', default: 'INFO',
    description: 'One of CRITICAL, DEBUG, ERROR, INFO, TRACE, WARNING (case-insensitive).' },
  { name: 'OMNICOREAGENT_SERVE_REQUEST_TIMEOUT', field: 'requestTimeout', type: 'int', default: 300,
    description: 'Seconds a response may take before a 504; 0 or negative disables the timeout.' },
  { name: 'OMNICOREAGENT_SERVE_RATE_LIMIT_ENABLED', field: 'rateLimitEnabled', type: 'bool', default: false,
    description: 'Limit requests per client in a fixed window.' },
  { name: 'OMNICOREAGENT_SERVE_RATE_LIMIT_REQUESTS', field: 'rateLimitRequests', type: 'int', default: 100,
    description: 'Requests allowed per client per window; at least 1 when rate limiting is enabled.' },
  { name: 'OMNICOREAGENT_SERVE_RATE_LIMIT_WINDOW', field: 'rateLimitWindow', type: 'int', default: 60,
    description: 'Rate limit window in seconds; at least 1 when rate limiting is enabled.' },
  { name: 'OMNICOREAGENT_BACKGROUND_ENABLED', field: 'backgroundEnabled', type: 'bool', default: true,
    description: 'Enable the background task API and scheduler.' },
  { name: 'OMNICOREAGENT_BACKGROUND_AGENT_ID', field: 'backgroundAgentId', type: 'string', default: 'default',
    description: 'Id under which the served agent is registered for background tasks (letters, digits, _ . -).' },
  { name: 'OMNICOREAGENT_BACKGROUND_TASK_STORE', field: 'backgroundTaskStore', type: 'task-store', default: 'in_memory',
    description: 'Background task store backend: in_memory, sql, redis or mongodb.' },
  { name: 'OMNICOREAGENT_BACKGROUND_TASK_STORE_URL', field: 'backgroundTaskStoreUrl', type: 'string', default: null,
    description: 'SQL or Redis URL of the task store (alone it selects sql).' },
  { name: 'OMNICOREAGENT_BACKGROUND_TASK_STORE_URI', field: 'backgroundTaskStoreUri', type: 'string', default: null,
    description: 'MongoDB connection URI of the task store (alone it selects mongodb).' },
  { name: 'OMNICOREAGENT_BACKGROUND_TASK_STORE_DATABASE', field: 'backgroundTaskStoreDatabase', type: 'string',
    default: null, description: 'MongoDB database name; omnicoreagent when unset.' },
  { name: 'OMNICOREAGENT_BACKGROUND_TASK_STORE_PREFIX', field: 'backgroundTaskStorePrefix', type: 'string',
    default: null, description: 'Key prefix of the Redis task store, or table name prefix of the SQL one.' },
  { name: 'OMNICOREAGENT_BACKGROUND_TASK_STORE_COLLECTION_PREFIX', field: 'backgroundTaskStoreCollectionPrefix',
    type: 'string', default: null, description: 'Collection name prefix for the MongoDB task store.' },
  { name: 'OMNICOREAGENT_BACKGROUND_TASK_STORE_CONNECT_TIMEOUT', field: 'backgroundTaskStoreConnectTimeout',
    type: 'float', default: null, effectiveDefault: DEFAULT_TASK_STORE_CONNECT_TIMEOUT_SECONDS,
    description: 'Seconds to wait when connecting to the task store; greater than 0.' },
  { name: 'OMNICOREAGENT_BACKGROUND_START_WORKER', field: 'backgroundStartWorker', type: 'bool', default: true,
    description: 'Run the background scheduler and worker in this process.' },
  { name: 'OMNICOREAGENT_BACKGROUND_MAX_CONCURRENT_RUNS', field: 'backgroundMaxConcurrentRuns', type: 'int', default: 4,
    description: 'Background runs this process executes at once; 0 means no limit.' },
  { name: 'OMNICOREAGENT_BACKGROUND_LEASE_SECONDS', field: 'backgroundLeaseSeconds', type: 'float', default: 30,
    description: 'Seconds a claimed background run is leased for (renewed every quarter of it); greater than 0.' },
  { name: 'OMNICOREAGENT_WORKSPACE_BACKEND', field: 'workspaceBackend', type: 'string', default: 'local',
    description: 'Where run workspaces live: local (a directory), s3 (AWS_S3_BUCKET...) or r2 (R2_BUCKET_NAME...).' },
  { name: 'OMNICOREAGENT_WORKSPACE_DIR', field: 'workspaceDir', type: 'string', default: '.omnicoreagent/workspace',
    description: 'Root directory of the local workspace; run files go under <dir>/files/.' },
  { name: 'OMNICOREAGENT_WORKSPACE_PREFIX', field: 'workspacePrefix', type: 'string', default: 'workspace',
    description: 'Key prefix of remote (S3/R2) workspaces; leading and trailing "/" are removed.' },
  { name: 'OMNICOREAGENT_SERVE_MAX_CONCURRENT_RUNS', field: 'maxConcurrentRuns', type: 'run-limit', default: 24,
    description: 'Runs this process executes at once; 0, none or unlimited removes the limit.' },
  { name: 'OMNICOREAGENT_SERVE_RUN_ADMISSION_WAIT', field: 'runAdmissionWaitSeconds', type: 'float', default: 5,
    description: 'Seconds a run request waits for a free slot before a 503; at least 0.' },
  { name: 'OMNICOREAGENT_SERVE_ORPHAN_SWEEP_ENABLED', field: 'orphanSweepEnabled', type: 'bool', default: true,
    description: 'Resume interactive runs left behind by a process that died.' },
  { name: 'OMNICOREAGENT_SERVE_ORPHAN_SWEEP_INTERVAL_SECONDS', field: 'orphanSweepIntervalSeconds', type: 'float',
    default: 30, description: 'Seconds between orphan sweeps; greater than 0.' },
  { name: 'OMNICOREAGENT_SERVE_ORPHAN_SWEEP_DECIDED_GRACE_SECONDS', field: 'orphanSweepDecidedGraceSeconds',
    type: 'float', default: 30,
    description: 'Seconds a decided run may wait for its own resume before the sweep takes it; at least 0.' },
  { name: 'OMNICOREAGENT_SERVE_ORPHAN_SWEEP_MAX_CONCURRENT', field: 'orphanSweepMaxConcurrent', type: 'int', default: 2,
    description: 'Orphaned runs resumed at once; at least 1.' },
  { name: 'OMNICOREAGENT_SERVE_ORPHAN_SWEEP_MAX_RECOVERIES', field: 'orphanSweepMaxRecoveries', type: 'int', default: 3,
    description: 'Times one run may be recovered before it is given up; at least 1.' },
  { name: 'OMNICOREAGENT_SERVE_PUBLIC_PATHS', field: 'publicPaths', type: 'list', default: NONE,
    description: 'Comma-separated extra paths reachable without a token; /x/* covers /x and everything under it.' },
  { name: 'OMNICOREAGENT_SERVE_TRUSTED_PROXIES', field: 'trustedProxies', type: 'list', default: NONE,
    description: 'Comma-separated proxy IPs or CIDR ranges whose X-Forwarded-For the rate limiter believes.' },
  { name: 'OMNICOREAGENT_SERVE_BODY_LIMIT_BYTES', field: 'bodyLimitBytes', type: 'int', default: 1_048_576,
    description: 'Largest request body accepted, in bytes; at least 1.' },
  { name: 'OMNICOREAGENT_SERVE_SSE_HEARTBEAT_SECONDS', field: 'sseHeartbeatSeconds', type: 'float', default: 15,
    description: 'Seconds between SSE keep-alive comments; 0 disables them.' },
  { name: 'OMNICOREAGENT_SERVE_SHUTDOWN_GRACE_SECONDS', field: 'shutdownGraceSeconds', type: 'float', default: 30,
    description: 'Seconds to let in-flight requests finish on shutdown; at least 0.' },
  { name: 'OMNICOREAGENT_SERVE_TELEMETRY_MAX_TRACES', field: 'telemetryMaxTraces', type: 'int', default: 1_000,
    description: 'Traces the in-memory telemetry store keeps; past it the oldest go, with their events. At least 1.' },
  { name: 'OMNICOREAGENT_SERVE_TELEMETRY_MAX_EVENTS', field: 'telemetryMaxEvents', type: 'int', default: 100_000,
    description: 'Events the in-memory telemetry store keeps in all (10,000 per session at most); at least 1.' },
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', field: 'otlpEndpoint', type: 'string', default: null,
    description: 'OpenTelemetry collector base URL; when set, finished traces are sent to <url>/v1/traces (OTLP/HTTP JSON).' },
] as const satisfies readonly ServeEnvVar[];

/** The default a reader is shown (docs, `--env-example`): the effective one where a later step fills in `null`. */
export function shownDefault(spec: ServeEnvVar): EnvVarDefault {
  return spec.effectiveDefault ?? spec.default;
}

export type ServeConfigField = (typeof SERVE_ENV_VARS)[number]['field'];
