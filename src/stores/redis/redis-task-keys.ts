/**
 * The Redis key layout of the task store (spec 6.6), under prefix P:
 *
 * - hashes with `data` (the record as JSON) and `version`: `P:agent:{id}`, `P:task:{id}`, `P:schedule:{task}`,
 *   `P:run:{id}` (also `seq`, the number of its last lifecycle event), `P:attempt:{id}`;
 * - sets `P:agents`, `P:tasks`, `P:runs`, `P:task_runs:{task}`;
 * - sorted sets `P:queued` (queued runs by `queued_at`), `P:due` (enabled, unpaused schedules by `next_due_at`),
 *   `P:open:{task}` (the task's unfinished runs, scored 1 while a run holds the task, else 0), `P:leased` (runs
 *   with a lease, by expiry), `P:run_attempts:{run}` (attempt ids by number);
 * - `P:occurrence:{task}:{occurrence}` (the run that took that occurrence), `P:run_events:{run}` (a list of its
 *   lifecycle events), hashes `P:counts`, `P:task_counts:{task}`, `P:agent_counts:{agent}` (runs by status), and
 *   `P:version`, the counter every write takes its version from (so a deleted and re-created record never comes
 *   back with a version a reader already saw).
 *
 * Times in sorted sets are epoch milliseconds.
 */
export class RedisTaskKeys {
  constructor(readonly prefix: string) {}

  agent = (id: string) => `${this.prefix}:agent:${id}`;
  task = (id: string) => `${this.prefix}:task:${id}`;
  schedule = (taskId: string) => `${this.prefix}:schedule:${taskId}`;
  run = (id: string) => `${this.prefix}:run:${id}`;
  attempt = (id: string) => `${this.prefix}:attempt:${id}`;
  get agents() {
    return `${this.prefix}:agents`;
  }
  get tasks() {
    return `${this.prefix}:tasks`;
  }
  get runs() {
    return `${this.prefix}:runs`;
  }
  taskRuns = (taskId: string) => `${this.prefix}:task_runs:${taskId}`;
  get queued() {
    return `${this.prefix}:queued`;
  }
  get due() {
    return `${this.prefix}:due`;
  }
  open = (taskId: string) => `${this.prefix}:open:${taskId}`;
  get leased() {
    return `${this.prefix}:leased`;
  }
  runAttempts = (runId: string) => `${this.prefix}:run_attempts:${runId}`;
  occurrence = (taskId: string, occurrenceId: string) => `${this.prefix}:occurrence:${taskId}:${occurrenceId}`;
  runEvents = (runId: string) => `${this.prefix}:run_events:${runId}`;
  get counts() {
    return `${this.prefix}:counts`;
  }
  taskCounts = (taskId: string) => `${this.prefix}:task_counts:${taskId}`;
  agentCounts = (agentId: string) => `${this.prefix}:agent_counts:${agentId}`;
  get version() {
    return `${this.prefix}:version`;
  }
}

/** Epoch milliseconds of a UTC ISO time, as a sorted-set score (passed as text, so Lua never rounds it). */
export function score(iso: string): string {
  return String(Date.parse(iso));
}
