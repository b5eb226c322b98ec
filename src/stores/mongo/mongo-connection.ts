import type { Db, MongoClient } from 'mongodb';
import { ConfigError } from '../../core/errors.ts';
import { maskUrlSecrets } from '../../config/mask-secrets.ts';
import { reasonOf } from '../store-connection-error.ts';

export interface MongoConnectionOptions {
  readonly uri: string;
  readonly database: string;
  readonly variable: string;
  readonly connectTimeoutSeconds?: number | null;
}

export interface MongoConnection {
  readonly client: MongoClient;
  readonly db: Db;
}

/** Connects with majority writes and proves the connection with a ping within the connect timeout. */
export async function openMongo(options: MongoConnectionOptions): Promise<MongoConnection> {
  const shown = maskUrlSecrets(options.uri);
  if (!/^mongodb(\+srv)?:\/\//i.test(options.uri.trim())) {
    throw new ConfigError([`${options.variable} must be a mongodb:// or mongodb+srv:// URI, got "${shown}"`]);
  }
  const timeoutMs = (options.connectTimeoutSeconds ?? 10) * 1000;
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(options.uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    writeConcern: { w: 'majority' },
    readConcern: { level: 'majority' },
  });
  try {
    await client.connect();
    const db = client.db(options.database);
    await db.command({ ping: 1 });
    return { client, db };
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new ConfigError([`${options.variable}: cannot connect to ${shown}: ${reasonOf(error)}`]);
  }
}
