import type { AgentRunOptions, ServableAgent } from '../../agent/servable-agent.ts';

/** What one call of a `ScriptedAgent` does. */
export type AgentStep =
  | { readonly reply: string }
  | { readonly fail: string | Error }
  /** Never answers; ends (rejecting with the abort reason) only when its signal aborts, unless `ignoreSignal`. */
  | { readonly hang: true; readonly ignoreSignal?: boolean };

export interface AgentCall {
  readonly query: string;
  readonly options: AgentRunOptions;
}

/**
 * A light agent for background tests: each `run` takes the next scripted step (the last one repeats), and every
 * call is recorded with its query, session, run id and signal.
 */
export class ScriptedAgent implements ServableAgent {
  readonly name: string;
  readonly calls: AgentCall[] = [];
  readonly #steps: AgentStep[];
  readonly #waiters = new Set<() => void>();

  constructor(steps: AgentStep[] = [{ reply: 'done' }], name = 'ScriptedAgent') {
    this.#steps = [...steps];
    this.name = name;
  }

  async run(query: string, options: AgentRunOptions): Promise<{ response: string }> {
    this.calls.push({ query, options });
    for (const wake of [...this.#waiters]) wake();
    const step = (this.#steps.length > 1 ? this.#steps.shift() : this.#steps[0]) as AgentStep;
    if ('reply' in step) return { response: step.reply };
    if ('fail' in step) throw typeof step.fail === 'string' ? new Error(step.fail) : step.fail;
    return new Promise((_, reject) => {
      if (step.ignoreSignal) return;
      const signal = options.signal;
      if (signal?.aborted) reject(signal.reason);
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }

  /** Resolves once the agent has been called `count` times in all. */
  async called(count: number): Promise<void> {
    while (this.calls.length < count) await new Promise<void>((resolve) => this.#waiters.add(resolve));
    this.#waiters.clear();
  }
}
