import { ConfigError } from '../core/errors.ts';
import { describeValue, isPlainObject } from './describe-value.ts';

export const TASK_STORE_BACKENDS = ['in_memory', 'sql', 'redis', 'mongodb'] as const;
export type TaskStoreBackend = (typeof TASK_STORE_BACKENDS)[number];

export interface InMemoryTaskStoreConfig {
  readonly backend: 'in_memory';
}

export interface SqlTaskStoreConfig {
  readonly backend: 'sql';
  /** `sqlite:///path`, `postgres://...` or `mysql://...`; without it the store picks its own local database. */
  readonly url?: string;
  readonly prefix?: string;
  /** Seconds. */
  readonly connectTimeout?: number;
}

export interface RedisTaskStoreConfig {
  readonly backend: 'redis';
  readonly url: string;
  readonly prefix?: string;
  readonly connectTimeout?: number;
}

export interface MongoTaskStoreConfig {
  readonly backend: 'mongodb';
  readonly uri: string;
  readonly database: string;
  readonly collectionPrefix?: string;
  readonly connectTimeout?: number;
}

export type TaskStoreConfig =
  | InMemoryTaskStoreConfig
  | SqlTaskStoreConfig
  | RedisTaskStoreConfig
  | MongoTaskStoreConfig;

/** The `OmniServeConfig` fields that choose the task store; an `OmniServeConfig` is one. */
export interface TaskStoreSettings {
  readonly backgroundTaskStore: string | TaskStoreConfig | null;
  readonly backgroundTaskStoreUrl: string | null;
  readonly backgroundTaskStoreUri: string | null;
  readonly backgroundTaskStoreDatabase: string | null;
  readonly backgroundTaskStorePrefix: string | null;
  readonly backgroundTaskStoreCollectionPrefix: string | null;
  readonly backgroundTaskStoreConnectTimeout: number | null;
}

export const DEFAULT_MONGO_DATABASE = 'omnicoreagent';
/** Without a URL, the SQL backend keeps a SQLite file in the working directory, like the reference. */
export const DEFAULT_SQL_URL = 'sqlite:///.omnicoreagent/omniserve.db';
export const DEFAULT_REDIS_PREFIX = 'omnicoreagent:background';
export const DEFAULT_MONGO_COLLECTION_PREFIX = 'omnicoreagent_background';
/** Seconds a durable store gets to answer at start when OMNICOREAGENT_BACKGROUND_TASK_STORE_CONNECT_TIMEOUT is unset. */
export const DEFAULT_TASK_STORE_CONNECT_TIMEOUT_SECONDS = 10;

const STORE = 'OMNICOREAGENT_BACKGROUND_TASK_STORE';
const URL_VAR = 'OMNICOREAGENT_BACKGROUND_TASK_STORE_URL';
const URI_VAR = 'OMNICOREAGENT_BACKGROUND_TASK_STORE_URI';

/**
 * Decides which task store backend to build and with what settings. Only the prefixed variables count: the bare
 * `REDIS_URL`-style names other tools set are never consulted, so a store is never picked by accident.
 */
export function resolveTaskStoreConfig(config: TaskStoreSettings): TaskStoreConfig {
  const store = config.backgroundTaskStore;
  if (typeof store === 'object' && store !== null) return checkTaskStoreObject(store);

  const backend = (store ?? 'in_memory').trim().toLowerCase();
  if (!isBackend(backend)) {
    throw new ConfigError([`${STORE} must be one of: ${TASK_STORE_BACKENDS.join(', ')}, got ${describeValue(store)}`]);
  }
  const uri = present(config.backgroundTaskStoreUri);
  const url = present(config.backgroundTaskStoreUrl);
  const connectTimeout = config.backgroundTaskStoreConnectTimeout;
  const timeout = connectTimeout === null ? {} : { connectTimeout };

  if (uri !== null) {
    if (backend !== 'in_memory' && backend !== 'mongodb') {
      throw new ConfigError([
        `${URI_VAR} can only be used with the MongoDB background task store, got ${STORE}="${backend}"`,
      ]);
    }
    const collectionPrefix = present(config.backgroundTaskStoreCollectionPrefix);
    return {
      backend: 'mongodb',
      uri,
      database: present(config.backgroundTaskStoreDatabase) ?? DEFAULT_MONGO_DATABASE,
      ...(collectionPrefix === null ? {} : { collectionPrefix }),
      ...timeout,
    };
  }

  const prefix = present(config.backgroundTaskStorePrefix);
  const prefixed = prefix === null ? {} : { prefix };
  if (url !== null) {
    const promoted = backend === 'in_memory' ? 'sql' : backend;
    if (promoted !== 'sql' && promoted !== 'redis') {
      throw new ConfigError([
        `${URL_VAR} can only be used with the SQL or Redis background task store, got ${STORE}="${backend}"`,
      ]);
    }
    if (promoted === 'sql') checkSqlPrefix(prefix, 'OMNICOREAGENT_BACKGROUND_TASK_STORE_PREFIX');
    return { backend: promoted, url, ...prefixed, ...timeout };
  }

  if (backend === 'mongodb') throw new ConfigError([`MongoDB background task store requires ${URI_VAR}`]);
  if (backend === 'redis') throw new ConfigError([`Redis background task store requires ${URL_VAR}`]);
  if (backend === 'sql') {
    checkSqlPrefix(prefix, 'OMNICOREAGENT_BACKGROUND_TASK_STORE_PREFIX');
    return { backend: 'sql', ...prefixed, ...timeout };
  }
  return { backend: 'in_memory' };
}

