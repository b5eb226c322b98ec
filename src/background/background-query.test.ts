import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunRecorder } from '../agent/run-recorder.ts';
import { workspaceTools } from '../agent/workspace-tools.ts';
import { LocalWorkspace } from '../workspace/local-workspace.ts';
import { ScopedWorkspace } from '../workspace/scoped-workspace.ts';
import { backgroundQuery } from './background-query.ts';
import { sampleRun, sampleTask } from './testing/sample-records.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'bg-query-'));
});
afterEach(async () => rm(root, { recursive: true, force: true }));

describe('backgroundQuery', () => {
  it('states the run context of spec 6.3, then the task query', () => {
    const run = sampleRun(sampleTask({ task_id: 'digest', query: 'Write the digest.' }), { runId: 'run_abc' });
    const lines = backgroundQuery(run).split('\n');
    expect(lines[0]).toMatch(/^You are running as a background task/);
    expect(lines).toContain('run_id: run_abc');
    expect(lines).toContain('task_id: digest');
    expect(lines).toContain(`workspace_path: /workspace/${run.workspace_path}`);
    expect(lines.at(-1)).toBe('Write the digest.');
    const advice = lines.find((line) => line.includes('output.md')) ?? '';
    expect(advice).toContain('Put the durable result of this run in output.md in that workspace');
    expect(advice).toContain('relative to that workspace');
  });

  it('advertises a workspace_path whose files the workspace tools accept as written', async () => {
    const run = sampleRun(sampleTask({ task_id: 'digest' }), { runId: 'run_abc' });
    const advertised = /^workspace_path: (.+)$/m.exec(backgroundQuery(run))?.[1] ?? '';
    const workspace = new ScopedWorkspace(new LocalWorkspace(root), run.workspace_path);
    const recorder = new RunRecorder({ agentName: 'Unit', sessionId: 's', runId: run.run_id });
    const write = workspaceTools(workspace, recorder).find((tool) => tool.name === 'workspace_write_file');
    const checked = write?.checkArguments({ path: `${advertised}/output.md`, content: 'done' });
    if (write === undefined || checked?.ok !== true) throw new Error('workspace_write_file is missing or refused its arguments');
    const result = await write.execute(checked.value, { signal: new AbortController().signal, sessionId: 's', runId: run.run_id, workspace });
    expect(result).toEqual({ path: 'output.md', bytes_written: 4 });
    expect(await readFile(join(root, 'files', run.workspace_path, 'output.md'), 'utf8')).toBe('done');
  });
});
