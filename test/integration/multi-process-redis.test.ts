/**
 * Several real `omniserve` processes on one Redis store (issue 6): the shared scenarios of
 * test/support/multi-process-scenarios.ts.
 */
import { describeMultiProcessScenarios } from '../support/multi-process-scenarios.ts';

describeMultiProcessScenarios('redis', (config) => {
  if (config.backend !== 'redis' || config.prefix === undefined) throw new Error('the redis test backend has a URL and a prefix');
  return {
    OMNICOREAGENT_BACKGROUND_TASK_STORE: 'redis',
    OMNICOREAGENT_BACKGROUND_TASK_STORE_URL: config.url,
    OMNICOREAGENT_BACKGROUND_TASK_STORE_PREFIX: config.prefix,
  };
});
