import type { Workspace } from '../workspace/workspace.ts';
import type { AgentResolver } from './agent-resolver.ts';
import type { BackgroundWorker } from './background-worker.ts';
import type { Clock } from './clock.ts';
import type { RunEventSink } from './run-event-sink.ts';
import type { RunExecutor } from './run-executor.ts';
import type { TaskStore } from './task-store.ts';
import { isoAt } from './utc-datetime.ts';

/** What the manager's parts share. */
export interface BackgroundContext {
  readonly store: TaskStore;
  readonly clock: Clock;
  readonly sink: RunEventSink;
  readonly resolver: AgentResolver;
  readonly worker: BackgroundWorker;
  readonly executor: RunExecutor;
  readonly workerId: string;
  readonly defaultAgentId: string;
  readonly workspace: Workspace | null;
}

export function nowIso(context: Pick<BackgroundContext, 'clock'>): string {
  return isoAt(context.clock.now());
}
