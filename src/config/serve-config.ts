import { ConfigError } from '../core/errors.ts';
import { isPlainObject } from './describe-value.ts';
import { SERVE_ENV_VARS, type ServeConfigField, type ServeEnvVar } from './env-vars.ts';
import { readSetting } from './read-setting.ts';
import { applyServeConfigRules, type ConfigDraft, type LogLevel } from './serve-config-rules.ts';
import type { TaskStoreBackend, TaskStoreConfig } from './task-store-config.ts';
import { workspaceConfigProblems, type WorkspaceSettings } from './workspace-config.ts';
import { readWorkspaceEnvironment } from './workspace-environment.ts';

/**
 * The server's settings after merging environment, code and defaults, normalized and validated. Field order is the
 * order of `SERVE_ENV_VARS` (and of `omniserve config --show`). Durations are in seconds.
 */
export interface OmniServeConfig {
  readonly host: string;
  readonly port: number;
  /** Always 1: the agent lives in this process. */
  readonly workers: number;
  /** `''` or a path such as `/api`: leading slash, no trailing slash. */
  readonly apiPrefix: string;
  readonly enableDocs: boolean;
  readonly enableRedoc: boolean;
  readonly corsEnabled: boolean;
  readonly corsOrigins: readonly string[];
  readonly corsMethods: readonly string[];
  readonly corsHeaders: readonly string[];
  readonly corsCredentials: boolean;
  readonly authEnabled: boolean;
  /** Trimmed; never `null` while `authEnabled`. */
  readonly authToken: string | null;
  readonly requestLogging: boolean;
  readonly logLevel: LogLevel;
  /** 0 or negative: no timeout. */
  readonly requestTimeout: number;
  readonly rateLimitEnabled: boolean;
  readonly rateLimitRequests: number;
  readonly rateLimitWindow: number;
  readonly backgroundEnabled: boolean;
  readonly backgroundAgentId: string;
  /** A backend name, or (from code) the checked copy of a task store config object. */
  readonly backgroundTaskStore: TaskStoreBackend | TaskStoreConfig;
  readonly backgroundTaskStoreUrl: string | null;
  readonly backgroundTaskStoreUri: string | null;
  readonly backgroundTaskStoreDatabase: string | null;
  readonly backgroundTaskStorePrefix: string | null;
  readonly backgroundTaskStoreCollectionPrefix: string | null;
  readonly backgroundTaskStoreConnectTimeout: number | null;
  readonly backgroundStartWorker: boolean;
  /** Background runs executing at once in this process; 0 means no limit. */
  readonly backgroundMaxConcurrentRuns: number;
  /**
   * A worker's lease on a run it claimed, renewed every quarter of it; a process that dies holding one leaves the
   * run to be recovered by another once it expires.
   */
  readonly backgroundLeaseSeconds: number;
  /** `local`, `s3` or `r2`: trimmed, lower-cased. A remote one's bucket and keys are checked at load (spec 10). */
  readonly workspaceBackend: string;
  readonly workspaceDir: string;
  /** Without leading or trailing `/`. */
  readonly workspacePrefix: string;
  /** Runs this process executes at once; 0 means no limit. */
  readonly maxConcurrentRuns: number;
  readonly runAdmissionWaitSeconds: number;
  readonly orphanSweepEnabled: boolean;
  readonly orphanSweepIntervalSeconds: number;
  readonly orphanSweepDecidedGraceSeconds: number;
  readonly orphanSweepMaxConcurrent: number;
  readonly orphanSweepMaxRecoveries: number;
  /** Extra paths reachable without a token; `/x/*` covers `/x` and everything under it. */
  readonly publicPaths: readonly string[];
  /** IPs or CIDR ranges whose `X-Forwarded-For` the rate limiter believes. */
  readonly trustedProxies: readonly string[];
  readonly bodyLimitBytes: number;
  /** 0 disables heartbeats. */
  readonly sseHeartbeatSeconds: number;
  readonly shutdownGraceSeconds: number;
  /** Bounds of the in-memory telemetry store (traces, and events in all). */
  readonly telemetryMaxTraces: number;
  readonly telemetryMaxEvents: number;
  /** OTLP/HTTP collector base URL; `null` disables export. */
  readonly otlpEndpoint: string | null;
}

