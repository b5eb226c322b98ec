import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { TelemetryEvent } from '../telemetry/telemetry-event.ts';
import { ScriptedOpenAIServer } from '../testing/scripted-openai-server.ts';
import { LocalWorkspace } from '../workspace/local-workspace.ts';
import { ScopedWorkspace } from '../workspace/scoped-workspace.ts';
import { OmniCoreAgent, type OmniCoreAgentOptions } from './omni-core-agent.ts';
import { ToolRegistry } from './tool-registry.ts';
import { RunRecorder } from './run-recorder.ts';
import { WORKSPACE_READ_LIMIT_BYTES, WORKSPACE_TOOL_NAMES, WORKSPACE_WRITE_LIMIT_BYTES, workspaceTools } from './workspace-tools.ts';

let llm: ScriptedOpenAIServer;
let root: string;
let workspace: ScopedWorkspace;
beforeAll(async () => {
  llm = await ScriptedOpenAIServer.start();
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ws-tools-'));
  workspace = new ScopedWorkspace(new LocalWorkspace(root), 'background/a/t/run_1');
  await workspace.writeFile('run.json', '{"run_id":"run_1"}');
});
afterEach(async () => {
  llm.reset();
  await rm(root, { recursive: true, force: true });
});
afterAll(async () => llm.close());

function agent(options: Partial<OmniCoreAgentOptions> = {}): OmniCoreAgent {
  return new OmniCoreAgent({ name: 'Unit', modelConfig: { provider: 'openai', model: 'm', baseUrl: llm.baseUrl, apiKey: 'k', maxRetries: 0 }, ...options });
}

/** What the agent sent back to the model as each tool's result, in call order. */
function toolResults(requestIndex: number): string[] {
  const messages = (llm.requests[requestIndex]?.body?.messages ?? []) as { role: string; content?: unknown }[];
  return messages.filter((message) => message.role === 'tool').map((message) => String(message.content));
}

function offeredTools(requestIndex: number): string[] {
  const tools = (llm.requests[requestIndex]?.body as { tools?: { function: { name: string } }[] } | undefined)?.tools ?? [];
  return tools.map((tool) => tool.function.name);
}

