import { z } from 'zod';
import type { Workspace } from '../workspace/workspace.ts';
import { normalizeWorkspacePath } from '../workspace/workspace-path.ts';
import type { RunRecorder } from './run-recorder.ts';
import { ToolRegistry, type RegisteredTool } from './tool-registry.ts';

export const WORKSPACE_TOOL_NAMES = ['workspace_read_file', 'workspace_write_file', 'workspace_list_files', 'workspace_delete_file'] as const;

/**
 * Files the server itself keeps at the root of a background run's workspace (see `RunWorkspaceLog`): the run's
 * snapshot and its lifecycle log. The run listing and `/events` read them back, so the model may read but not change them.
 */
export const SERVER_OWNED_FILES: readonly string[] = ['run.json', 'events.jsonl'];

const ACTOR = { type: 'workspace', id: null, name: 'workspace' } as const;

/**
 * The built-in tools over a run's workspace (already confined to the run's directory). A path that would leave it
 * throws, which the tool set turns into an error text for the model, like any failing tool. Each successful call
 * is recorded as a `workspace_read`, `workspace_write` or `workspace_delete` event of the run.
 */
export function workspaceTools(workspace: Workspace, recorder: RunRecorder): readonly RegisteredTool[] {
  const timed = async <T>(body: () => Promise<T>): Promise<{ value: T; durationMs: number }> => {
    const started = performance.now();
    const value = await body();
    return { value, durationMs: Math.round((performance.now() - started) * 1000) / 1000 };
  };
  return new ToolRegistry()
    .register({
      name: 'workspace_read_file',
      description: "Read a text file from this run's workspace. The path is relative to the workspace root, e.g. output.md or notes/a.txt.",
      inputSchema: z.object({ path: z.string().describe('File path relative to the workspace root') }),
      execute: async ({ path }) => {
        const { value: content, durationMs } = await timed(() => workspace.readFile(path));
        if (content === null) throw new Error(`there is no file at ${JSON.stringify(path)}; workspace_list_files shows what exists`);
        recorder.record('workspace_read', { actor: ACTOR, input: { operation: 'read', path }, output: { bytes: Buffer.byteLength(content) }, durationMs });
        return content;
      },
    })
    .register({
      name: 'workspace_write_file',
      description:
        "Create or replace a text file in this run's workspace; missing directories are created. The workspace outlives the run, " +
        'so put results there (for example output.md).',
      inputSchema: z.object({
        path: z.string().describe('File path relative to the workspace root'),
        content: z.string().describe('The whole new content of the file'),
      }),
      execute: async ({ path, content }) => {
        refuseServerFile(path, 'written');
        const { durationMs } = await timed(() => workspace.writeFile(path, content));
        const bytes = Buffer.byteLength(content);
        recorder.record('workspace_write', { actor: ACTOR, input: { operation: 'write', path, bytes }, durationMs });
        return { path: normalizeWorkspacePath(path), bytes_written: bytes };
      },
    })
    .register({
      name: 'workspace_list_files',
      description: "List the files and directories in this run's workspace, recursively; give a directory to list only what is under it.",
      inputSchema: z.object({ directory: z.string().optional().describe('Directory relative to the workspace root; the root when omitted') }),
      execute: async ({ directory }) => {
        const { value: entries, durationMs } = await timed(() => workspace.list(directory ?? ''));
        recorder.record('workspace_read', { actor: ACTOR, input: { operation: 'list', directory: directory ?? '' }, output: { entries: entries.length }, durationMs });
        return { directory: directory ?? '', files: entries.map(({ path, is_dir, modified_at }) => ({ path, is_dir, modified_at })) };
      },
    })
    .register({
      name: 'workspace_delete_file',
      description: "Delete a file, or a directory with everything in it, from this run's workspace.",
      inputSchema: z.object({ path: z.string().describe('File or directory path relative to the workspace root') }),
      execute: async ({ path }) => {
        refuseServerFile(path, 'deleted');
        const { durationMs } = await timed(() => workspace.remove(path));
        recorder.record('workspace_delete', { actor: ACTOR, input: { operation: 'delete', path }, durationMs });
        return { path: normalizeWorkspacePath(path), deleted: true };
      },
    })
    .list();
}

function refuseServerFile(path: string, verb: string): void {
  // Normalizing first also refuses unsafe paths here, before the server's own file names are compared.
  const normalized = normalizeWorkspacePath(path);
  if (SERVER_OWNED_FILES.includes(normalized)) {
    throw new Error(`${normalized} is kept by the server (the run's record) and cannot be ${verb} by the agent; use another file name`);
  }
}
