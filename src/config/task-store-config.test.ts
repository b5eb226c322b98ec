import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { loadServeConfig } from './serve-config.ts';
import { resolveTaskStoreConfig, type TaskStoreSettings } from './task-store-config.ts';

const UNSET: TaskStoreSettings = {
  backgroundTaskStore: null,
  backgroundTaskStoreUrl: null,
  backgroundTaskStoreUri: null,
  backgroundTaskStoreDatabase: null,
  backgroundTaskStorePrefix: null,
  backgroundTaskStoreCollectionPrefix: null,
  backgroundTaskStoreConnectTimeout: null,
};

function resolve(settings: Partial<Record<keyof TaskStoreSettings, unknown>>): ReturnType<typeof resolveTaskStoreConfig> {
  return resolveTaskStoreConfig({ ...UNSET, ...settings } as TaskStoreSettings);
}

function problemsOf(settings: Partial<Record<keyof TaskStoreSettings, unknown>>): readonly string[] {
  try {
    resolve(settings);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveTaskStoreConfig', () => {
  it('defaults to the in-memory store', () => {
    expect(resolve({})).toEqual({ backend: 'in_memory' });
    expect(resolve({ backgroundTaskStore: 'in_memory' })).toEqual({ backend: 'in_memory' });
  });

  it('passes a config object through', () => {
    const store = { backend: 'redis', url: 'redis://cache:6379/1', prefix: 'bg' } as const;
    expect(resolve({ backgroundTaskStore: store, backgroundTaskStoreUri: 'mongodb://ignored' })).toEqual(store);
  });

  it('promotes in_memory to sql when only a URL is set', () => {
    expect(resolve({ backgroundTaskStoreUrl: 'sqlite:///tmp/bg.db' })).toEqual({ backend: 'sql', url: 'sqlite:///tmp/bg.db' });
  });

  it('builds the SQL and Redis results with prefix and connect timeout', () => {
    expect(resolve({ backgroundTaskStore: 'sql', backgroundTaskStoreUrl: 'postgres://db/app', backgroundTaskStoreConnectTimeout: 2.5 }))
      .toEqual({ backend: 'sql', url: 'postgres://db/app', connectTimeout: 2.5 });
    expect(resolve({ backgroundTaskStore: 'redis', backgroundTaskStoreUrl: 'redis://localhost:6379/0', backgroundTaskStorePrefix: 'omni' }))
      .toEqual({ backend: 'redis', url: 'redis://localhost:6379/0', prefix: 'omni' });
  });

  it('refuses a SQL table prefix that is not letters, digits and "_", or longer than 30, naming the variable', () => {
    for (const prefix of ['bad prefix;drop', 't6"x', 'p'.repeat(31)]) {
      expect(problemsOf({ backgroundTaskStoreUrl: 'postgres://db/app', backgroundTaskStorePrefix: prefix })).toEqual([
        `OMNICOREAGENT_BACKGROUND_TASK_STORE_PREFIX must be at most 30 letters, digits and "_" for a SQL store (it starts every table name), got ${JSON.stringify(prefix)}`,
      ]);
    }
    expect(problemsOf({ backgroundTaskStore: { backend: 'sql', prefix: 'a-b' } })[0]).toContain('backgroundTaskStore.prefix must be at most 30');
    expect(resolve({ backgroundTaskStoreUrl: 'postgres://db/app', backgroundTaskStorePrefix: 'team_A1_' })).toMatchObject({ prefix: 'team_A1_' });
    // Redis key prefixes are free-form.
    expect(resolve({ backgroundTaskStore: 'redis', backgroundTaskStoreUrl: 'redis://r:6379/0', backgroundTaskStorePrefix: 'app:bg-1' })).toMatchObject({ prefix: 'app:bg-1' });
  });

  it('keeps sql without a URL for the store to choose its own database', () => {
    expect(resolve({ backgroundTaskStore: 'sql' })).toEqual({ backend: 'sql' });
  });

  it('selects MongoDB from a URI, defaulting the database', () => {
    expect(resolve({ backgroundTaskStoreUri: 'mongodb://localhost:27017' })).toEqual({
      backend: 'mongodb',
      uri: 'mongodb://localhost:27017',
      database: 'omnicoreagent',
    });
    expect(
      resolve({
        backgroundTaskStore: 'mongodb',
        backgroundTaskStoreUri: 'mongodb://m',
        backgroundTaskStoreDatabase: 'jobs',
        backgroundTaskStoreCollectionPrefix: 'bg_',
        backgroundTaskStoreConnectTimeout: 3,
      }),
    ).toEqual({ backend: 'mongodb', uri: 'mongodb://m', database: 'jobs', collectionPrefix: 'bg_', connectTimeout: 3 });
  });

  it.each(['sql', 'redis'])('refuses a URI with the %s backend', (backend) => {
    expect(problemsOf({ backgroundTaskStore: backend, backgroundTaskStoreUri: 'mongodb://m' })).toEqual([
      `OMNICOREAGENT_BACKGROUND_TASK_STORE_URI can only be used with the MongoDB background task store, got OMNICOREAGENT_BACKGROUND_TASK_STORE="${backend}"`,
    ]);
  });

  it('refuses a URL with the MongoDB backend', () => {
    expect(problemsOf({ backgroundTaskStore: 'mongodb', backgroundTaskStoreUrl: 'redis://r' })).toEqual([
      'OMNICOREAGENT_BACKGROUND_TASK_STORE_URL can only be used with the SQL or Redis background task store, got OMNICOREAGENT_BACKGROUND_TASK_STORE="mongodb"',
    ]);
  });

  it('requires a URI for MongoDB and a URL for Redis', () => {
    expect(problemsOf({ backgroundTaskStore: 'mongodb' })).toEqual([
      'MongoDB background task store requires OMNICOREAGENT_BACKGROUND_TASK_STORE_URI',
    ]);
    expect(problemsOf({ backgroundTaskStore: 'redis' })).toEqual([
      'Redis background task store requires OMNICOREAGENT_BACKGROUND_TASK_STORE_URL',
    ]);
  });

  it('lists the allowed backends for an unknown one', () => {
    expect(problemsOf({ backgroundTaskStore: 'postgres' })).toEqual([
      'OMNICOREAGENT_BACKGROUND_TASK_STORE must be one of: in_memory, sql, redis, mongodb, got "postgres"',
    ]);
  });

  it('checks a config object and lists all its problems', () => {
    expect(problemsOf({ backgroundTaskStore: { backend: 'mongodb', uri: '', connect_timeout: 5, connectTimeout: -1 } })).toEqual([
      'backgroundTaskStore has unknown key "connect_timeout" for backend "mongodb"; allowed keys: backend, uri, database, collectionPrefix, connectTimeout',
      'backgroundTaskStore.uri must be a non-empty string, got ""',
      'backgroundTaskStore.database is required for backend "mongodb"',
      'backgroundTaskStore.connectTimeout must be a number greater than 0, got -1',
    ]);
    expect(problemsOf({ backgroundTaskStore: { backend: 'cassandra' } })).toEqual([
      'backgroundTaskStore.backend must be one of: in_memory, sql, redis, mongodb, got "cassandra"',
    ]);
  });
});