describe('workspace tools', () => {
  it('are offered on runs with a workspace, and only there', async () => {
    llm.enqueue({ text: 'no workspace' }, { text: 'with workspace' });
    await agent().run('hi', { sessionId: 's1' });
    await agent().run('hi', { sessionId: 's2', workspace });
    expect(offeredTools(0)).toEqual([]);
    expect(offeredTools(1)).toEqual([...WORKSPACE_TOOL_NAMES]);
  });

  it('write, read, list and delete in the run directory, each recorded as a workspace event', async () => {
    llm.enqueue(
      { toolCalls: [{ name: 'workspace_write_file', arguments: { path: 'notes/draft.md', content: 'draft é' } }] },
      { toolCalls: [{ name: 'workspace_read_file', arguments: { path: 'notes/draft.md' } }] },
      { toolCalls: [{ name: 'workspace_list_files', arguments: {} }] },
      { toolCalls: [{ name: 'workspace_delete_file', arguments: { path: 'notes/draft.md' } }] },
      { text: 'done' },
    );
    const events: TelemetryEvent[] = [];
    await agent().run('work', { sessionId: 's', runId: 'run_1', workspace, onEvent: (event) => events.push(event) });
    expect(await readFile(join(root, 'files/background/a/t/run_1/notes/draft.md'), 'utf8').catch(() => 'deleted')).toBe('deleted');
    expect(JSON.parse(toolResults(1)[0] ?? '')).toEqual({ path: 'notes/draft.md', bytes_written: 8 });
    expect(toolResults(2)[1]).toBe('draft é');
    const listed = JSON.parse(toolResults(3)[2] ?? '') as { files: { path: string; is_dir: boolean }[] };
    expect(listed.files.map((file) => [file.path, file.is_dir])).toEqual([['notes', true], ['notes/draft.md', false], ['run.json', false]]);
    expect(JSON.parse(toolResults(4)[3] ?? '')).toEqual({ path: 'notes/draft.md', deleted: true });
    const recorded = events.filter((event) => event.event_type.startsWith('workspace_'));
    expect(recorded.map((event) => [event.event_type, (event.input as { operation: string }).operation])).toEqual([
      ['workspace_write', 'write'],
      ['workspace_read', 'read'],
      ['workspace_read', 'list'],
      ['workspace_delete', 'delete'],
    ]);
    expect(recorded[0]).toMatchObject({ actor: { type: 'workspace' }, input: { path: 'notes/draft.md', bytes: 8 }, metadata: { run_id: 'run_1' } });
  });

  it('answer an escaping path, a missing file and the server files with an error text, and the run goes on', async () => {
    llm.enqueue(
      {
        toolCalls: [
          { name: 'workspace_write_file', arguments: { path: '../run_2/stolen.md', content: 'x' } },
          { name: 'workspace_read_file', arguments: { path: '/etc/passwd' } },
          { name: 'workspace_write_file', arguments: { path: 'run.json', content: '{}' } },
          { name: 'workspace_delete_file', arguments: { path: 'events.jsonl/' } },
          { name: 'workspace_read_file', arguments: { path: 'missing.md' } },
          { name: 'workspace_read_file', arguments: { path: 'run.json' } },
        ],
      },
      { text: 'recovered' },
    );
    const result = await agent().run('try', { sessionId: 's', workspace });
    expect(result.response).toBe('recovered');
    const [escape, absolute, runJson, eventsJsonl, missing, readable] = toolResults(1);
    expect(escape).toMatch(/^Error: Tool "workspace_write_file" failed: workspace path "\.\.\/run_2\/stolen\.md" must not contain/);
    expect(absolute).toContain('must be relative');
    expect(runJson).toContain('run.json is kept by the server');
    expect(eventsJsonl).toContain('events.jsonl is kept by the server');
    expect(missing).toContain('there is no file at "missing.md"');
    expect(readable).toBe('{"run_id":"run_1"}');
    expect(await workspace.readFile('run.json')).toBe('{"run_id":"run_1"}');
    expect(await new LocalWorkspace(root).list('background/a/t')).toMatchObject([{ path: 'run_1' }, { path: 'run_1/run.json' }]);
  });

  it("take the run's advertised workspace_path in front of a path as that relative path, and refuse other absolute paths", async () => {
    const advertised = '/workspace/background/a/t/run_1';
    llm.enqueue(
      { toolCalls: [{ name: 'workspace_write_file', arguments: { path: `${advertised}/output.md`, content: 'result' } }] },
      {
        // Calls of one reply run side by side: none of these may depend on another.
        toolCalls: [
          { name: 'workspace_read_file', arguments: { path: `${advertised}//output.md` } },
          { name: 'workspace_list_files', arguments: { directory: advertised } },
          { name: 'workspace_write_file', arguments: { path: `${advertised}/run.json`, content: '{}' } },
          { name: 'workspace_write_file', arguments: { path: `${advertised}/../run_2/stolen.md`, content: 'x' } },
          { name: 'workspace_write_file', arguments: { path: '/workspace/background/a/t/run_2/stolen.md', content: 'x' } },
          { name: 'workspace_write_file', arguments: { path: '/workspace/output.md', content: 'x' } },
        ],
      },
      { toolCalls: [{ name: 'workspace_delete_file', arguments: { path: `${advertised}/output.md` } }] },
      { text: 'done' },
    );
    const events: TelemetryEvent[] = [];
    await agent().run('work', { sessionId: 's', runId: 'run_1', workspace, onEvent: (event) => events.push(event) });
    const [written, read, listed, serverFile, climbing, sibling, tooShort, deleted] = toolResults(3);
    expect(JSON.parse(written ?? '')).toEqual({ path: 'output.md', bytes_written: 6 });
    expect(read).toBe('result');
    expect((JSON.parse(listed ?? '') as { files: { path: string }[] }).files.map((file) => file.path)).toEqual(['output.md', 'run.json']);
    expect(serverFile).toContain('run.json is kept by the server');
    expect(climbing).toContain('must not contain "." or ".." segments');
    for (const refused of [sibling, tooShort]) {
      expect(refused).toContain(`must be relative to the workspace root (such as output.md or notes/a.md), or start with this run's workspace_path ${advertised}/`);
    }
    expect(JSON.parse(deleted ?? '')).toEqual({ path: 'output.md', deleted: true });
    expect(await new LocalWorkspace(root).list('background/a/t')).toMatchObject([{ path: 'run_1' }, { path: 'run_1/run.json' }]);
    expect(events.find((event) => event.event_type === 'workspace_write')).toMatchObject({ input: { path: 'output.md' } });
  });

  it('describe paths as relative to the workspace root', async () => {
    llm.enqueue({ text: 'ok' });
    await agent().run('hi', { sessionId: 's', workspace });
    const tools = (llm.requests[0]?.body as { tools: { function: { name: string; description: string; parameters: { properties: Record<string, { description?: string }> } } }[] }).tools;
    for (const tool of tools) {
      const { path, directory } = tool.function.parameters.properties;
      expect(`${tool.function.description} ${(path ?? directory)?.description ?? ''}`, tool.function.name).toMatch(/relative to the workspace root/);
    }
  });

  it('give way to a local tool of the same name, and can be switched off', async () => {
    const local = new ToolRegistry().register({
      name: 'workspace_read_file', description: 'mine', inputSchema: z.object({ path: z.string() }), execute: () => 'from the local tool',
    });
    llm.enqueue({ toolCalls: [{ name: 'workspace_read_file', arguments: { path: 'run.json' } }] }, { text: 'ok' }, { text: 'off' });
    await agent({ localTools: local }).run('read', { sessionId: 's', workspace });
    expect(toolResults(1)).toEqual(['from the local tool']);
    expect(offeredTools(0).filter((name) => name === 'workspace_read_file')).toHaveLength(1);
    await agent({ agentConfig: { workspaceTools: false } }).run('hi', { sessionId: 's3', workspace });
    expect(offeredTools(2)).toEqual([]);
    expect(() => agent({ agentConfig: { workspaceTools: 'yes' as never } })).toThrow(/agentConfig\.workspaceTools must be true or false/);
  });
});

