import { randomBytes } from 'node:crypto';
import type { TaskStoreConfig } from '../../src/config/task-store-config.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The backends every store conformance suite runs against. Servers are the ones on this machine (started by
 * .ci/run); a MongoDB server cannot run here, so its suites run only when OMNICOREAGENT_TEST_MONGODB_URI is set.
 */
export interface TestBackend {
  readonly name: string;
  /** Why this backend's suites are skipped here, or null. */
  readonly skip: string | null;
  /** A store config with a prefix of its own, so parallel test files never see each other's data. */
  config(): TaskStoreConfig;
}

const unique = () => `t${randomBytes(4).toString('hex')}`;
const env = process.env;

export const TEST_BACKENDS: readonly TestBackend[] = [
  { name: 'memory', skip: null, config: () => ({ backend: 'in_memory' }) },
  {
    name: 'sqlite',
    skip: null,
    config: () => ({ backend: 'sql', url: `sqlite:///${join(tmpdir(), `omniserve-${unique()}.db`)}` }),
  },
  {
    name: 'postgres',
    skip: null,
    config: () => ({ backend: 'sql', url: env['OMNICOREAGENT_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test', prefix: `${unique()}_` }),
  },
  {
    name: 'mysql',
    skip: null,
    config: () => ({ backend: 'sql', url: env['OMNICOREAGENT_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test', prefix: `${unique()}_` }),
  },
  {
    name: 'redis',
    skip: null,
    config: () => ({ backend: 'redis', url: env['OMNICOREAGENT_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379/0', prefix: `omniserve-test:${unique()}` }),
  },
  {
    name: 'mongodb',
    skip: env['OMNICOREAGENT_TEST_MONGODB_URI'] ? null : 'no MongoDB server on this machine; set OMNICOREAGENT_TEST_MONGODB_URI to run',
    config: () => ({
      backend: 'mongodb',
      uri: env['OMNICOREAGENT_TEST_MONGODB_URI'] ?? 'mongodb://127.0.0.1:27017',
      database: 'omniserve_test',
      collectionPrefix: unique(),
    }),
  },
];
