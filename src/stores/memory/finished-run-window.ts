/**
 * The ids of the newest `max` finished runs, oldest first out: `add` returns the ids that fell out of the window,
 * for the store to forget. A queue with a moving head, compacted now and then, so adding stays O(1).
 */
export class FinishedRunWindow {
  readonly #max: number;
  #ids: string[] = [];
  #head = 0;

  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  add(runId: string): string[] {
    this.#ids.push(runId);
    const dropped: string[] = [];
    while (this.#ids.length - this.#head > this.#max) dropped.push(this.#ids[this.#head++] as string);
    if (this.#head > 1024 && this.#head * 2 > this.#ids.length) {
      this.#ids = this.#ids.slice(this.#head);
      this.#head = 0;
    }
    return dropped;
  }
}
