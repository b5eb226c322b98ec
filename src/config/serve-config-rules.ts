import { isIP } from 'node:net';
import { ConfigError } from '../core/errors.ts';
import { MAX_BACKGROUND_ID_LENGTH } from '../core/id-limits.ts';
import { MAX_TIMER_SECONDS, TIMER_LIMIT_MESSAGE } from '../core/timer-limit.ts';
import type { ServeConfigField } from './env-vars.ts';
import { resolveTaskStoreConfig, type TaskStoreSettings } from './task-store-config.ts';

export const LOG_LEVELS = ['CRITICAL', 'DEBUG', 'ERROR', 'INFO', 'TRACE', 'WARNING'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A field that failed to read is missing from the draft, so rules about it stay quiet instead of piling on. */
export type ConfigDraft = Partial<Record<ServeConfigField, unknown>>;

export interface ComplaintOptions {
  /** Shown after `got` instead of the field's value; `false` leaves the value out. */
  readonly got?: string | false;
  /** A further sentence; the value is then shown as its own sentence before it. */
  readonly hint?: string;
}

export interface ProblemSink {
  /** Records "`<VAR> <complaint>, got <value>`" for a field. */
  complain(field: ServeConfigField, complaint: string, options?: ComplaintOptions): void;
  /** Records a message that already names its variables. */
  add(message: string): void;
}

type Complain = ProblemSink['complain'];

const ID_PATTERN = /^[A-Za-z0-9_.-]+$/;

/**
 * Normalizes the draft in place and reports every rule it breaks. Normalizing happens here, after the precedence
 * merge, so a value passed in code is held to exactly the same rules as one from the environment.
 */
export function applyServeConfigRules(draft: ConfigDraft, sink: ProblemSink): void {
  const complain = sink.complain.bind(sink);
  const number = (field: ServeConfigField): number | undefined => {
    const value = draft[field];
    return typeof value === 'number' ? value : undefined;
  };
  const atLeast = (field: ServeConfigField, min: number, why = ''): void => {
    const value = number(field);
    if (value !== undefined && value < min) complain(field, `must be at least ${min}${why}`);
  };

  if (draft.host === '') complain('host', 'must not be empty');
  const port = number('port');
  if (port !== undefined && (port < 1 || port > 65535)) complain('port', 'must be between 1 and 65535');
  if (draft.workers !== undefined && draft.workers !== 1) {
    complain('workers', 'must be 1 for direct OmniServe', {
      hint:
        'The agent lives inside the server process, so one process serves one copy of it. To scale, run several ' +
        'OmniServe processes behind a process manager or load balancer.',
    });
  }
  normalizeApiPrefix(draft, complain);
  normalizeLogLevel(draft, complain);

  if (draft.authEnabled === true && draft.authToken === null) {
    complain('authToken', 'is required when OMNICOREAGENT_SERVE_AUTH_ENABLED=true', { got: false });
  }
  // The limits only mean something while rate limiting is on, so a disabled limiter may keep any leftover numbers.
  if (draft.rateLimitEnabled === true) {
    atLeast('rateLimitRequests', 1, ' when rate limiting is enabled');
    atLeast('rateLimitWindow', 1, ' when rate limiting is enabled');
  }

  const agentId = draft.backgroundAgentId;
  if (typeof agentId === 'string' && !ID_PATTERN.test(agentId)) {
    complain('backgroundAgentId', 'must be non-empty and contain only letters, digits, "_", "." and "-"');
  } else if (typeof agentId === 'string' && agentId.length > MAX_BACKGROUND_ID_LENGTH) {
    complain('backgroundAgentId', `must be at most ${MAX_BACKGROUND_ID_LENGTH} characters`);
  }
  const connectTimeout = number('backgroundTaskStoreConnectTimeout');
  if (connectTimeout !== undefined && connectTimeout <= 0) {
    complain('backgroundTaskStoreConnectTimeout', 'must be greater than 0');
  }
  atLeast('maxConcurrentRuns', 0, ' (0 means unlimited)');
  atLeast('runAdmissionWaitSeconds', 0);
  const interval = number('orphanSweepIntervalSeconds');
  if (interval !== undefined && interval <= 0) complain('orphanSweepIntervalSeconds', 'must be greater than 0');
  atLeast('orphanSweepDecidedGraceSeconds', 0);
  atLeast('orphanSweepMaxConcurrent', 1);
  atLeast('orphanSweepMaxRecoveries', 1);
  checkPublicPaths(draft, complain);
  checkTrustedProxies(draft, complain);
  atLeast('bodyLimitBytes', 1);
  atLeast('sseHeartbeatSeconds', 0);
  atLeast('shutdownGraceSeconds', 0);
  atLeast('telemetryMaxTraces', 1);
  atLeast('telemetryMaxEvents', 1);
  checkOtlpEndpoint(draft, complain);
  checkTaskStore(draft, sink);
  atLeast('backgroundMaxConcurrentRuns', 0, ' (0 means no limit)');
  const lease = number('backgroundLeaseSeconds');
  if (lease !== undefined && lease <= 0) complain('backgroundLeaseSeconds', 'must be greater than 0');
  checkWorkspace(draft, complain);
  for (const field of TIMER_FIELDS) {
    const value = number(field);
    if (value !== undefined && value > MAX_TIMER_SECONDS) complain(field, TIMER_LIMIT_MESSAGE);
  }
}

const TIMER_FIELDS: readonly ServeConfigField[] = [
  'requestTimeout',
  'rateLimitWindow',
  'backgroundTaskStoreConnectTimeout',
  'backgroundLeaseSeconds',
  'runAdmissionWaitSeconds',
  'orphanSweepIntervalSeconds',
  'orphanSweepDecidedGraceSeconds',
  'sseHeartbeatSeconds',
  'shutdownGraceSeconds',
];

const WORKSPACE_BACKENDS = ['local', 's3', 'r2'];

/** Spec 10: the backend is trimmed and lower-cased, the prefix loses its outer slashes. */
function checkWorkspace(draft: ConfigDraft, complain: Complain): void {
  if (typeof draft.workspaceBackend === 'string') {
    const backend = draft.workspaceBackend.trim().toLowerCase();
    if (WORKSPACE_BACKENDS.includes(backend)) draft.workspaceBackend = backend;
    else complain('workspaceBackend', `must be one of: ${WORKSPACE_BACKENDS.join(', ')}`);
  }
  if (draft.workspaceDir === '') complain('workspaceDir', 'must not be empty');
  if (typeof draft.workspacePrefix === 'string') draft.workspacePrefix = draft.workspacePrefix.replace(/^\/+|\/+$/g, '');
}

function normalizeApiPrefix(draft: ConfigDraft, complain: Complain): void {
  const prefix = draft.apiPrefix;
  if (typeof prefix !== 'string') return;
  if (/\s/.test(prefix)) {
    complain('apiPrefix', 'must not contain whitespace');
    return;
  }
  // Repeated slashes would make routes no client ever requests, so `//api//v1/` becomes `/api/v1`.
  const path = prefix.replace(/\/+/g, '/').replace(/\/$/, '');
  draft.apiPrefix = path === '' || path.startsWith('/') ? path : `/${path}`;
}

function normalizeLogLevel(draft: ConfigDraft, complain: Complain): void {
  if (typeof draft.logLevel !== 'string') return;
  const level = draft.logLevel.toUpperCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) draft.logLevel = level;
  else complain('logLevel', `must be one of: ${LOG_LEVELS.join(', ')}`);
}

