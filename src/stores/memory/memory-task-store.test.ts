import { describe, expect, it } from 'vitest';
import { RUN_EVENTS } from '../../background/lifecycle-events.ts';
import { sampleAgent, sampleRun, sampleState, sampleTask, SAMPLE_TIME } from '../../background/testing/sample-records.ts';
import { MemoryTaskStore } from './memory-task-store.ts';

describe('MemoryTaskStore history bound', () => {
  it('forgets the oldest finished runs past maxFinishedRuns, with their events, and never an unfinished one', async () => {
    const store = new MemoryTaskStore({ maxFinishedRuns: 2 });
    const task = sampleTask({ overlap_policy: 'allow_parallel' });
    await store.saveAgent(sampleAgent(), { replace: false });
    await store.saveTask(task, sampleState({ task_id: task.task_id }), { replace: false });
    const runs = [];
    for (let i = 0; i < 5; i += 1) runs.push((await store.admitRun(sampleRun(task, {}, { run_id: `run_${i}`, occurrence_id: `manual:${i}` }), SAMPLE_TIME)).runs[0]!.run);
    // Run 4 stays queued; runs 0-3 finish in order.
    for (const run of runs.slice(0, 4)) {
      await store.updateRun(run.run_id, { now: SAMPLE_TIME, steps: [{ status: 'cancelled', event: RUN_EVENTS.cancelled }] });
    }
    expect((await store.listRuns()).map((run) => run.run_id).sort()).toEqual(['run_2', 'run_3', 'run_4']);
    expect(await store.getRun('run_0')).toBeNull();
    expect(await store.listRunEvents('run_1')).toEqual([]);
    expect((await store.listRunEvents('run_3')).map((event) => event.event)).toEqual([RUN_EVENTS.queued, RUN_EVENTS.cancelled]);
    expect((await store.countRuns()).total).toBe(3);
  });
});
