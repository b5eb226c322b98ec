import type { Redis } from 'ioredis';
import { ConfigError } from '../../core/errors.ts';
import { maskUrlSecrets } from '../../config/mask-secrets.ts';
import { reasonOf, withTimeout } from '../store-connection-error.ts';

export interface RedisConnectionOptions {
  readonly url: string;
  readonly variable: string;
  readonly connectTimeoutSeconds?: number | null;
  /** Errors after start-up (lost connection, failed reconnect); ioredis keeps reconnecting meanwhile. */
  readonly onError?: (error: Error) => void;
}

/**
 * Connects to Redis and proves it with PING within the connect timeout; a bad URL, a refused connection or a
 * rejected password fail at start-up naming the variable and the host. After that, ioredis reconnects on its own.
 */
export async function openRedis(options: RedisConnectionOptions): Promise<Redis> {
  const shown = maskUrlSecrets(options.url);
  if (!/^rediss?:\/\//i.test(options.url.trim())) {
    throw new ConfigError([`${options.variable} must be a redis:// or rediss:// URL, got "${shown}"`]);
  }
  const timeoutMs = (options.connectTimeoutSeconds ?? 10) * 1000;
  const { Redis: RedisClient } = await import('ioredis');
  const client = new RedisClient(options.url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 3,
    // At start-up a failure must surface, not be retried forever; normal reconnects are restored below.
    retryStrategy: () => null,
  });
  // ioredis reports the cause (refused, bad password) as an event and only "Connection is closed" to the caller.
  let lastError: unknown;
  const remember = (error: unknown) => (lastError = error);
  client.on('error', remember);
  try {
    // A database number the server lacks fails ioredis's own SELECT only as an event, and the client then works on
    // database 0: select it again here, where a refusal stops the start.
    const db = client.options.db ?? 0;
    await withTimeout(client.connect().then(() => (db === 0 ? client.ping() : client.select(db))), timeoutMs, `Redis at ${shown}`);
  } catch (error) {
    client.disconnect();
    throw new ConfigError([`${options.variable}: cannot connect to ${shown}: ${reasonOf(lastError ?? error)}`]);
  }
  client.off('error', remember);
  client.on('error', options.onError ?? (() => undefined));
  client.options.retryStrategy = (times: number) => Math.min(times * 200, 2000);
  return client;
}