function checkPublicPaths(draft: ConfigDraft, complain: Complain): void {
  const paths = draft.publicPaths;
  if (!Array.isArray(paths)) return;
  for (const path of paths as readonly string[]) {
    // Auth matches request paths exactly, so an entry that cannot equal any request path would be silently inert.
    const body = path.endsWith('/*') ? path.slice(0, -2) : path;
    if (!path.startsWith('/') || body.includes('*')) {
      complain('publicPaths', 'entries must be paths starting with "/", optionally ending in "/*"', {
        got: JSON.stringify(path),
      });
    }
  }
}

function checkTrustedProxies(draft: ConfigDraft, complain: Complain): void {
  const proxies = draft.trustedProxies;
  if (!Array.isArray(proxies)) return;
  for (const proxy of proxies as readonly string[]) {
    if (!isAddressOrRange(proxy)) {
      complain('trustedProxies', 'entries must be IP addresses or CIDR ranges (like 10.0.0.0/8)', {
        got: JSON.stringify(proxy),
      });
    }
  }
}

function checkOtlpEndpoint(draft: ConfigDraft, complain: Complain): void {
  const endpoint = draft.otlpEndpoint;
  if (typeof endpoint !== 'string') return;
  let protocol = '';
  try {
    protocol = new URL(endpoint).protocol;
  } catch {
    // Not a URL at all: reported below like a wrong scheme.
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    complain('otlpEndpoint', 'must be an http:// or https:// URL (the collector base, e.g. http://localhost:4318)');
  }
}

function isAddressOrRange(text: string): boolean {
  const [address = '', bits, extra] = text.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  const size = Number(bits);
  return /^\d+$/.test(bits) && size <= (family === 4 ? 32 : 128);
}

export const TASK_STORE_FIELDS = [
  'backgroundTaskStore',
  'backgroundTaskStoreUrl',
  'backgroundTaskStoreUri',
  'backgroundTaskStoreDatabase',
  'backgroundTaskStorePrefix',
  'backgroundTaskStoreCollectionPrefix',
  'backgroundTaskStoreConnectTimeout',
] as const satisfies readonly ServeConfigField[];

/**
 * Resolves the task store now, so a wrong combination fails at start next to the other problems instead of when
 * the app is built. An object passed in code is replaced by the checked copy the resolution returns.
 */
function checkTaskStore(draft: ConfigDraft, sink: ProblemSink): void {
  if (TASK_STORE_FIELDS.some((field) => !(field in draft))) return;
  try {
    const resolved = resolveTaskStoreConfig(draft as unknown as TaskStoreSettings);
    if (typeof draft.backgroundTaskStore === 'object') draft.backgroundTaskStore = resolved;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) sink.add(problem);
  }
}
