import type { TelemetryEvent } from '../telemetry/telemetry-event.ts';
import type { AgentRunResult } from './servable-agent.ts';

export type AgentStreamPart =
  | { readonly type: 'text-delta'; readonly text: string }
  | { readonly type: 'tool-call'; readonly toolCallId: string; readonly toolName: string; readonly arguments: unknown }
  | { readonly type: 'tool-result'; readonly toolCallId: string; readonly toolName: string; readonly result: unknown }
  | { readonly type: 'tool-error'; readonly toolCallId: string; readonly toolName: string; readonly message: string }
  | { readonly type: 'finish'; readonly result: AgentRunResult };

/**
 * Turns a run that reports through `onEvent` into an async iterable; the run's error is thrown by the iterator.
 * A consumer that stops iterating early (break, return, throw) aborts the run, so no model call is left running.
 */
export async function* streamRun(
  start: (onEvent: (event: TelemetryEvent) => void, signal: AbortSignal) => Promise<AgentRunResult>,
  outerSignal?: AbortSignal,
): AsyncGenerator<AgentStreamPart> {
  const controller = new AbortController();
  const signal = outerSignal === undefined ? controller.signal : AbortSignal.any([outerSignal, controller.signal]);
  const queue: AgentStreamPart[] = [];
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const state: { outcome: { ok: true; result: AgentRunResult } | { ok: false; error: unknown } | null } = { outcome: null };
  start((event) => {
    const part = toStreamPart(event);
    if (part !== null) {
      queue.push(part);
      notify();
    }
  }, signal).then(
    (result) => ((state.outcome = { ok: true, result }), notify()),
    (error: unknown) => ((state.outcome = { ok: false, error }), notify()),
  );
  try {
    while (true) {
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      const done = state.outcome;
      if (done !== null) {
        if (!done.ok) throw done.error;
        yield { type: 'finish', result: done.result };
        return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (state.outcome === null) controller.abort(new Error('the stream consumer stopped reading'));
  }
}

function toStreamPart(event: TelemetryEvent): AgentStreamPart | null {
  const input = (event.input ?? {}) as Record<string, unknown>;
  const output = (event.output ?? {}) as Record<string, unknown>;
  switch (event.event_type) {
    case 'text_delta':
      return { type: 'text-delta', text: String(output['delta'] ?? '') };
    case 'tool_call':
    case 'mcp_tool_call':
      return { type: 'tool-call', toolCallId: String(input['tool_call_id']), toolName: String(input['tool_name']), arguments: input['arguments'] };
    case 'tool_result':
    case 'mcp_tool_result':
      return { type: 'tool-result', toolCallId: String(output['tool_call_id']), toolName: String(output['tool_name']), result: output['result'] };
    case 'tool_error':
    case 'mcp_tool_error':
      return {
        type: 'tool-error',
        toolCallId: String(input['tool_call_id']),
        toolName: String(input['tool_name']),
        message: event.error?.message ?? 'tool failed',
      };
    default:
      return null;
  }
}
