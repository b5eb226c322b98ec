import { Counter, Histogram, type Registry } from 'prom-client';
import type { TelemetryEvent } from '../../telemetry/telemetry-event.ts';
import { eventRunId } from '../../telemetry/wire-event.ts';

export const RUN_OUTCOMES = ['success', 'error', 'timeout', 'cancelled'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

const TOOL_CALL_EVENTS: Readonly<Record<string, 'local' | 'mcp'>> = { tool_call: 'local', mcp_tool_call: 'mcp' };
const TOOL_ERROR_EVENTS: Readonly<Record<string, 'local' | 'mcp'>> = { tool_error: 'local', mcp_tool_error: 'mcp' };

/** The run instruments of one server; labels are small fixed sets (never a tool name, which a model can invent). */
export interface RunInstruments {
  readonly duration: Histogram<'outcome'>;
  readonly timeToFirstToken: Histogram;
  readonly inputTokens: Counter;
  readonly outputTokens: Counter;
  readonly toolCalls: Counter<'source'>;
  readonly toolErrors: Counter<'source'>;
}

export function createRunInstruments(registry: Registry): RunInstruments {
  const registers = [registry];
  return {
    duration: new Histogram({
      name: 'omniserve_run_duration_seconds',
      help: 'Wall time of agent runs, by outcome (success, error, timeout, cancelled)',
      labelNames: ['outcome'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    }),
    timeToFirstToken: new Histogram({
      name: 'omniserve_run_time_to_first_token_seconds',
      help: 'Time from the start of a run to its first streamed text',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    }),
    inputTokens: new Counter({ name: 'omniserve_input_tokens_total', help: 'Prompt tokens the model reported', registers }),
    outputTokens: new Counter({ name: 'omniserve_output_tokens_total', help: 'Completion tokens the model reported', registers }),
    toolCalls: new Counter({
      name: 'omniserve_tool_calls_total',
      help: 'Tool calls the model made, by source (local or mcp)',
      labelNames: ['source'] as const,
      registers,
    }),
    toolErrors: new Counter({
      name: 'omniserve_tool_errors_total',
      help: 'Tool calls that failed, by source (local or mcp)',
      labelNames: ['source'] as const,
      registers,
    }),
  };
}

/** Watches one run through its events; `finish` records its duration once, however often it is called. */
export class RunObservation {
  readonly #runId: string;
  readonly #instruments: RunInstruments;
  readonly #startedAt = performance.now();
  #sawText = false;
  #finished = false;

  constructor(runId: string, instruments: RunInstruments) {
    this.#runId = runId;
    this.#instruments = instruments;
  }

  event(event: TelemetryEvent): void {
    // An agent may report events of other runs (sub-agents, concurrent runs): those are counted by their own run.
    const runId = eventRunId(event);
    if (runId !== undefined && runId !== this.#runId) return;
    const type = event.event_type;
    if (type === 'text_delta' && !this.#sawText) {
      this.#sawText = true;
      this.#instruments.timeToFirstToken.observe(this.#elapsedSeconds());
    } else if (type === 'model_response' && event.token_usage) {
      this.#instruments.inputTokens.inc(nonNegative(event.token_usage.prompt_tokens));
      this.#instruments.outputTokens.inc(nonNegative(event.token_usage.completion_tokens));
    } else if (TOOL_CALL_EVENTS[type] !== undefined) {
      this.#instruments.toolCalls.inc({ source: TOOL_CALL_EVENTS[type] });
    } else if (TOOL_ERROR_EVENTS[type] !== undefined) {
      this.#instruments.toolErrors.inc({ source: TOOL_ERROR_EVENTS[type] });
    }
  }

  finish(outcome: RunOutcome): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#instruments.duration.observe({ outcome }, this.#elapsedSeconds());
  }

  #elapsedSeconds(): number {
    return (performance.now() - this.#startedAt) / 1000;
  }
}

function nonNegative(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
