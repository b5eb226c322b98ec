import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { sql } from 'kysely';
import type { TaskStoreConfig } from '../../src/config/task-store-config.ts';
import { openMongo } from '../../src/stores/mongo/mongo-connection.ts';
import { openRedis } from '../../src/stores/redis/redis-connection.ts';
import { openSqlDatabase } from '../../src/stores/sql/sql-database.ts';
import { parseSqlUrl } from '../../src/stores/sql/sql-url.ts';

/**
 * Removes everything a test wrote under a backend config's unique prefix (from test-backends.ts): the SQLite
 * file, the prefixed tables, the Redis keys, or the MongoDB collections. Call it in afterAll.
 */
export async function dropTestData(config: TaskStoreConfig): Promise<void> {
  const variable = 'test cleanup';
  if (config.backend === 'sql' && config.url !== undefined) {
    const target = parseSqlUrl(config.url);
    if ('error' in target) return;
    if (target.dialect === 'sqlite') {
      const path = resolve(target.location);
      await Promise.all(['', '-wal', '-shm', '-journal'].map((suffix) => rm(`${path}${suffix}`, { force: true })));
      return;
    }
    const prefix = config.prefix ?? '';
    if (prefix === '') throw new Error('refusing to drop the tables of a test config without a prefix');
    const { db, close } = await openSqlDatabase({ url: config.url, variable });
    try {
      const listed =
        target.dialect === 'postgres'
          ? await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema() and left(tablename, ${prefix.length}) = ${prefix}`.execute(db)
          : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = database() and left(table_name, ${prefix.length}) = ${prefix}`.execute(db);
      for (const { name } of listed.rows) await db.schema.dropTable(name).ifExists().execute();
    } finally {
      await close();
    }
    return;
  }
  if (config.backend === 'redis') {
    const prefix = config.prefix ?? '';
    if (prefix === '') throw new Error('refusing to delete the keys of a test config without a prefix');
    const redis = await openRedis({ url: config.url, variable });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
    } finally {
      await redis.quit().catch(() => redis.disconnect());
    }
    return;
  }
  if (config.backend === 'mongodb') {
    const prefix = config.collectionPrefix ?? '';
    if (prefix === '') throw new Error('refusing to drop the collections of a test config without a prefix');
    const { client, db } = await openMongo({ uri: config.uri, database: config.database, variable });
    try {
      for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
        if (name.startsWith(prefix)) await db.dropCollection(name);
      }
    } finally {
      await client.close();
    }
  }
}