/** Calls one workspace tool directly, as the tool set would, and returns its result and the events it recorded. */
async function call(name: string, args: Record<string, unknown>): Promise<{ result: unknown; events: TelemetryEvent[] }> {
  const events: TelemetryEvent[] = [];
  const recorder = new RunRecorder({ agentName: 'Unit', sessionId: 's', runId: 'run_1', onEvent: (event) => events.push(event) });
  const tool = workspaceTools(workspace, recorder).find((candidate) => candidate.name === name);
  const checked = tool?.checkArguments(args);
  if (tool === undefined || checked?.ok !== true) throw new Error(`bad call of ${name}: ${JSON.stringify(checked)}`);
  const result = await tool.execute(checked.value, { signal: new AbortController().signal, sessionId: 's', runId: 'run_1', workspace });
  return { result, events };
}

const failure = (promise: Promise<unknown>): Promise<Error> =>
  promise.then(
    () => { throw new Error('expected the tool call to fail'); },
    (error: unknown) => error as Error,
  );

describe('workspace tool limits', () => {
  it('read returns a large file in parts of at most 256 KiB, saying where the next part starts', async () => {
    expect(WORKSPACE_READ_LIMIT_BYTES).toBe(256 * 1024);
    await workspace.writeFile('big.txt', 'a'.repeat(300 * 1024));
    const first = (await call('workspace_read_file', { path: 'big.txt' })).result as Record<string, unknown>;
    expect(first).toMatchObject({ path: 'big.txt', offset: 0, bytes: 262_144, total_bytes: 307_200, next_offset: 262_144 });
    expect(first.content).toBe('a'.repeat(262_144));
    expect(first.note).toBe('Bytes 0-262143 of 307200. Call workspace_read_file with offset 262144 for the rest.');
    const { result: rest, events } = await call('workspace_read_file', { path: 'big.txt', offset: 262_144 });
    expect(rest).toMatchObject({ offset: 262_144, bytes: 45_056, total_bytes: 307_200, next_offset: null, note: 'Bytes 262144-307199 of 307200: the end of the file.' });
    expect(events[0]).toMatchObject({ event_type: 'workspace_read', input: { path: 'big.txt', offset: 262_144 }, output: { bytes: 45_056, total_bytes: 307_200 } });
  });

  it('read never cuts a character in two, and takes an offset and a length', async () => {
    await workspace.writeFile('ticks.txt', '✓'.repeat(100_000));
    const first = (await call('workspace_read_file', { path: 'ticks.txt' })).result as { content: string; bytes: number; next_offset: number };
    expect(first.bytes).toBe(262_143);
    expect(first.content).toBe('✓'.repeat(87_381));
    expect(first.next_offset).toBe(262_143);
    // An offset inside a character starts at the next whole one.
    expect((await call('workspace_read_file', { path: 'ticks.txt', offset: 4, length: 6 })).result).toMatchObject({ offset: 6, bytes: 6, content: '✓✓' });
    expect((await call('workspace_read_file', { path: 'ticks.txt', length: 5 })).result).toMatchObject({ offset: 0, bytes: 3, next_offset: 3, content: '✓' });
    const past = await failure(call('workspace_read_file', { path: 'ticks.txt', offset: 300_000 }));
    expect(past.message).toBe('offset 300000 is at or past the end of "ticks.txt", which has 300000 bytes');
  });

  it('write refuses content over 5 MiB, writing nothing', async () => {
    expect(WORKSPACE_WRITE_LIMIT_BYTES).toBe(5 * 1024 * 1024);
    const error = await failure(call('workspace_write_file', { path: 'huge.txt', content: 'x'.repeat(WORKSPACE_WRITE_LIMIT_BYTES + 1) }));
    expect(error.message).toBe(
      'content is 5242881 bytes; workspace_write_file writes at most 5242880 bytes (5 MiB) per file: split it into several files',
    );
    expect(await workspace.readFile('huge.txt')).toBeNull();
    const atLimit = await call('workspace_write_file', { path: 'huge.txt', content: 'é'.repeat(WORKSPACE_WRITE_LIMIT_BYTES / 2) });
    expect(atLimit.result).toEqual({ path: 'huge.txt', bytes_written: WORKSPACE_WRITE_LIMIT_BYTES });
  });

  it('delete removes files only, and says when there was no file', async () => {
    await workspace.writeFile('notes/a.md', 'a');
    const directory = await failure(call('workspace_delete_file', { path: 'notes/' }));
    expect(directory.message).toBe(
      '"notes" is a directory; workspace_delete_file deletes one file at a time: list it with workspace_list_files and delete its files',
    );
    expect(await workspace.readFile('notes/a.md')).toBe('a');
    const missing = await call('workspace_delete_file', { path: 'notes/missing.md' });
    expect(missing.result).toEqual({ path: 'notes/missing.md', deleted: false, reason: 'there is no file at "notes/missing.md"' });
    expect(missing.events).toEqual([]);
    expect((await call('workspace_delete_file', { path: 'notes/a.md' })).result).toEqual({ path: 'notes/a.md', deleted: true });
  });

  it('answer the model without the server directory in any error', async () => {
    await workspace.writeFile('notes/a.md', 'a');
    llm.enqueue(
      {
        toolCalls: [
          { name: 'workspace_write_file', arguments: { path: 'notes', content: 'onto a directory' } },
          { name: 'workspace_read_file', arguments: { path: `${'n'.repeat(300)}.md` } },
        ],
      },
      { text: 'ok' },
    );
    await agent().run('try', { sessionId: 's', workspace });
    const [onDirectory, longName] = toolResults(1);
    expect(onDirectory).toBe('Error: Tool "workspace_write_file" failed: could not write "notes" in the workspace: EISDIR (illegal operation on a directory)');
    expect(longName).toMatch(/failed: workspace path segment "n{20}\.\.\." is 303 bytes long; a path segment may be at most 255 bytes/);
    for (const text of [onDirectory, longName]) expect(text).not.toContain(root);
  });
});
