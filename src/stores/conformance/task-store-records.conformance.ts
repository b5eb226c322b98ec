import { beforeEach, describe, expect, it } from 'vitest';
import { RecordExistsError } from '../../background/background-errors.ts';
import type { TaskStore } from '../../background/task-store.ts';
import { sampleAgent, sampleState, sampleTask } from '../../background/testing/sample-records.ts';
import { at, claimAt, type TaskStoreSuite } from './task-store-suite.ts';

/** Agents, tasks with their schedule states, run queries, and what survives a restart. */
export function describeRecordConformance(suite: TaskStoreSuite): void {
  const { task, admit } = suite;

  describe('agents', () => {
    let store: TaskStore;
    beforeEach(() => void (store = suite.store));

    it('saves, reads, lists by id and deletes agents', async () => {
      await store.saveAgent(sampleAgent({ agent_id: 'a-0', name: 'Zero' }), { replace: false });
      expect(await store.getAgent('a-0')).toMatchObject({ agent_id: 'a-0', name: 'Zero' });
      expect((await store.listAgents()).map((a) => a.agent_id)).toEqual(['a-0', 'agent-1']);
      expect(await store.deleteAgent('a-0')).toBe(true);
      expect(await store.deleteAgent('a-0')).toBe(false);
      expect(await store.getAgent('a-0')).toBeNull();
    });

    it('refuses a taken id unless replace, and says when it replaced', async () => {
      await expect(store.saveAgent(sampleAgent({ name: 'Other' }), { replace: false })).rejects.toBeInstanceOf(RecordExistsError);
      expect(await store.saveAgent(sampleAgent({ name: 'Other' }), { replace: true })).toBe(true);
      expect((await store.getAgent('agent-1'))?.name).toBe('Other');
    });

    it('hands out copies: changing a returned record changes nothing stored', async () => {
      const agent = (await store.getAgent('agent-1')) as { metadata: Record<string, unknown> };
      agent.metadata['x'] = 1;
      expect((await store.getAgent('agent-1'))?.metadata).toEqual({});
    });
  });

  describe('tasks and schedules', () => {
    let store: TaskStore;
    beforeEach(() => void (store = suite.store));

    it('saves a task with its schedule state, filters by agent, and refuses a taken id unless replace', async () => {
      await store.saveTask(sampleTask({ task_id: 'task-0', agent_id: 'other' }), sampleState({ task_id: 'task-0' }), { replace: false });
      expect((await store.listTasks()).map((t) => t.task_id)).toEqual(['task-0', 'task-1']);
      expect((await store.listTasks({ agentId: 'other' })).map((t) => t.task_id)).toEqual(['task-0']);
      await expect(store.saveTask(task, sampleState(), { replace: false })).rejects.toBeInstanceOf(RecordExistsError);
      expect(await store.saveTask({ ...task, query: 'changed' }, sampleState({ schedule_revision: 2 }), { replace: true })).toBe(true);
      expect((await store.getTask('task-1'))?.query).toBe('changed');
      expect((await store.getScheduleState('task-1'))?.schedule_revision).toBe(2);
    });

    it('pauses and resumes a schedule, and answers null for an unknown task', async () => {
      expect(await store.setSchedulePaused('task-1', true, 'maintenance', at(1))).toMatchObject({ paused: true, paused_reason: 'maintenance' });
      expect(await store.setSchedulePaused('task-1', false, 'ignored', at(2))).toMatchObject({ paused: false, paused_reason: null });
      expect(await store.setSchedulePaused('nope', true, null, at(1))).toBeNull();
    });

    it('deletes a task, keeping its runs unless deleteRuns', async () => {
      const kept = await admit();
      expect(await store.deleteTask('task-1', { deleteRuns: false })).toBe(true);
      expect(await store.getTask('task-1')).toBeNull();
      expect(await store.getScheduleState('task-1')).toBeNull();
      expect(await store.getRun(kept.run_id)).not.toBeNull();
      await store.saveTask(task, sampleState(), { replace: false });
      expect(await store.deleteTask('task-1', { deleteRuns: true })).toBe(true);
      expect(await store.getRun(kept.run_id)).toBeNull();
      expect(await store.listRunEvents(kept.run_id)).toEqual([]);
      expect(await store.deleteTask('task-1', { deleteRuns: true })).toBe(false);
    });
  });

  describe('queries', () => {
    let store: TaskStore;
    beforeEach(() => void (store = suite.store));

    it('lists runs newest first with filters and a limit, and counts them by status', async () => {
      const other = sampleTask({ task_id: 'task-2' });
      await store.saveTask(other, sampleState({ task_id: 'task-2' }), { replace: false });
      const a = await admit({ queued_at: at(1) });
      const b = await admit({ queued_at: at(2) });
      const c = await admit({ queued_at: at(3) }, other);
      await store.requestCancel(b.run_id, at(4), null);
      expect((await store.listRuns()).map((r) => r.run_id)).toEqual([c.run_id, b.run_id, a.run_id]);
      expect((await store.listRuns({ taskId: 'task-1' })).map((r) => r.run_id)).toEqual([b.run_id, a.run_id]);
      expect((await store.listRuns({ statuses: ['queued'] })).map((r) => r.run_id)).toEqual([c.run_id, a.run_id]);
      expect((await store.listRuns({ limit: 1 })).map((r) => r.run_id)).toEqual([c.run_id]);
      expect(await store.countRuns()).toEqual({ total: 3, byStatus: { queued: 2, cancelled: 1 } });
      expect(await store.countRuns({ taskId: 'task-2' })).toEqual({ total: 1, byStatus: { queued: 1 } });
    });
  });

  describe('durability', () => {
    const reason = suite.options.skip?.durability;
    it.skipIf(reason !== undefined)(`keeps queued runs across a restart${reason === undefined ? '' : ` (skipped: ${reason})`}`, async () => {
      const run = await admit();
      const reopened = await (suite.harness.reopen as () => Promise<TaskStore>)();
      expect((await reopened.getRun(run.run_id))?.status).toBe('queued');
      expect((await reopened.claimNextRun(claimAt(1)))?.run.run_id).toBe(run.run_id);
    });
  });
}
