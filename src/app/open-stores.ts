import type { TaskStoreConfig } from '../config/task-store-config.ts';
import type { SessionStore } from '../stores/types.ts';

/** Every durable port of one backend, opened together and closed together (stores close last at shutdown). */
export interface StoreBundle {
  readonly backend: TaskStoreConfig['backend'];
  /** Null for the in-memory backend: each agent keeps its own in-process memory. */
  readonly sessions: SessionStore | null;
  close(): Promise<void>;
}

const URL_VAR = 'OMNICOREAGENT_BACKGROUND_TASK_STORE_URL';
const URI_VAR = 'OMNICOREAGENT_BACKGROUND_TASK_STORE_URI';
/** Without a URL, the SQL backend keeps a SQLite file in the working directory, like the reference. */
export const DEFAULT_SQL_URL = 'sqlite:///.omnicoreagent/omniserve.db';
export const DEFAULT_REDIS_PREFIX = 'omnicoreagent:background';
export const DEFAULT_MONGO_COLLECTION_PREFIX = 'omnicoreagent_background';

/**
 * Opens the stores the config selects. Adapter modules (and their driver packages) are imported here only when
 * selected, so an in-memory deployment never loads pg, mysql2, ioredis or mongodb.
 */
export async function openStores(config: TaskStoreConfig): Promise<StoreBundle> {
  switch (config.backend) {
    case 'in_memory':
      return { backend: 'in_memory', sessions: null, close: async () => undefined };
    case 'sql': {
      const { openSqlDatabase } = await import('../stores/sql/sql-database.ts');
      const { migrateToLatest, tableNames } = await import('../stores/sql/sql-migrations.ts');
      const { SqlSessionStore } = await import('../stores/sql/sql-session-store.ts');
      const database = await openSqlDatabase({ url: config.url ?? DEFAULT_SQL_URL, variable: URL_VAR, connectTimeoutSeconds: config.connectTimeout ?? null });
      const prefix = config.prefix ?? '';
      try {
        await migrateToLatest(database.db, database.dialect, prefix);
      } catch (error) {
        await database.close();
        throw error;
      }
      const tables = tableNames(prefix);
      return { backend: 'sql', sessions: new SqlSessionStore(database.db, tables), close: () => database.close() };
    }
    case 'redis': {
      const { openRedis } = await import('../stores/redis/redis-connection.ts');
      const { RedisSessionStore } = await import('../stores/redis/redis-session-store.ts');
      const redis = await openRedis({ url: config.url, variable: URL_VAR, connectTimeoutSeconds: config.connectTimeout ?? null });
      const prefix = config.prefix ?? DEFAULT_REDIS_PREFIX;
      return {
        backend: 'redis',
        sessions: new RedisSessionStore(redis, prefix),
        close: async () => {
          await redis.quit().catch(() => redis.disconnect());
        },
      };
    }
    case 'mongodb': {
      const { openMongo } = await import('../stores/mongo/mongo-connection.ts');
      const { MongoSessionStore } = await import('../stores/mongo/mongo-session-store.ts');
      const { client, db } = await openMongo({
        uri: config.uri,
        database: config.database,
        variable: URI_VAR,
        connectTimeoutSeconds: config.connectTimeout ?? null,
      });
      const prefix = config.collectionPrefix ?? DEFAULT_MONGO_COLLECTION_PREFIX;
      const sessions = new MongoSessionStore(db, prefix);
      await sessions.ensureIndexes();
      return { backend: 'mongodb', sessions, close: () => client.close() };
    }
  }
}
