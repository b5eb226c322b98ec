import type { TaskStore } from '../background/task-store.ts';
import {
  DEFAULT_MONGO_COLLECTION_PREFIX,
  DEFAULT_REDIS_PREFIX,
  DEFAULT_SQL_URL,
  DEFAULT_TASK_STORE_CONNECT_TIMEOUT_SECONDS,
  type TaskStoreConfig,
} from '../config/task-store-config.ts';
import { ConfigError } from '../core/errors.ts';
import { maskUrlSecrets } from '../config/mask-secrets.ts';
import { reasonOf } from '../stores/store-connection-error.ts';
import type { SessionStore, TelemetryRetention, TelemetryStore } from '../stores/types.ts';
import type { TelemetryNotifier } from '../telemetry/telemetry-notifier.ts';

/** Every durable port of one backend, opened together and closed together (stores close last at shutdown). */
export interface StoreBundle {
  readonly backend: TaskStoreConfig['backend'];
  /** Null for the in-memory backend: each agent keeps its own in-process memory. */
  readonly sessions: SessionStore | null;
  /** Null for the in-memory backend: the server builds its own bounded MemoryTelemetryStore. */
  readonly telemetry: TelemetryStore | null;
  /**
   * Wakes live followers (`/events/{session_id}`) in every process sharing the store: Redis pub/sub, or polling the
   * session's latest cursor for SQL and MongoDB. Null for the in-memory backend (the in-process feed suffices).
   */
  readonly telemetryNotifier: TelemetryNotifier | null;
  /**
   * The background task store on this backend. Null for the in-memory backend (the server builds its own), and for
   * a backend whose task store adapter is not available yet (start-up then refuses it, saying so).
   */
  readonly tasks: TaskStore | null;
  close(): Promise<void>;
}

export interface OpenStoresOptions {
  /** Bounds of the durable telemetry store (the same settings as the in-memory one). */
  readonly telemetryRetention?: TelemetryRetention;
  /** How often a SQL or MongoDB notifier reads the cursor of each followed session (default 250 ms). */
  readonly telemetryPollMs?: number;
  /** Told about background failures (telemetry pruning, notifications) that are retried or harmless. */
  readonly onError?: (message: string, error: unknown) => void;
}

const URL_VAR = 'OMNICOREAGENT_BACKGROUND_TASK_STORE_URL';
const URI_VAR = 'OMNICOREAGENT_BACKGROUND_TASK_STORE_URI';

/**
 * Opens the stores the config selects. Adapter modules (and their driver packages) are imported here only when
 * selected, so an in-memory deployment never loads pg, mysql2, ioredis or mongodb.
 */
