import type { OmniServeConfig } from '../config/serve-config.ts';
import { resolveTaskStoreConfig } from '../config/task-store-config.ts';

export interface BannerInput {
  readonly agentName: string;
  readonly config: OmniServeConfig;
  readonly sampleCurl?: boolean;
}

/** The start-up banner; its wording is for people, scripts should read `/ready`. */
export function renderBanner({ agentName, config, sampleCurl }: BannerInput): string {
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const base = `http://${shownHost}:${config.port}`;
  const api = base + config.apiPrefix;
  const lines = [
    '',
    `OmniServe is serving agent "${agentName}"`,
    `  Server:      ${api}`,
    config.enableDocs ? `  API docs:    ${base}/docs` : '  API docs:    disabled',
    `  Prometheus:  ${base}/prometheus`,
    `  Auth:        ${config.authEnabled ? 'enabled (Bearer token)' : 'disabled'}`,
    `  Rate limit:  ${config.rateLimitEnabled ? `${config.rateLimitRequests} requests per ${config.rateLimitWindow} s` : 'disabled'}`,
    `  CORS:        ${config.corsEnabled ? config.corsOrigins.join(', ') : 'disabled'}`,
    `  Background:  ${config.backgroundEnabled ? `enabled (store: ${resolveTaskStoreConfig(config).backend})` : 'disabled'}`,
  ];
  if (sampleCurl) {
    lines.push('', 'Try it:', `  curl -X POST ${api}/run/sync -H "Content-Type: application/json" -d '{"query": "Hello!"}'`);
  }
  return lines.join('\n') + '\n\n';
}
