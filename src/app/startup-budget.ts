import { DEFAULT_TASK_STORE_CONNECT_TIMEOUT_SECONDS, type TaskStoreConfig } from '../config/task-store-config.ts';
import { maskUrlSecrets } from '../config/mask-secrets.ts';
import type { RemoteWorkspaceConfig } from '../config/workspace-config.ts';
import { WORKSPACE_CHECK_TIMEOUT_SECONDS } from './startup-workspace.ts';

/** What start-up will wait for, in order; each step has its own timeout and its own message. */
export interface StartupPlan {
  readonly store: TaskStoreConfig;
  /** The bucket checked at start-up; null for a local workspace, or one the embedder supplied. */
  readonly workspace: RemoteWorkspaceConfig | null;
}

/** An OmniCoreAgent gives each MCP server this long to connect (McpConnectionManager's default). */
const MCP_CONNECT_SECONDS = 10;
/**
 * For the steps with no timeout of their own: creating tables or indexes once connected, registering the agent, a
 * light agent's warm-up. Generous, since reaching it means start-up ends with a less precise message.
 */
const UNTIMED_STEPS_SECONDS = 30;
/** Node fires a longer setTimeout at once, which would turn a huge connect timeout into an instant failure. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * How long Fastify may wait for start-up (its `pluginTimeout`, which bounds the `onReady` hook that runs it). It
 * must outlast every timeout of our own, or a slow store or bucket ends with Fastify's "onReady hook timed out"
 * instead of the message that names the variable and the host. The store's timeout counts twice: once to connect,
 * once more for the fresh connections that create the tables or indexes.
 */
export function startupTimeoutMs(plan: StartupPlan): number {
  const store = plan.store.backend === 'in_memory' ? 0 : 2 * (plan.store.connectTimeout ?? DEFAULT_TASK_STORE_CONNECT_TIMEOUT_SECONDS);
  const workspace = plan.workspace === null ? 0 : WORKSPACE_CHECK_TIMEOUT_SECONDS;
  const seconds = store + workspace + MCP_CONNECT_SECONDS + UNTIMED_STEPS_SECONDS;
  return Math.min(Math.ceil(seconds * 1000), MAX_TIMER_MS);
}

/** The step start-up is in, as the message of a start-up that ran out of time shows it; never a password or key. */
export function describeStoreStep(store: TaskStoreConfig): string {
  switch (store.backend) {
    case 'in_memory':
      return 'preparing the in-memory stores';
    case 'sql':
      return store.url === undefined
        ? 'opening the default SQLite task store (OMNICOREAGENT_BACKGROUND_TASK_STORE=sql)'
        : `opening the SQL task store at ${maskUrlSecrets(store.url)} (OMNICOREAGENT_BACKGROUND_TASK_STORE_URL)`;
    case 'redis':
      return `opening the Redis task store at ${maskUrlSecrets(store.url)} (OMNICOREAGENT_BACKGROUND_TASK_STORE_URL)`;
    case 'mongodb':
      return `opening the MongoDB task store at ${maskUrlSecrets(store.uri)} (OMNICOREAGENT_BACKGROUND_TASK_STORE_URI)`;
  }
}

export function describeWorkspaceStep(workspace: RemoteWorkspaceConfig): string {
  const at = workspace.endpoint === null ? `AWS S3 (region ${workspace.region})` : maskUrlSecrets(workspace.endpoint);
  return `checking the bucket "${workspace.bucket}" at ${at} (${workspace.variables.bucket})`;
}

/**
 * Replaces Fastify's generic hook timeout, which names no setting, with the step start-up was still in. Other
 * errors are returned as they are.
 */
export function explainStartupTimeout(error: unknown, step: string, timeoutMs: number): unknown {
  if ((error as { code?: unknown } | null)?.code !== 'FST_ERR_HOOK_TIMEOUT') return error;
  return new Error(`Start-up did not finish within ${timeoutMs / 1000} seconds: it was still ${step}`, { cause: error });
}
