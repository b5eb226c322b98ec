import { z } from 'zod';
import type { Workspace } from '../workspace/workspace.ts';
import { WorkspaceFileNotFoundError, WorkspaceIsDirectoryError } from '../workspace/workspace-errors.ts';
import { relativeToAdvertisedRoot } from '../workspace/advertised-path.ts';
import { ScopedWorkspace } from '../workspace/scoped-workspace.ts';
import { normalizeWorkspacePath } from '../workspace/workspace-path.ts';
import type { RunRecorder } from './run-recorder.ts';
import { ToolRegistry, type RegisteredTool } from './tool-registry.ts';

export const WORKSPACE_TOOL_NAMES = ['workspace_read_file', 'workspace_write_file', 'workspace_list_files', 'workspace_delete_file'] as const;

/**
 * Files the server itself keeps at the root of a background run's workspace (see `RunWorkspaceLog`): the run's
 * snapshot and its lifecycle log. The run listing and `/events` read them back, so the model may read but not change them.
 */
export const SERVER_OWNED_FILES: readonly string[] = ['run.json', 'events.jsonl'];

/**
 * Most bytes of a file one `workspace_read_file` call returns: a whole file in the model's context could crowd out
 * the conversation, or exceed the context window and fail the run. Larger files are read in parts, by offset.
 */
export const WORKSPACE_READ_LIMIT_BYTES = 256 * 1024;

/** Largest content `workspace_write_file` takes, so a runaway generation cannot fill the workspace in one call. */
export const WORKSPACE_WRITE_LIMIT_BYTES = 5 * 1024 * 1024;

const PATH_HELP = 'File path relative to the workspace root, such as output.md or notes/a.md';

const ACTOR = { type: 'workspace', id: null, name: 'workspace' } as const;

/**
 * The built-in tools over a run's workspace (already confined to the run's directory). Paths are relative to the
 * workspace root; a background run's query also gives the root in absolute form (`workspace_path: /workspace/...`),
 * and a model that copies it in front of a path means the same file, so that form is accepted too. A path that
 * would leave the workspace throws, which the tool set turns into an error text for the model, like any failing
 * tool. Each successful call is recorded as a `workspace_read`, `workspace_write` or `workspace_delete` event.
 */
