import { describe, expect, it } from 'vitest';
import { openStores } from '../../src/app/open-stores.ts';
import { ConfigError } from '../../src/core/errors.ts';

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.join('\n');
  }
  throw new Error('expected the store to refuse');
}

describe('store connection errors name the variable and host, never the password', () => {
  it('refuses a PostgreSQL server that is not there', async () => {
    const text = await failure(openStores({ backend: 'sql', url: 'postgres://app:s3cretpw@127.0.0.1:1/db', connectTimeout: 3 }));
    expect(text).toContain('OMNICOREAGENT_BACKGROUND_TASK_STORE_URL');
    expect(text).toContain('127.0.0.1:1');
    expect(text).not.toContain('s3cretpw');
  });

  it('refuses wrong PostgreSQL credentials', async () => {
    const text = await failure(openStores({ backend: 'sql', url: 'postgres://no_such_user:pw123456@127.0.0.1:5432/test', connectTimeout: 5 }));
    expect(text).toContain('127.0.0.1:5432');
    expect(text).toMatch(/no_such_user|authentication|role/);
    expect(text).not.toContain('pw123456');
  });

  it('never shows a password given as a query parameter (PostgreSQL, MariaDB)', async () => {
    for (const url of ['postgres://no_such_user@127.0.0.1:5432/test?password=qsecret77', 'mysql://root@127.0.0.1:3306/no_such_db?password=qsecret77']) {
      const text = await failure(openStores({ backend: 'sql', url, connectTimeout: 5 }));
      expect(text).toContain('127.0.0.1');
      expect(text).toContain('password=****');
      expect(text).not.toContain('qsecret77');
    }
  });

  it('refuses wrong MariaDB credentials', async () => {
    const text = await failure(openStores({ backend: 'sql', url: 'mysql://root:wrongpass99@127.0.0.1:3306/test', connectTimeout: 5 }));
    expect(text).toContain('OMNICOREAGENT_BACKGROUND_TASK_STORE_URL');
    expect(text).toMatch(/Access denied/i);
    expect(text).not.toContain('wrongpass99');
  });

  it('refuses an unknown SQL scheme before connecting', async () => {
    const text = await failure(openStores({ backend: 'sql', url: 'oracle://u:p@h/db' }));
    expect(text).toContain('unsupported scheme "oracle"');
    const redis = await failure(openStores({ backend: 'sql', url: 'redis://127.0.0.1:6379/0' }));
    expect(redis).toContain('is a Redis URL, but the SQL store was selected: set OMNICOREAGENT_BACKGROUND_TASK_STORE=redis');
  });

  it('refuses a Redis server that is not there, within the timeout', async () => {
    const text = await failure(openStores({ backend: 'redis', url: 'redis://:hunter22@127.0.0.1:1/0', connectTimeout: 2 }));
    expect(text).toContain('OMNICOREAGENT_BACKGROUND_TASK_STORE_URL');
    expect(text).toContain('127.0.0.1:1');
    expect(text).not.toContain('hunter22');
  });

  it('refuses a Redis database number the server does not have (it silently used database 0)', async () => {
    const text = await failure(openStores({ backend: 'redis', url: 'redis://127.0.0.1:6379/99', connectTimeout: 5 }));
    expect(text).toContain('OMNICOREAGENT_BACKGROUND_TASK_STORE_URL');
    expect(text).toMatch(/DB index is out of range/i);
  });

  it('refuses a Redis URL with the wrong scheme', async () => {
    const text = await failure(openStores({ backend: 'redis', url: 'http://127.0.0.1:6379' }));
    expect(text).toContain('must be a redis:// or rediss:// URL');
  });

  it('refuses a MongoDB server that is not there, within the timeout', async () => {
    const text = await failure(openStores({ backend: 'mongodb', uri: 'mongodb://u:mongopw77@127.0.0.1:1/x', database: 'x', connectTimeout: 1 }));
    expect(text).toContain('OMNICOREAGENT_BACKGROUND_TASK_STORE_URI');
    expect(text).not.toContain('mongopw77');
  });
});
