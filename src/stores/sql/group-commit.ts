interface Waiting<Op, R> {
  readonly op: Op;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: writes that arrive while one is being committed wait, then go together in one transaction. On a
 * database that syncs its log at every commit (PostgreSQL's default, SQLite's WAL writes) a busy server's many small
 * autocommit writes cost a commit each; grouped, they share one. A lone write goes alone (`single`), so a quiet
 * server answers as before. When a group fails, each of its writes is tried alone, so one bad write fails only its
 * own caller.
 */
export class GroupCommit<Op, R> {
  readonly #commitGroup: (ops: readonly Op[]) => Promise<R[]>;
  readonly #single: (op: Op) => Promise<R>;
  readonly #maxGroup: number;
  #waiting: Waiting<Op, R>[] = [];
  #draining = false;

  constructor(options: { commitGroup: (ops: readonly Op[]) => Promise<R[]>; single: (op: Op) => Promise<R>; maxGroup?: number }) {
    this.#commitGroup = options.commitGroup;
    this.#single = options.single;
    this.#maxGroup = options.maxGroup ?? 256;
  }

  submit(op: Op): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#waiting.push({ op, resolve, reject });
      if (this.#draining) return;
      this.#draining = true;
      // Started after the current task: writes submitted in the same turn join the first group.
      queueMicrotask(() => void this.#drain());
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#waiting.length > 0) {
        const group = this.#waiting.splice(0, this.#maxGroup);
        if (group.length > 1) {
          try {
            const results = await this.#commitGroup(group.map((waiting) => waiting.op));
            group.forEach((waiting, i) => waiting.resolve(results[i] as R));
            continue;
          } catch {
            // Fall through: each alone, so the failure lands on the write that caused it.
          }
        }
        for (const waiting of group) {
          try {
            waiting.resolve(await this.#single(waiting.op));
          } catch (error) {
            waiting.reject(error);
          }
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}
