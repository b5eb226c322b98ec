import { describe, expect, it } from 'vitest';
import { routeMetricName } from './route-metric-name.ts';

describe('routeMetricName', () => {
  it.each([
    ['/run/sync', 'run_sync'],
    ['/api/v1/run/sync', 'api_v1_run_sync'],
    ['/sessions/:session_id/history', 'sessions_session_id_history'],
    ['/sessions/{session_id}/history', 'sessions_session_id_history'],
    ['/docs/static/*', 'docs_static'],
    ['/', 'root'],
    ['*', 'unmatched'],
    [undefined, 'unmatched'],
  ])('%s -> %s', (template, name) => {
    expect(routeMetricName(template)).toBe(name);
  });
});
