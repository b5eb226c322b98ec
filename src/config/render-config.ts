import { SERVE_ENV_VARS, type EnvVarDefault } from './env-vars.ts';
import { LLM_ENVIRONMENT_VARIABLES } from './llm-environment.ts';
import { WORKSPACE_ENVIRONMENT_VARIABLES } from './workspace-environment.ts';
import type { OmniServeConfig } from './serve-config.ts';

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
    lines.push('', `# ${spec.description}`, `# export ${spec.name}=${defaultText(spec.default)}`);
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

/** The text of `omniserve config --show`: one `  key: value` line per field, secrets masked. */
export function renderConfigShow(config: OmniServeConfig): string {
  const lines = ['Current OmniServe Configuration:', '-'.repeat(40)];
  for (const { field } of SERVE_ENV_VARS) {
    const value: unknown = config[field];
    const shown = field === 'authToken' ? maskToken(config.authToken) : showValue(value);
    lines.push(`  ${snakeCase(field)}: ${shown}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Long tokens keep their ends so a user can tell which one is configured; short ones would leak too much. */
export function maskToken(token: string | null): string {
  if (token === null) return 'null';
  return token.length > 8 ? `${token.slice(0, 4)}****${token.slice(-4)}` : '****';
}

function showValue(value: unknown): string {
  if (typeof value === 'string') return value === '' ? '""' : maskUrlPassword(value);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return JSON.stringify(value, (_key, inner: unknown) =>
      typeof inner === 'string' ? maskUrlPassword(inner) : inner,
    );
  }
  return JSON.stringify(value) ?? String(value);
}

/** Store URLs often carry a password (`redis://:secret@host`); the rest of the URL is what a reader needs. */
function maskUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#:@]*):[^/?#@]+@/i, '$1:****@');
}

function snakeCase(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
