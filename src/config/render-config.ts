import { SERVE_ENV_VARS, shownDefault, type EnvVarDefault, type ServeConfigField } from './env-vars.ts';
import { LLM_ENVIRONMENT_VARIABLES } from './llm-environment.ts';
import {
  DEFAULT_MONGO_COLLECTION_PREFIX,
  DEFAULT_REDIS_PREFIX,
  DEFAULT_SQL_URL,
  DEFAULT_TASK_STORE_CONNECT_TIMEOUT_SECONDS,
  resolveTaskStoreConfig,
} from './task-store-config.ts';
import { maskToken, maskUrlSecrets } from './mask-secrets.ts';
import type { OmniServeConfig } from './serve-config.ts';
import { TASK_STORE_FIELDS } from './serve-config-rules.ts';
import { resolveWorkspaceConfig, type RemoteWorkspaceConfig } from './workspace-config.ts';
import { readWorkspaceEnvironment, WORKSPACE_ENVIRONMENT_VARIABLES, type WorkspaceEnvironment } from './workspace-environment.ts';

export { maskToken } from './mask-secrets.ts';

/**
 * The text of `omniserve config --env-example`: a shell snippet a user copies from. Only the LLM key is active;
 * everything else is commented out, so pasting the whole snippet changes nothing but the key.
 */
export function renderEnvExample(): string {
  const lines = [
    '# OmniServe environment configuration',
    '# Copy what you need into your shell profile or .env file. Environment variables override options set in code.',
    '',
    '# LLM provider key (required)',
    'export LLM_API_KEY=your_api_key_here',
    ...LLM_ENVIRONMENT_VARIABLES.filter(({ name }) => name !== 'LLM_API_KEY').flatMap(({ name, meaning }) => [
      `# ${meaning}`,
      `# export ${name}=${LLM_EXAMPLES[name] ?? ''}`,
    ]),
    '',
    '# Server',
    '# export OMNICOREAGENT_SERVE_HOST=0.0.0.0',
    '# export OMNICOREAGENT_SERVE_PORT=8000',
    '',
    '# Authentication (clients send "Authorization: Bearer <token>")',
    '# export OMNICOREAGENT_SERVE_AUTH_ENABLED=true',
    '# export OMNICOREAGENT_SERVE_AUTH_TOKEN=change-me-to-a-long-random-secret',
    '',
    '# Rate limiting (per client, fixed window)',
    '# export OMNICOREAGENT_SERVE_RATE_LIMIT_ENABLED=true',
    '# export OMNICOREAGENT_SERVE_RATE_LIMIT_REQUESTS=100',
    '# export OMNICOREAGENT_SERVE_RATE_LIMIT_WINDOW=60',
    '',
    '# Background task store. Choose one backend; the default, in_memory, loses tasks on restart.',
    '# SQL (SQLite, PostgreSQL or MySQL):',
    '# export OMNICOREAGENT_BACKGROUND_TASK_STORE=sql',
    '# export OMNICOREAGENT_BACKGROUND_TASK_STORE_URL=sqlite:///.omnicoreagent/background.db',
    '# Redis:',
    '# export OMNICOREAGENT_BACKGROUND_TASK_STORE=redis',
    '# export OMNICOREAGENT_BACKGROUND_TASK_STORE_URL=redis://localhost:6379/0',
    '# MongoDB:',
    '# export OMNICOREAGENT_BACKGROUND_TASK_STORE=mongodb',
    '# export OMNICOREAGENT_BACKGROUND_TASK_STORE_URI=mongodb://localhost:27017',
    '# export OMNICOREAGENT_BACKGROUND_TASK_STORE_DATABASE=omnicoreagent',
    '',
    '# Run workspaces in a bucket instead of a local directory: s3 (AWS S3 or an S3-compatible server) or r2.',
    '# export OMNICOREAGENT_WORKSPACE_BACKEND=s3',
    ...WORKSPACE_ENVIRONMENT_VARIABLES.flatMap(({ name, meaning }) => [`# ${meaning}`, `# export ${name}=${WORKSPACE_EXAMPLES[name] ?? ''}`]),
    '',
    '# Every OmniServe setting, shown with its default:',
  ];
  for (const spec of SERVE_ENV_VARS) {
    lines.push('', `# ${spec.description}`, `# export ${spec.name}=${defaultText(shownDefault(spec))}`);
  }
  return `${lines.join('\n')}\n`;
}

const LLM_EXAMPLES: Readonly<Record<string, string>> = { LLM_BASE_URL: 'http://localhost:11434/v1' };
const WORKSPACE_EXAMPLES: Readonly<Record<string, string>> = {
  AWS_S3_BUCKET: 'my-bucket',
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL: 'http://localhost:9000',
  R2_BUCKET_NAME: 'my-bucket',
};

function defaultText(value: EnvVarDefault): string {
  if (value === null) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value.join(',');
}

/**
 * The text of `omniserve config --show`: one `  key: value` line per setting, in field order, secrets masked. The
 * task store and workspace lines show what the server will use, resolved from this same config exactly as the server
 * resolves it (a URL alone selects sql, defaults filled in); a setting the chosen backend ignores is shown only when
 * it was set, saying so. A remote workspace adds its bucket, region, endpoint and credentials after its prefix.
 */
