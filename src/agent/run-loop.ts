import { streamText, stepCountIs, type LanguageModel, type ModelMessage, type StopCondition, type ToolSet } from 'ai';
import type { TokenUsage } from '../telemetry/telemetry-event.ts';
import type { ToolOrigin } from './agent-tool-set.ts';
import type { RunRecorder } from './run-recorder.ts';

export interface RunLoopInput {
  readonly model: LanguageModel;
  readonly provider: string;
  readonly modelId: string;
  readonly callSettings: Readonly<Record<string, unknown>>;
  readonly system: string | undefined;
  readonly messages: ModelMessage[];
  readonly tools: ToolSet;
  readonly toolOrigins: ReadonlyMap<string, ToolOrigin>;
  readonly failedToolCalls: ReadonlyMap<string, string>;
  readonly limits: { readonly maxSteps: number; readonly requestLimit: number; readonly totalTokensLimit: number };
  readonly signal: AbortSignal;
  readonly recorder: RunRecorder;
  /** Each piece of model text as it arrives. */
  readonly onText?: ((delta: string) => void) | undefined;
}

export interface RunLoopOutput {
  readonly text: string;
  readonly responseMessages: ModelMessage[];
  readonly usage: TokenUsage;
  readonly steps: number;
  readonly terminationReason: string;
}

/** One agent turn: the model/tool loop, streamed, with a telemetry event for every step, call and result. */
export async function runLoop(input: RunLoopInput): Promise<RunLoopOutput> {
  const { recorder, limits } = input;
  const modelActor = { type: 'model', id: input.modelId, name: input.provider } as const;
  let stopReason: string | null = null;
  const stopWhen: StopCondition<ToolSet>[] = [stepCountIs(limits.maxSteps)];
  if (limits.requestLimit > 0) {
    stopWhen.push(({ steps }) => (steps.length >= limits.requestLimit ? ((stopReason = 'request_limit'), true) : false));
  }
  if (limits.totalTokensLimit > 0) {
    stopWhen.push(({ steps }) => {
      const used = steps.reduce((sum, step) => sum + (step.usage.totalTokens ?? 0), 0);
      return used >= limits.totalTokensLimit ? ((stopReason = 'token_limit'), true) : false;
    });
  }

  let streamError: unknown;
  const result = streamText({
    model: input.model,
    ...input.callSettings,
    ...(input.system === undefined ? {} : { system: input.system }),
    messages: input.messages,
    tools: input.tools,
    stopWhen,
    abortSignal: input.signal,
    onError: ({ error }) => {
      streamError ??= error;
    },
  });

  let stepStarted = 0;
  let stepCount = 0;
  let lastFinishReason = 'stop';
  const toolStarted = new Map<string, number>();
  for await (const part of result.fullStream) {
    switch (part.type) {
      case 'start-step':
        stepStarted = performance.now();
        recorder.record('model_call', {
          actor: modelActor,
          input: { step: stepCount + 1, model: input.modelId, provider: input.provider },
        });
        break;
      case 'text-delta':
        if (part.text.length > 0) {
          recorder.record('text_delta', { actor: modelActor, output: { delta: part.text } });
          input.onText?.(part.text);
        }
        break;
      case 'tool-call': {
        toolStarted.set(part.toolCallId, performance.now());
        const origin = input.toolOrigins.get(part.toolName);
        recorder.record(origin?.type === 'mcp' ? 'mcp_tool_call' : 'tool_call', {
          actor: toolActor(part.toolName, origin),
          input: { tool_call_id: part.toolCallId, tool_name: part.toolName, arguments: part.input },
        });
        break;
      }
      case 'tool-result': {
        const origin = input.toolOrigins.get(part.toolName);
        const failure = input.failedToolCalls.get(part.toolCallId);
        const mcp = origin?.type === 'mcp';
        const base = {
          actor: toolActor(part.toolName, origin),
          durationMs: elapsed(toolStarted.get(part.toolCallId)),
        };
        if (failure === undefined) {
          recorder.record(mcp ? 'mcp_tool_result' : 'tool_result', {
            ...base,
            output: { tool_call_id: part.toolCallId, tool_name: part.toolName, result: part.output },
          });
        } else {
          recorder.record(mcp ? 'mcp_tool_error' : 'tool_error', {
            ...base,
            input: { tool_call_id: part.toolCallId, tool_name: part.toolName },
            error: { type: 'ToolError', message: failure, retryable: true },
          });
        }
        break;
      }
      case 'tool-error':
        // The model asked for a tool that does not exist or sent unparsable arguments.
        recorder.record('tool_error', {
          actor: toolActor(part.toolName, input.toolOrigins.get(part.toolName)),
          input: { tool_call_id: part.toolCallId, tool_name: part.toolName },
          error: { type: 'ToolError', message: String((part.error as Error)?.message ?? part.error), retryable: true },
        });
        break;
      case 'finish-step':
        stepCount += 1;
        lastFinishReason = part.finishReason;
        recorder.record('model_response', {
          actor: modelActor,
          output: { finish_reason: part.finishReason, step: stepCount },
          durationMs: elapsed(stepStarted),
          tokenUsage: toTokenUsage(part.usage),
        });
        break;
      case 'error':
        streamError ??= part.error;
        break;
      case 'abort':
        break;
      default:
        break;
    }
  }
  if (input.signal.aborted) throw input.signal.reason ?? new Error('The run was cancelled');
  if (streamError !== undefined) throw streamError;

  const [text, response, totalUsage] = await Promise.all([result.text, result.response, result.totalUsage]);
  const terminationReason =
    stopReason ?? (lastFinishReason === 'tool-calls' && stepCount >= limits.maxSteps ? 'max_steps' : lastFinishReason);
  return { text, responseMessages: response.messages, usage: toTokenUsage(totalUsage), steps: stepCount, terminationReason };
}

function toolActor(name: string, origin: ToolOrigin | undefined) {
  return origin?.type === 'mcp'
    ? ({ type: 'mcp_server', id: origin.server ?? null, name } as const)
    : ({ type: 'tool', id: name, name } as const);
}

function elapsed(start: number | undefined): number | null {
  return start === undefined ? null : Math.round((performance.now() - start) * 1000) / 1000;
}

export function toTokenUsage(usage: { inputTokens?: number | undefined; outputTokens?: number | undefined; totalTokens?: number | undefined }): TokenUsage {
  const prompt = usage.inputTokens ?? 0;
  const completion = usage.outputTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: usage.totalTokens ?? prompt + completion };
}