export function workspaceTools(workspace: Workspace, recorder: RunRecorder): readonly RegisteredTool[] {
  const relative = (path: string): string => (workspace instanceof ScopedWorkspace ? relativeToAdvertisedRoot(path, workspace.directory) : path);
  const timed = async <T>(body: () => Promise<T>): Promise<{ value: T; durationMs: number }> => {
    const started = performance.now();
    const value = await body();
    return { value, durationMs: Math.round((performance.now() - started) * 1000) / 1000 };
  };
  return new ToolRegistry()
    .register({
      name: 'workspace_read_file',
      description:
        "Read a text file from this run's workspace. The path is relative to the workspace root, e.g. output.md or notes/a.txt. " +
        `A file over ${WORKSPACE_READ_LIMIT_BYTES / 1024} KiB comes back in parts: the answer then holds content, total_bytes ` +
        'and next_offset; call again with that offset for the next part.',
      inputSchema: z.object({
        path: z.string().describe(PATH_HELP),
        offset: z.number().int().min(0).optional().describe('Byte offset to start reading at; 0 when omitted'),
        length: z.number().int().min(1).optional().describe(`Most bytes to return; at most ${WORKSPACE_READ_LIMIT_BYTES}`),
      }),
      execute: async ({ path: given, offset, length }) => {
        const path = relative(given);
        const { value: content, durationMs } = await timed(() => workspace.readFile(path));
        if (content === null) throw new Error(`there is no file at ${JSON.stringify(path)}; workspace_list_files shows what exists`);
        const part = readPart(path, content, offset ?? 0, length);
        const output = part === null ? { bytes: Buffer.byteLength(content) } : { bytes: part.bytes, total_bytes: part.total_bytes };
        const input = { operation: 'read', path, ...(offset === undefined ? {} : { offset }), ...(length === undefined ? {} : { length }) };
        recorder.record('workspace_read', { actor: ACTOR, input, output, durationMs });
        return part ?? content;
      },
    })
    .register({
      name: 'workspace_write_file',
      description:
        "Create or replace a text file in this run's workspace; the path is relative to the workspace root (output.md, not " +
        '/workspace/.../output.md) and missing directories are created. The workspace outlives the run, ' +
        `so put results there (for example output.md). At most ${WORKSPACE_WRITE_LIMIT_BYTES / 1024 / 1024} MiB per file.`,
      inputSchema: z.object({
        path: z.string().describe(PATH_HELP),
        content: z.string().describe('The whole new content of the file'),
      }),
      execute: async ({ path: given, content }) => {
        const path = relative(given);
        refuseServerFile(path, 'written');
        const bytes = Buffer.byteLength(content);
        if (bytes > WORKSPACE_WRITE_LIMIT_BYTES) {
          throw new Error(
            `content is ${bytes} bytes; workspace_write_file writes at most ${WORKSPACE_WRITE_LIMIT_BYTES} bytes ` +
              `(${WORKSPACE_WRITE_LIMIT_BYTES / 1024 / 1024} MiB) per file: split it into several files`,
          );
        }
        const { durationMs } = await timed(() => workspace.writeFile(path, content));
        recorder.record('workspace_write', { actor: ACTOR, input: { operation: 'write', path, bytes }, durationMs });
        return { path: normalizeWorkspacePath(path), bytes_written: bytes };
      },
    })
    .register({
      name: 'workspace_list_files',
      description: "List the files and directories in this run's workspace, recursively; give a directory to list only what is under it.",
      inputSchema: z.object({ directory: z.string().optional().describe('Directory relative to the workspace root; the root when omitted') }),
      execute: async ({ directory: given }) => {
        const directory = given === undefined ? undefined : relative(given);
        const { value: entries, durationMs } = await timed(() => workspace.list(directory ?? ''));
        recorder.record('workspace_read', { actor: ACTOR, input: { operation: 'list', directory: directory ?? '' }, output: { entries: entries.length }, durationMs });
        return { directory: directory ?? '', files: entries.map(({ path, is_dir, modified_at }) => ({ path, is_dir, modified_at })) };
      },
    })
    .register({
      name: 'workspace_delete_file',
      description:
        "Delete one file from this run's workspace, by its path relative to the workspace root. Directories are not deleted: " +
        'delete the files in them one by one.',
      inputSchema: z.object({ path: z.string().describe(PATH_HELP) }),
      execute: async ({ path: given }) => {
        const path = relative(given);
        refuseServerFile(path, 'deleted');
        const normalized = normalizeWorkspacePath(path);
        try {
          const { durationMs } = await timed(() => workspace.remove(path));
          recorder.record('workspace_delete', { actor: ACTOR, input: { operation: 'delete', path }, durationMs });
          return { path: normalized, deleted: true };
        } catch (error) {
          // Nothing to delete is an answer, not a failure: the model asked for the file to be gone, and it is.
          if (error instanceof WorkspaceFileNotFoundError) return { path: normalized, deleted: false, reason: `there is no file at ${JSON.stringify(normalized)}` };
          if (error instanceof WorkspaceIsDirectoryError) {
            throw new Error(
              `${JSON.stringify(normalized)} is a directory; workspace_delete_file deletes one file at a time: ` +
                'list it with workspace_list_files and delete its files',
            );
          }
          throw error;
        }
      },
    })
    .list();
}

/** One part of a file, when the call asks for less than the whole or the whole is over the limit. */
interface FilePart {
  readonly path: string;
  readonly offset: number;
  readonly bytes: number;
  readonly total_bytes: number;
  readonly next_offset: number | null;
  readonly content: string;
  readonly note: string;
}

/**
 * The part of `content` that a read with `offset` and `length` returns, or null for the whole file. The bounds move
 * to whole UTF-8 characters (the start forward, the end back), so a part never holds half a character.
 */
function readPart(path: string, content: string, offset: number, length: number | undefined): FilePart | null {
  const data = Buffer.from(content, 'utf8');
  const total = data.length;
  const want = Math.min(length ?? WORKSPACE_READ_LIMIT_BYTES, WORKSPACE_READ_LIMIT_BYTES);
  if (offset === 0 && total <= want) return null;
  if (offset >= total) {
    throw new Error(`offset ${offset} is at or past the end of ${JSON.stringify(path)}, which has ${total} bytes`);
  }
  let start = offset;
  while (start < total && isContinuationByte(data[start])) start += 1;
  let end = Math.min(start + want, total);
  while (end > start && end < total && isContinuationByte(data[end])) end -= 1;
  const next = end < total ? end : null;
  const range = `Bytes ${start}-${end - 1} of ${total}`;
  return {
    path: normalizeWorkspacePath(path),
    offset: start,
    bytes: end - start,
    total_bytes: total,
    next_offset: next,
    content: data.subarray(start, end).toString('utf8'),
    note: next === null ? `${range}: the end of the file.` : `${range}. Call workspace_read_file with offset ${next} for the rest.`,
  };
}

function isContinuationByte(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

function refuseServerFile(path: string, verb: string): void {
  // Normalizing first also refuses unsafe paths here, before the server's own file names are compared.
  const normalized = normalizeWorkspacePath(path);
  if (SERVER_OWNED_FILES.includes(normalized)) {
    throw new Error(`${normalized} is kept by the server (the run's record) and cannot be ${verb} by the agent; use another file name`);
  }
}
