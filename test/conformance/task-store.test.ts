import { afterAll, describe, it } from 'vitest';
import type { TaskStoreConfig } from '../../src/config/task-store-config.ts';
import { describeTaskStoreConformance, type TaskStoreConformanceOptions, type TaskStoreHarness } from '../../src/stores/conformance/task-store.conformance.ts';
import { MemoryTaskStore } from '../../src/stores/memory/memory-task-store.ts';
import { dropTestData } from '../support/drop-test-data.ts';
import { TEST_BACKENDS } from '../support/test-backends.ts';
import type { TaskStore } from '../../src/background/task-store.ts';
import { openMongo } from '../../src/stores/mongo/mongo-connection.ts';
import { MongoTaskStore } from '../../src/stores/mongo/mongo-task-store.ts';
import { openRedis } from '../../src/stores/redis/redis-connection.ts';
import { RedisTaskStore } from '../../src/stores/redis/redis-task-store.ts';
import { openSqlDatabase, type SqlDatabase } from '../../src/stores/sql/sql-database.ts';
import { migrateToLatest, tableNames } from '../../src/stores/sql/sql-migrations.ts';
import { SqlTaskStore } from '../../src/stores/sql/sql-task-store.ts';

/** Opens a fresh, empty store for one test (its config has a prefix of its own, removed in afterAll). */
type HarnessFactory = (config: TaskStoreConfig) => Promise<TaskStoreHarness>;

// Every adapter gets one line here: its harness factory and its options, by backend name (test-backends.ts).
const ADAPTERS: Readonly<Record<string, { readonly open: HarnessFactory; readonly options: TaskStoreConformanceOptions }>> = {
  memory: {
    open: async () => {
      const store = new MemoryTaskStore();
      return { store, peer: async () => store, dispose: () => store.close() };
    },
    options: { skip: { durability: 'the in-memory store keeps nothing across a restart' }, parallelism: 32 },
  },
  redis: { open: redisTaskHarness, options: { parallelism: 32 } },
  mongodb: { open: mongoTaskHarness, options: { parallelism: 32 } },
  sqlite: { open: sqlTaskHarness, options: { parallelism: 32 } },
  postgres: { open: sqlTaskHarness, options: { parallelism: 32 } },
  mysql: { open: sqlTaskHarness, options: { parallelism: 32 } },
};

/** Each handle has a connection of its own, as another process would. */
async function redisTaskHarness(config: TaskStoreConfig): Promise<TaskStoreHarness> {
  if (config.backend !== 'redis') throw new Error('redis harness needs a redis config');
  const connections: { quit(): Promise<unknown>; disconnect(): void }[] = [];
  const open = async (): Promise<TaskStore> => {
    const redis = await openRedis({ url: config.url, variable: 'OMNICOREAGENT_TEST_REDIS_URL' });
    connections.push(redis);
    return new RedisTaskStore(redis, config.prefix as string);
  };
  const closeAll = () => Promise.all(connections.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
  return {
    store: await open(),
    peer: open,
    reopen: async () => (await closeAll(), open()),
    dispose: async () => void (await closeAll()),
  };
}

/** Each handle opens the database again (its own pool; on SQLite its own connection to the file). */
async function sqlTaskHarness(config: TaskStoreConfig): Promise<TaskStoreHarness> {
  if (config.backend !== 'sql' || config.url === undefined) throw new Error('sql harness needs a sql config with a url');
  const { url } = config;
  const prefix = config.prefix ?? '';
  const databases: SqlDatabase[] = [];
  const open = async (): Promise<TaskStore> => {
    const database = await openSqlDatabase({ url, variable: 'OMNICOREAGENT_TEST_SQL_URL' });
    databases.push(database);
    return new SqlTaskStore(database.db, database.dialect, tableNames(prefix));
  };
  const closeAll = () => Promise.all(databases.splice(0).map((database) => database.close()));
  const store = await open();
  await migrateToLatest((databases[0] as SqlDatabase).db, (databases[0] as SqlDatabase).dialect, prefix);
  return {
    store,
    peer: open,
    reopen: async () => (await closeAll(), open()),
    dispose: async () => void (await closeAll()),
  };
}

async function mongoTaskHarness(config: TaskStoreConfig): Promise<TaskStoreHarness> {
  if (config.backend !== 'mongodb') throw new Error('mongodb harness needs a mongodb config');
  const clients: { close(): Promise<void> }[] = [];
  const open = async (): Promise<TaskStore> => {
    const { client, db } = await openMongo({ uri: config.uri, database: config.database, variable: 'OMNICOREAGENT_TEST_MONGODB_URI' });
    clients.push(client);
    const store = new MongoTaskStore(client, db, config.collectionPrefix as string);
    await store.prepare();
    return store;
  };
  const closeAll = () => Promise.all(clients.splice(0).map((c) => c.close()));
  return {
    store: await open(),
    peer: open,
    reopen: async () => (await closeAll(), open()),
    dispose: async () => void (await closeAll()),
  };
}

const used: TaskStoreConfig[] = [];
afterAll(async () => {
  await Promise.all(used.map((config) => dropTestData(config)));
});

for (const backend of TEST_BACKENDS) {
  const adapter = ADAPTERS[backend.name];
  const skip = backend.skip ?? (adapter === undefined ? 'no task store adapter is wired for this backend in this file' : null);
  if (skip !== null || adapter === undefined) {
    describe(`TaskStore conformance: ${backend.name}`, () => {
      it.skip(`whole suite (skipped: ${skip})`, () => undefined);
    });
    continue;
  }
  describeTaskStoreConformance(
    backend.name,
    async () => {
      const config = backend.config();
      if (backend.name !== 'memory') used.push(config);
      return adapter.open(config);
    },
    adapter.options,
  );
}
