export interface RecentSummaryOptions {
  readonly name: string;
  readonly help: string;
  /** How many of the latest observations `_avg` averages over. */
  readonly window: number;
}

/**
 * The reference's request-duration summary: `_count`, `_sum` and `_avg` (6 decimals), printed only once something
 * was observed. `_count` and `_sum` are cumulative, as Prometheus expects of a summary (so `rate()` works);
 * `_avg` is the mean of the latest `window` observations, a quick view of current latency.
 */
export class RecentSummary {
  readonly #options: RecentSummaryOptions;
  readonly #recent: number[] = [];
  #next = 0;
  #count = 0;
  #sum = 0;

  constructor(options: RecentSummaryOptions) {
    this.#options = options;
  }

  observe(value: number): void {
    this.#count += 1;
    this.#sum += value;
    if (this.#recent.length < this.#options.window) this.#recent.push(value);
    else this.#recent[this.#next] = value;
    this.#next = (this.#next + 1) % this.#options.window;
  }

  /** The exposition text, ending in a newline; empty until the first observation. */
  render(): string {
    if (this.#count === 0) return '';
    const { name, help } = this.#options;
    const average = this.#recent.reduce((total, value) => total + value, 0) / this.#recent.length;
    return [
      `# HELP ${name} ${help}`,
      `# TYPE ${name} summary`,
      `${name}_count ${this.#count}`,
      `${name}_sum ${this.#sum.toFixed(6)}`,
      `${name}_avg ${average.toFixed(6)}`,
      '',
    ].join('\n');
  }
}