function isBackend(value: string): value is TaskStoreBackend {
  return (TASK_STORE_BACKENDS as readonly string[]).includes(value);
}

function present(value: string | null): string | null {
  return value === null || value.trim() === '' ? null : value.trim();
}

interface ObjectShape {
  readonly required: readonly string[];
  readonly optional: readonly string[];
}

const OBJECT_SHAPES: Readonly<Record<TaskStoreBackend, ObjectShape>> = {
  in_memory: { required: [], optional: [] },
  sql: { required: [], optional: ['url', 'prefix', 'connectTimeout'] },
  redis: { required: ['url'], optional: ['prefix', 'connectTimeout'] },
  mongodb: { required: ['uri', 'database'], optional: ['collectionPrefix', 'connectTimeout'] },
};

/**
 * Checks a task store object passed in code (JavaScript callers get no compile-time help) and returns a clean copy,
 * listing every problem at once.
 */
function checkTaskStoreObject(input: unknown): TaskStoreConfig {
  const at = 'backgroundTaskStore';
  if (!isPlainObject(input)) throw new ConfigError([`${at} must be a backend name or a task store config object`]);
  const backend = input['backend'];
  if (typeof backend !== 'string' || !isBackend(backend)) {
    const allowed = TASK_STORE_BACKENDS.join(', ');
    throw new ConfigError([`${at}.backend must be one of: ${allowed}, got ${describeValue(backend)}`]);
  }
  const shape = OBJECT_SHAPES[backend];
  const allowed = ['backend', ...shape.required, ...shape.optional];
  const problems: string[] = [];
  const copy: Record<string, unknown> = { backend };
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key)) {
      problems.push(`${at} has unknown key "${key}" for backend "${backend}"; allowed keys: ${allowed.join(', ')}`);
    }
  }
  for (const key of [...shape.required, ...shape.optional]) {
    const value = input[key];
    if (value === undefined) {
      if (shape.required.includes(key)) problems.push(`${at}.${key} is required for backend "${backend}"`);
    } else if (key === 'connectTimeout') {
      if (typeof value === 'number' && Number.isFinite(value) && value > 0) copy[key] = value;
      else problems.push(`${at}.connectTimeout must be a number greater than 0, got ${describeValue(value)}`);
    } else if (typeof value === 'string' && value.trim() !== '') {
      copy[key] = value.trim();
    } else {
      problems.push(`${at}.${key} must be a non-empty string, got ${describeValue(value)}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (backend === 'sql') checkSqlPrefix(typeof copy['prefix'] === 'string' ? copy['prefix'] : null, `${at}.prefix`);
  return copy as unknown as TaskStoreConfig;
}

/** Longest SQL table prefix: the longest name built from it (an index) must stay within PostgreSQL's 63 bytes. */
const MAX_SQL_PREFIX_LENGTH = 30;

/**
 * SQL table and index names are the prefix plus a fixed name. Anything but letters, digits and "_" would need
 * quoting in every tool an operator uses, and a long prefix is cut short by PostgreSQL (a failed migration).
 */
function checkSqlPrefix(prefix: string | null, name: string): void {
  if (prefix === null) return;
  if (!/^[A-Za-z0-9_]+$/.test(prefix) || prefix.length > MAX_SQL_PREFIX_LENGTH) {
    throw new ConfigError([
      `${name} must be at most ${MAX_SQL_PREFIX_LENGTH} letters, digits and "_" for a SQL store (it starts every table name), got ${describeValue(prefix)}`,
    ]);
  }
}
