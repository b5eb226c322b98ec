/**
 * Several real `omniserve` processes on one SQL store (issue 6), on each SQL test backend: the shared scenarios of
 * test/support/multi-process-scenarios.ts, and a start-up that cannot reach its database.
 */
import { describe, expect, it } from 'vitest';
import type { TaskStoreConfig } from '../../src/config/task-store-config.ts';
import { freePort, runCli } from '../e2e/spawn-cli.ts';
import { describeMultiProcessScenarios, RECORDING_AGENT } from '../support/multi-process-scenarios.ts';

const sqlEnv = (config: TaskStoreConfig): Record<string, string> => {
  if (config.backend !== 'sql' || config.url === undefined) throw new Error('an SQL test backend has a URL');
  return {
    OMNICOREAGENT_BACKGROUND_TASK_STORE_URL: config.url,
    ...(config.prefix === undefined ? {} : { OMNICOREAGENT_BACKGROUND_TASK_STORE_PREFIX: config.prefix }),
  };
};

for (const backend of ['sqlite', 'postgres', 'mysql']) describeMultiProcessScenarios(backend, sqlEnv);

describe('a store that cannot be reached', () => {
  it('fails start-up with the variable and the host, never the password, and exit code 1', async () => {
    const port = await freePort();
    const result = await runCli(['run', '--agent', RECORDING_AGENT, '--port', String(port), '--host', '127.0.0.1'], {
      env: {
        OMNICOREAGENT_BACKGROUND_TASK_STORE_URL: 'postgres://app:s3cretpw@127.0.0.1:1/db',
        OMNICOREAGENT_BACKGROUND_TASK_STORE_CONNECT_TIMEOUT: '2',
      },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: OMNICOREAGENT_BACKGROUND_TASK_STORE_URL: cannot connect to .*127\.0\.0\.1:1/m);
    expect(result.stderr + result.stdout).not.toContain('s3cretpw');
  });
});