/**
 * What code (and the CLI) may pass; environment variables still win over it. `undefined` means "not given", so
 * callers can forward optional flags as they are. `null` asks for the default run limit / task store, as in the
 * reference. The log level may be given in lower case.
 */
export type OmniServeOptions = {
  readonly [K in Exclude<keyof OmniServeConfig, 'maxConcurrentRuns' | 'backgroundTaskStore' | 'logLevel'>]?:
    | OmniServeConfig[K]
    | undefined;
} & {
  readonly logLevel?: LogLevel | Lowercase<LogLevel> | undefined;
  readonly maxConcurrentRuns?: number | null | undefined;
  readonly backgroundTaskStore?: TaskStoreBackend | TaskStoreConfig | null | undefined;
};

// Compile-time proof that SERVE_ENV_VARS and OmniServeConfig list the same fields: one variable per field.
type Assert<T extends true> = T;
type MissingVars = Exclude<keyof OmniServeConfig, ServeConfigField>;
type UnknownFields = Exclude<ServeConfigField, keyof OmniServeConfig>;
export type FieldsMatchEnvVars = Assert<[MissingVars, UnknownFields] extends [never, never] ? true : false>;

const VAR_BY_FIELD: ReadonlyMap<string, ServeEnvVar> = new Map(SERVE_ENV_VARS.map((spec) => [spec.field, spec]));

/**
 * Builds the server configuration: each field from its environment variable, else from `options`, else its default.
 * Every problem (in the environment or in `options`) is collected and thrown together as one `ConfigError`, each
 * naming the environment variable and the value it got. The result is deeply frozen.
 */
export function loadServeConfig(options?: OmniServeOptions, env: NodeJS.ProcessEnv = process.env): OmniServeConfig {
  const problems: string[] = [];
  const given = readOptions(options, problems);
  const draft: ConfigDraft = {};
  const shown = new Map<string, string>();

  for (const spec of SERVE_ENV_VARS) {
    const outcome = readSetting(spec, env[spec.name], given[spec.field]);
    if ('problem' in outcome) {
      problems.push(outcome.problem);
    } else {
      draft[spec.field] = outcome.value;
      shown.set(spec.field, outcome.got);
    }
  }

  applyServeConfigRules(draft, {
    complain(field, complaint, { got = shown.get(field) ?? '', hint } = {}) {
      const name = VAR_BY_FIELD.get(field)?.name ?? field;
      if (got === false) problems.push(`${name} ${complaint}`);
      else if (hint === undefined) problems.push(`${name} ${complaint}, got ${got}`);
      else problems.push(`${name} ${complaint}. Got ${got}. ${hint}`);
    },
    add(message) {
      problems.push(message);
    },
  });

  // A remote workspace's bucket and keys are not config fields (they are secrets, or named by AWS/Cloudflare), but a
  // missing bucket must still fail here, next to the other problems, rather than when the server starts.
  const backend = draft.workspaceBackend;
  if ((backend === 's3' || backend === 'r2') && typeof draft.workspacePrefix === 'string') {
    problems.push(...workspaceConfigProblems(draft as unknown as WorkspaceSettings, readWorkspaceEnvironment(env)));
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(draft) as unknown as OmniServeConfig;
}

/** The option names code may pass, in field order. */
export const OMNI_SERVE_OPTION_NAMES: readonly string[] = SERVE_ENV_VARS.map((spec) => spec.field);

function readOptions(options: unknown, problems: string[]): Readonly<Record<string, unknown>> {
  if (options === undefined || options === null) return {};
  if (!isPlainObject(options)) {
    problems.push('OmniServe options must be an object');
    return {};
  }
  const unknown = Object.keys(options).filter((key) => !VAR_BY_FIELD.has(key));
  if (unknown.length > 0) {
    const listed = unknown.map((key) => {
      // People coming from the Python reference write snake_case; point them at the name we use.
      const camel = key.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
      return camel !== key && VAR_BY_FIELD.has(camel) ? `"${key}" (did you mean "${camel}"?)` : `"${key}"`;
    });
    problems.push(
      `Unknown OmniServe option${unknown.length > 1 ? 's' : ''} ${listed.join(', ')}. ` +
        `Allowed options: ${OMNI_SERVE_OPTION_NAMES.join(', ')}`,
    );
  }
  return options;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