export function renderConfigShow(config: OmniServeConfig, workspaceEnv: WorkspaceEnvironment = readWorkspaceEnvironment()): string {
  const resolved = new Map<ServeConfigField, readonly string[]>([...taskStoreLines(config), ...workspaceLines(config, workspaceEnv)]);
  const lines = ['Current OmniServe Configuration:', '-'.repeat(40)];
  for (const { field } of SERVE_ENV_VARS) {
    const shown = resolved.get(field) ?? [line(field, field === 'authToken' ? maskToken(config.authToken) : showValue(config[field]))];
    lines.push(...shown);
  }
  return `${lines.join('\n')}\n`;
}

type Lines = readonly [ServeConfigField, readonly string[]];

const STORE_URL = 'OMNICOREAGENT_BACKGROUND_TASK_STORE_URL';
const STORE_URI = 'OMNICOREAGENT_BACKGROUND_TASK_STORE_URI';

function taskStoreLines(config: OmniServeConfig): Lines[] {
  const store = resolveTaskStoreConfig(config);
  const { backend } = store;
  const chosen = typeof config.backgroundTaskStore === 'string' ? config.backgroundTaskStore : backend;
  const impliedBy = chosen === backend ? '' : ` (selected by ${backend === 'mongodb' ? STORE_URI : STORE_URL})`;
  const used: Partial<Record<ServeConfigField, string>> = { backgroundTaskStore: `${backend}${impliedBy}` };
  if (store.backend === 'sql') {
    used.backgroundTaskStoreUrl = orDefault(store.url, DEFAULT_SQL_URL);
    used.backgroundTaskStorePrefix = orDefault(store.prefix, '');
  } else if (store.backend === 'redis') {
    used.backgroundTaskStoreUrl = showValue(store.url);
    used.backgroundTaskStorePrefix = orDefault(store.prefix, DEFAULT_REDIS_PREFIX);
  } else if (store.backend === 'mongodb') {
    used.backgroundTaskStoreUri = showValue(store.uri);
    used.backgroundTaskStoreDatabase = showValue(store.database);
    used.backgroundTaskStoreCollectionPrefix = orDefault(store.collectionPrefix, DEFAULT_MONGO_COLLECTION_PREFIX);
  }
  if (store.backend !== 'in_memory') {
    used.backgroundTaskStoreConnectTimeout = orDefault(store.connectTimeout, DEFAULT_TASK_STORE_CONNECT_TIMEOUT_SECONDS);
  }
  return TASK_STORE_FIELDS.map((field) => [field, usedOrIgnored(config, field, used[field], `the ${backend} task store`)]);
}

function workspaceLines(config: OmniServeConfig, env: WorkspaceEnvironment): Lines[] {
  const workspace = resolveWorkspaceConfig(config, env);
  const what = `the ${workspace.backend} workspace`;
  const backend: Lines = ['workspaceBackend', [line('workspaceBackend', workspace.backend)]];
  if (workspace.backend === 'local') {
    return [
      backend,
      ['workspaceDir', [line('workspaceDir', showValue(workspace.directory))]],
      ['workspacePrefix', usedOrIgnored(config, 'workspacePrefix', undefined, what)],
    ];
  }
  return [
    backend,
    ['workspaceDir', usedOrIgnored(config, 'workspaceDir', undefined, what)],
    ['workspacePrefix', [line('workspacePrefix', showValue(workspace.prefix)), ...bucketLines(workspace)]],
  ];
}

/** Where the bucket is and which keys reach it; the keys masked like every other secret. */
function bucketLines(workspace: RemoteWorkspaceConfig): string[] {
  const { credentials, variables } = workspace;
  const [keyIdVar = 'access key id', secretVar = 'secret access key'] = variables.credentials;
  const keys = credentials === null
    ? 'the AWS SDK default credential chain'
    : [
        `${keyIdVar}=${maskToken(credentials.accessKeyId)}`,
        `${secretVar}=${maskToken(credentials.secretAccessKey)}`,
        ...(credentials.sessionToken === undefined ? [] : [`AWS_SESSION_TOKEN=${maskToken(credentials.sessionToken)}`]),
      ].join(', ');
  return [
    `  workspace_bucket: ${workspace.bucket}`,
    `  workspace_region: ${workspace.region}`,
    `  workspace_endpoint: ${workspace.endpoint === null ? 'AWS S3' : maskUrlSecrets(workspace.endpoint)}`,
    `  workspace_credentials: ${keys}`,
  ];
}

/**
 * The line of a setting the chosen backend uses, or, for one it ignores, a line only when the setting differs from
 * its default (someone set it, and should know it has no effect).
 */
function usedOrIgnored(config: OmniServeConfig, field: ServeConfigField, used: string | undefined, what: string): string[] {
  if (used !== undefined) return [line(field, used)];
  const value = config[field];
  const fallback = SERVE_ENV_VARS.find((spec) => spec.field === field)?.default ?? null;
  if (value === null || value === fallback) return [];
  return [line(field, `${showValue(value)} (not used by ${what})`)];
}

function orDefault(value: string | number | undefined, fallback: string | number): string {
  return value === undefined ? `${showValue(fallback)} (default)` : showValue(value);
}

function line(field: ServeConfigField, shown: string): string {
  return `  ${snakeCase(field)}: ${shown}`;
}

function showValue(value: unknown): string {
  if (typeof value === 'string') return value === '' ? '""' : maskUrlSecrets(value);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'string' ? maskUrlSecrets(inner) : inner));
  }
  return JSON.stringify(value) ?? String(value);
}

function snakeCase(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
