import type { Collection, Db } from 'mongodb';
import { LEASED_STATUSES, type BackgroundRun, type RunStatus } from '../../background/run-record.ts';

/** A record as stored: its id, the record as JSON (so any metadata key is safe), and a version bumped per write. */
export interface RecordDoc {
  _id: string;
  data: string;
  version: number;
}

export interface TaskDoc extends RecordDoc {
  agent_id: string;
}

/** `due_at` is the schedule's `next_due_at` while its task is enabled and it is not paused, else null. */
export interface StateDoc extends RecordDoc {
  due_at: string | null;
}

/** Key fields of a run beside its JSON, for the indexes; `seq` is the sequence of its last lifecycle event. */
export interface RunDoc extends RecordDoc {
  task_id: string;
  agent_id: string;
  status: RunStatus;
  queued_at: string;
  /** Set only while the run holds a lease that can expire (claimed, running, retrying). */
  lease_expires_at: string | null;
  occurrence_id: string;
  seq: number;
}

export interface AttemptDoc {
  _id: string;
  run_id: string;
  attempt_number: number;
  data: string;
}

export interface EventDoc {
  /** `<run_id>:<sequence>`. */
  _id: string;
  run_id: string;
  sequence: number;
  data: string;
}

/**
 * One per task that has runs: every transaction that reads or changes which of the task's runs are unfinished or
 * hold it writes this document, so two such transactions conflict (MongoDB transactions are snapshot isolated:
 * without a common write, two claims of one exclusive task could both see it free).
 */
export interface GuardDoc {
  _id: string;
  writes: number;
}

export interface MongoTaskCollections {
  readonly agents: Collection<RecordDoc>;
  readonly tasks: Collection<TaskDoc>;
  readonly states: Collection<StateDoc>;
  readonly runs: Collection<RunDoc>;
  readonly attempts: Collection<AttemptDoc>;
  readonly events: Collection<EventDoc>;
  readonly guards: Collection<GuardDoc>;
}

export function taskCollections(db: Db, prefix: string): MongoTaskCollections {
  return {
    agents: db.collection(`${prefix}_agents`),
    tasks: db.collection(`${prefix}_tasks`),
    states: db.collection(`${prefix}_schedule_states`),
    runs: db.collection(`${prefix}_runs`),
    attempts: db.collection(`${prefix}_attempts`),
    events: db.collection(`${prefix}_events`),
    guards: db.collection(`${prefix}_task_guards`),
  };
}

/**
 * Creates the collections (a transaction may not create one on older servers) and the indexes every query of
 * the store uses; creating an existing one is a no-op.
 */
export async function createTaskIndexes(db: Db, c: MongoTaskCollections): Promise<void> {
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((info) => info.name));
  for (const collection of Object.values(c) as Collection<{ _id: string }>[]) {
    if (existing.has(collection.collectionName)) continue;
    try {
      await db.createCollection(collection.collectionName);
    } catch (error) {
      // NamespaceExists: another process created it meanwhile.
      if ((error as { code?: unknown }).code !== 48) throw error;
    }
  }
  await c.tasks.createIndex({ agent_id: 1 });
  await c.states.createIndex({ due_at: 1 });
  await c.runs.createIndex({ task_id: 1, occurrence_id: 1 }, { unique: true });
  await c.runs.createIndex({ status: 1, queued_at: 1 });
  await c.runs.createIndex({ lease_expires_at: 1 });
  await c.runs.createIndex({ task_id: 1, status: 1 });
  await c.runs.createIndex({ agent_id: 1, status: 1 });
  await c.runs.createIndex({ queued_at: -1, _id: -1 });
  await c.attempts.createIndex({ run_id: 1, attempt_number: 1 });
  await c.events.createIndex({ run_id: 1, sequence: 1 }, { unique: true });
}

const leased = (status: RunStatus) => (LEASED_STATUSES as readonly RunStatus[]).includes(status);

export function runDoc(run: BackgroundRun, version: number, seq: number): RunDoc {
  return {
    _id: run.run_id,
    task_id: run.task_id,
    agent_id: run.agent_id,
    status: run.status,
    queued_at: run.queued_at,
    lease_expires_at: leased(run.status) ? run.lease_expires_at : null,
    occurrence_id: run.occurrence_id,
    seq,
    version,
    data: JSON.stringify(run),
  };
}

export function parseData<T>(doc: { data: string } | null): T | null {
  return doc === null ? null : (JSON.parse(doc.data) as T);
}