describe('task store checks inside loadServeConfig', () => {
  it('never consults bare REDIS_URL or MONGODB_URI', () => {
    const env = { REDIS_URL: 'redis://elsewhere:6379/0', MONGODB_URI: 'mongodb://elsewhere' };
    expect(resolveTaskStoreConfig(loadServeConfig({}, env))).toEqual({ backend: 'in_memory' });
    expect(() => loadServeConfig({}, { ...env, OMNICOREAGENT_BACKGROUND_TASK_STORE: 'redis' })).toThrow(
      'Redis background task store requires OMNICOREAGENT_BACKGROUND_TASK_STORE_URL',
    );
  });

  it('reports a bad store combination together with other problems', () => {
    try {
      loadServeConfig({ port: 0 }, { OMNICOREAGENT_BACKGROUND_TASK_STORE: 'sql', OMNICOREAGENT_BACKGROUND_TASK_STORE_URI: 'mongodb://m' });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'OMNICOREAGENT_SERVE_PORT must be between 1 and 65535, got 0',
        'OMNICOREAGENT_BACKGROUND_TASK_STORE_URI can only be used with the MongoDB background task store, got OMNICOREAGENT_BACKGROUND_TASK_STORE="sql"',
      ]);
    }
  });

  it('reads the store settings from the environment, backend case-insensitively', () => {
    const config = loadServeConfig({}, {
      OMNICOREAGENT_BACKGROUND_TASK_STORE: 'Redis',
      OMNICOREAGENT_BACKGROUND_TASK_STORE_URL: 'redis://localhost:6379/0',
      OMNICOREAGENT_BACKGROUND_TASK_STORE_PREFIX: 'omni',
      OMNICOREAGENT_BACKGROUND_TASK_STORE_CONNECT_TIMEOUT: '1.5',
    });
    expect(resolveTaskStoreConfig(config)).toEqual({ backend: 'redis', url: 'redis://localhost:6379/0', prefix: 'omni', connectTimeout: 1.5 });
  });

  it('lets an environment backend name replace an object passed in code', () => {
    const config = loadServeConfig({ backgroundTaskStore: { backend: 'redis', url: 'redis://r' } }, { OMNICOREAGENT_BACKGROUND_TASK_STORE: 'in_memory' });
    expect(config.backgroundTaskStore).toBe('in_memory');
  });

  it('keeps a frozen, checked copy of an object passed in code', () => {
    const store = { backend: 'sql', url: ' sqlite:///bg.db ' } as const;
    const config = loadServeConfig({ backgroundTaskStore: store }, {});
    expect(config.backgroundTaskStore).toEqual({ backend: 'sql', url: 'sqlite:///bg.db' });
    expect(Object.isFrozen(config.backgroundTaskStore)).toBe(true);
    expect(Object.isFrozen(store)).toBe(false);
  });

  it('rejects a task store that is neither a name nor an object', () => {
    expect(() => loadServeConfig({ backgroundTaskStore: 42 as unknown as 'sql' }, {})).toThrow(
      'OMNICOREAGENT_BACKGROUND_TASK_STORE must be a backend name or a task store config object, got 42',
    );
  });
});
