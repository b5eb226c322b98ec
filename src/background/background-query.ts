import { advertisedWorkspacePath } from '../workspace/advertised-path.ts';
import type { BackgroundRun } from './run-record.ts';

/**
 * The query a background run sends its agent (spec 6.3): the run's context, then the task's query. The spec fixes
 * the `workspace_path: /workspace/<path>` line; the workspace tools take paths relative to that root, which the
 * advice says, since a model told only the absolute form writes to it.
 */
export function backgroundQuery(run: BackgroundRun): string {
  return [
    'You are running as a background task: nobody is waiting on this conversation, so do not ask questions.',
    `run_id: ${run.run_id}`,
    `task_id: ${run.task_id}`,
    `workspace_path: ${advertisedWorkspacePath(run.workspace_path)}`,
    'Put the durable result of this run in output.md in that workspace; the workspace tools take paths relative to that workspace, ' +
      'so write it as output.md.',
    '',
    run.query_snapshot,
  ].join('\n');
}

/** The first 1000 characters of the agent's answer (spec 6.1 `result_preview`). */
export function resultPreview(result: unknown): string {
  let text: string;
  if (typeof result === 'string') text = result;
  else if (result !== null && typeof result === 'object' && 'response' in result) text = String((result as { response: unknown }).response ?? '');
  else text = result === undefined ? '' : typeof result === 'object' ? JSON.stringify(result) : String(result);
  return text.slice(0, 1000);
}
