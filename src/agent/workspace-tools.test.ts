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
import { WORKSPACE_TOOL_NAMES } from './workspace-tools.ts';

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
      { toolCalls: [{ name: 'workspace_delete_file', arguments: { path: 'notes' } }] },
      { text: 'done' },
    );
    const events: TelemetryEvent[] = [];
    await agent().run('work', { sessionId: 's', runId: 'run_1', workspace, onEvent: (event) => events.push(event) });
    expect(await readFile(join(root, 'files/background/a/t/run_1/notes/draft.md'), 'utf8').catch(() => 'deleted')).toBe('deleted');
    expect(JSON.parse(toolResults(1)[0] ?? '')).toEqual({ path: 'notes/draft.md', bytes_written: 8 });
    expect(toolResults(2)[1]).toBe('draft é');
    const listed = JSON.parse(toolResults(3)[2] ?? '') as { files: { path: string; is_dir: boolean }[] };
    expect(listed.files.map((file) => [file.path, file.is_dir])).toEqual([['notes', true], ['notes/draft.md', false], ['run.json', false]]);
    expect(JSON.parse(toolResults(4)[3] ?? '')).toEqual({ path: 'notes', deleted: true });
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