export async function openStores(config: TaskStoreConfig, options: OpenStoresOptions = {}): Promise<StoreBundle> {
  const telemetryOptions = {
    ...(options.telemetryRetention === undefined ? {} : { retention: options.telemetryRetention }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  };
  const pollingOptions = {
    ...(options.telemetryPollMs === undefined ? {} : { intervalMs: options.telemetryPollMs }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  };
  // Given explicitly, so the start-up budget (startup-budget.ts) and the adapters count the same seconds.
  const connectTimeoutSeconds = config.backend === 'in_memory' ? null : (config.connectTimeout ?? DEFAULT_TASK_STORE_CONNECT_TIMEOUT_SECONDS);
  switch (config.backend) {
    case 'in_memory':
      return { backend: 'in_memory', sessions: null, telemetry: null, telemetryNotifier: null, tasks: null, close: async () => undefined };
    case 'sql': {
      const { openSqlDatabase } = await import('../stores/sql/sql-database.ts');
      const { migrateToLatest, tableNames } = await import('../stores/sql/sql-migrations.ts');
      const { SqlSessionStore } = await import('../stores/sql/sql-session-store.ts');
      const { SqlTelemetryStore } = await import('../stores/sql/sql-telemetry-store.ts');
      const { SqlTaskStore } = await import('../stores/sql/sql-task-store.ts');
      const { PollingTelemetryNotifier } = await import('../telemetry/polling-telemetry-notifier.ts');
      const url = config.url ?? DEFAULT_SQL_URL;
      const database = await openSqlDatabase({ url, variable: URL_VAR, connectTimeoutSeconds });
      const prefix = config.prefix ?? '';
      try {
        await migrateToLatest(database.db, database.dialect, prefix);
      } catch (error) {
        await database.close();
        throw new ConfigError([`${URL_VAR}: cannot prepare the tables at ${maskUrlSecrets(url)}: ${reasonOf(error)}`]);
      }
      const tables = tableNames(prefix);
      const telemetry = new SqlTelemetryStore(database.db, database.dialect, tables, telemetryOptions);
      const telemetryNotifier = new PollingTelemetryNotifier(telemetry, pollingOptions);
      return {
        backend: 'sql',
        sessions: new SqlSessionStore(database.db, tables, database.dialect),
        tasks: new SqlTaskStore(database.db, database.dialect, tables),
        telemetry,
        telemetryNotifier,
        close: async () => {
          await telemetryNotifier.close();
          await telemetry.close();
          await database.close();
        },
      };
    }
    case 'redis': {
      const { openRedis } = await import('../stores/redis/redis-connection.ts');
      const { RedisSessionStore } = await import('../stores/redis/redis-session-store.ts');
      const { RedisTelemetryStore } = await import('../stores/redis/redis-telemetry-store.ts');
      const { RedisTelemetryNotifier } = await import('../stores/redis/redis-telemetry-notifier.ts');
      const { RedisTaskStore } = await import('../stores/redis/redis-task-store.ts');
      const redis = await openRedis({ url: config.url, variable: URL_VAR, connectTimeoutSeconds });
      const prefix = config.prefix ?? DEFAULT_REDIS_PREFIX;
      const telemetry = new RedisTelemetryStore(redis, prefix, telemetryOptions);
      const telemetryNotifier = new RedisTelemetryNotifier(redis, prefix, options.onError === undefined ? {} : { onError: options.onError });
      return {
        backend: 'redis',
        sessions: new RedisSessionStore(redis, prefix),
        tasks: new RedisTaskStore(redis, prefix),
        telemetry,
        telemetryNotifier,
        close: async () => {
          await telemetryNotifier.close();
          await telemetry.close();
          await redis.quit().catch(() => redis.disconnect());
        },
      };
    }
    case 'mongodb': {
      const { openMongo } = await import('../stores/mongo/mongo-connection.ts');
      const { MongoSessionStore } = await import('../stores/mongo/mongo-session-store.ts');
      const { MongoTelemetryStore } = await import('../stores/mongo/mongo-telemetry-store.ts');
      const { MongoTaskStore } = await import('../stores/mongo/mongo-task-store.ts');
      const { PollingTelemetryNotifier } = await import('../telemetry/polling-telemetry-notifier.ts');
      const { client, db } = await openMongo({
        uri: config.uri,
        database: config.database,
        variable: URI_VAR,
        connectTimeoutSeconds,
      });
      const prefix = config.collectionPrefix ?? DEFAULT_MONGO_COLLECTION_PREFIX;
      const sessions = new MongoSessionStore(db, prefix);
      const telemetry = new MongoTelemetryStore(db, prefix, telemetryOptions);
      const tasks = new MongoTaskStore(client, db, prefix);
      try {
        await Promise.all([sessions.ensureIndexes(), telemetry.ensureIndexes(), tasks.prepare()]);
      } catch (error) {
        await client.close().catch(() => undefined);
        throw new ConfigError([`${URI_VAR}: cannot create the indexes at ${maskUrlSecrets(config.uri)}: ${reasonOf(error)}`]);
      }
      const telemetryNotifier = new PollingTelemetryNotifier(telemetry, pollingOptions);
      return {
        backend: 'mongodb',
        sessions,
        tasks,
        telemetry,
        telemetryNotifier,
        close: async () => {
          await telemetryNotifier.close();
          await telemetry.close();
          await client.close();
        },
      };
    }
  }
}
