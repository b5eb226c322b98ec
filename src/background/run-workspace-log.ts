import type { Workspace } from '../workspace/workspace.ts';
import { RUN_EVENTS } from './lifecycle-events.ts';
import { KeyedQueue, silentLogger, type BackgroundLogger, type RunObserver } from './run-event-sink.ts';
import type { RunWrite } from './task-store.ts';

/**
 * Spec 10: each run keeps `<workspace_path>/run.json` (a snapshot after every lifecycle event but heartbeats) and
 * `<workspace_path>/events.jsonl` (one line per event), as its workspace policy asks. Writes are queued per run in
 * event order; a failure is logged and never reaches the run.
 */
export class RunWorkspaceLog implements RunObserver {
  readonly #workspace: Workspace;
  readonly #logger: BackgroundLogger;
  readonly #queue = new KeyedQueue();

  constructor(workspace: Workspace, logger: BackgroundLogger = silentLogger) {
    this.#workspace = workspace;
    this.#logger = logger;
  }

  onRunWrite({ run, events }: RunWrite): void {
    if (events.length === 0) return;
    const policy = run.workspace_policy;
    const lines = policy.write_events_jsonl ? events.map((event) => `${JSON.stringify(event)}\n`).join('') : '';
    const snapshot = policy.write_run_json && events.some((event) => event.event !== RUN_EVENTS.heartbeat);
    if (lines === '' && !snapshot) return;
    const dir = run.workspace_path;
    this.#queue.push(run.run_id, async () => {
      try {
        if (lines !== '') await this.#workspace.appendFile(`${dir}/events.jsonl`, lines);
        if (snapshot) await this.#workspace.writeFile(`${dir}/run.json`, `${JSON.stringify(run, null, 2)}\n`);
      } catch (error) {
        this.#logger.warn({ run_id: run.run_id, err: error instanceof Error ? error.message : String(error) }, 'could not write run workspace files');
      }
    });
  }

  flush(): Promise<void> {
    return this.#queue.flush();
  }
}
