import type { Redis } from 'ioredis';
import { isClaimable, planClaim, type ClaimRequest } from '../../background/run-changes.ts';
import type { RunWrite } from '../../background/task-store.ts';
import { score, type RedisTaskKeys } from './redis-task-keys.ts';
import type { RedisTaskTx, RunRow } from './redis-task-tx.ts';

/**
 * Reads a page of claim candidates in one round trip: the oldest queued runs due by ARGV[2], each with its hash
 * and, for a run of a task that does not allow parallel runs, how many runs hold that task now.
 * ARGV: queued key, max score, offset, count, run key prefix, open key prefix.
 */
const CANDIDATES_SCRIPT = `
local ids = redis.call('ZRANGEBYSCORE', ARGV[1], '-inf', ARGV[2], 'WITHSCORES', 'LIMIT', ARGV[3], ARGV[4])
local out = {}
for i = 1, #ids, 2 do
  local row = redis.call('HMGET', ARGV[5] .. ids[i], 'data', 'version', 'seq', 'exclusive')
  local occupied = -1
  if row[4] then occupied = redis.call('ZCOUNT', ARGV[6] .. row[4], 1, 1) end
  out[#out + 1] = { ids[i], ids[i + 1], row[1] or '', row[2] or '0', row[3] or '0', occupied }
end
return out
`;

interface CandidateCommands {
  omniTaskCandidates(...args: string[]): Promise<[string, string, string, string, string, number][]>;
}

export interface Candidate {
  readonly id: string;
  readonly row: RunRow;
  /** Runs holding the candidate's task, for a task without parallel runs. */
  readonly occupied: number | undefined;
}

type Transact = <T>(work: (tx: RedisTaskTx, attempt: number) => Promise<T>) => Promise<T>;

const FIRST_PAGE = 8;
const PAGE = 64;

/**
 * Claiming, where processes contend most. Candidates come oldest first from `P:queued` (runs queued at the same
 * millisecond in random order, so racing claimers spread over them instead of all taking the head). Each is
 * claimed by an optimistic commit on what the page read: the run's version (another claimer got it first: move
 * on) and its task's occupancy (changed: read again and retry).
 */
export class RedisTaskClaims {
  readonly #redis: Redis & CandidateCommands;
  readonly #keys: RedisTaskKeys;
  readonly #transact: Transact;
  readonly #newTx: () => RedisTaskTx;

  constructor(redis: Redis, keys: RedisTaskKeys, transact: Transact, newTx: () => RedisTaskTx) {
    if (typeof (redis as Partial<CandidateCommands>).omniTaskCandidates !== 'function') {
      redis.defineCommand('omniTaskCandidates', { numberOfKeys: 0, lua: CANDIDATES_SCRIPT });
    }
    this.#redis = redis as Redis & CandidateCommands;
    this.#keys = keys;
    this.#transact = transact;
    this.#newTx = newTx;
  }

  /** Claims the given run if it is claimable now. */
  async claimRun(runId: string, claim: ClaimRequest): Promise<RunWrite | null> {
    return this.#transact((tx) => claimIn(tx, runId, claim));
  }

  /** Claims the oldest claimable run, or returns null when none is. */
  async claimNext(claim: ClaimRequest): Promise<RunWrite | null> {
    const passed = new Set<string>();
    let offset = 0;
    let size = FIRST_PAGE;
    for (;;) {
      const page = await this.#candidates(claim.now, offset, size);
      let considered = 0;
      for (const candidate of page) {
        if (passed.has(candidate.id)) continue;
        considered += 1;
        const tx = this.#newTx();
        const write = await claimIn(tx, candidate.id, claim, candidate);
        if (write === null) {
          passed.add(candidate.id);
          continue;
        }
        tx.finish();
        const failed = await tx.commit.commit(this.#redis, this.#keys.version);
        if (failed === null) return write;
        // The run changed (claimed or cancelled by someone else): it has left the queue.
        if (failed[0] === 'v') continue;
        const again = await this.claimRun(candidate.id, claim);
        if (again !== null) return again;
        passed.add(candidate.id);
      }
      if (page.length < size) return null;
      // Runs passed over stay at the head of the queue; the rest were taken.
      offset = considered === 0 ? offset + page.length : passed.size;
      size = PAGE;
    }
  }

  async #candidates(now: string, offset: number, count: number): Promise<Candidate[]> {
    const rows = await this.#redis.omniTaskCandidates(this.#keys.queued, score(now), String(offset), String(count), this.#keys.run(''), this.#keys.open(''));
    const tie = new Map<string, number>(rows.map(([id]) => [id, Math.random()]));
    return rows
      .sort((a, b) => Number(a[1]) - Number(b[1]) || (tie.get(a[0]) ?? 0) - (tie.get(b[0]) ?? 0))
      .map(([id, , data, version, seq, occupied]) => ({
        id,
        row: [data === '' ? null : data, version, seq],
        occupied: occupied < 0 ? undefined : occupied,
      }));
  }
}

/** Plans the claim of one run in `tx` (null when it is not claimable now); `read` is what a candidate page read. */
async function claimIn(tx: RedisTaskTx, runId: string, claim: ClaimRequest, read?: Candidate): Promise<RunWrite | null> {
  const loaded = read === undefined ? await tx.run(runId) : tx.seed(runId, ...read.row);
  if (loaded === null || loaded.run.status !== 'queued' || loaded.run.queued_at > claim.now) return null;
  const { run } = loaded;
  const exclusive = run.overlap_policy !== 'allow_parallel';
  const occupied = exclusive ? await tx.occupied(run.task_id, read?.occupied) : 0;
  if (!isClaimable(run, claim.now, occupied > 0)) return null;
  const planned = planClaim(run, loaded.seq, claim);
  await tx.writeAttempts(runId, planned.attempts);
  return tx.write(planned);
}
