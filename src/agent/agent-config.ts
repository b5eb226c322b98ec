import { ConfigError } from '../core/errors.ts';

export interface AgentConfig {
  /** Model calls (steps) one run may make; tool round trips count. Default 15. */
  readonly maxSteps?: number;
  /** A tool call that takes longer answers the model with a timeout error. Default 30. */
  readonly toolCallTimeoutSeconds?: number;
  /** Model requests one run may make; 0 = no limit beyond maxSteps. Default 0. */
  readonly requestLimit?: number;
  /** Tokens (in + out) one run may use before it stops calling the model; 0 = no limit. Default 0. */
  readonly totalTokensLimit?: number;
  /**
   * Offer the model `workspace_read_file`, `workspace_write_file`, `workspace_list_files` and `workspace_delete_file`
   * on runs that have a workspace (background runs). Default true.
   */
  readonly workspaceTools?: boolean;
}

export type ResolvedAgentConfig = Required<AgentConfig>;

const DEFAULTS: ResolvedAgentConfig = { maxSteps: 15, toolCallTimeoutSeconds: 30, requestLimit: 0, totalTokensLimit: 0, workspaceTools: true };

export function resolveAgentConfig(input: AgentConfig | undefined): ResolvedAgentConfig {
  const merged = { ...DEFAULTS, ...stripUndefined(input ?? {}) };
  const problems: string[] = [];
  const known = new Set(Object.keys(DEFAULTS));
  for (const key of Object.keys(input ?? {})) {
    if (!known.has(key)) problems.push(`agentConfig.${key} is not an option; allowed: ${[...known].join(', ')}`);
  }
  const check = (key: keyof ResolvedAgentConfig, min: number, integer: boolean) => {
    const value = merged[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
      problems.push(`agentConfig.${key} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(value)}`);
    }
  };
  check('maxSteps', 1, true);
  check('toolCallTimeoutSeconds', 0.001, false);
  check('requestLimit', 0, true);
  check('totalTokensLimit', 0, true);
  if (typeof merged.workspaceTools !== 'boolean') {
    problems.push(`agentConfig.workspaceTools must be true or false, got ${JSON.stringify(merged.workspaceTools)}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(merged);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
