import { randomBytes } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ScriptedUsage, ScriptedTextReply, ScriptedToolCallsReply, ChatCompletionRequestBody } from './scripted-reply.ts';

type PlannedCompletion = ReturnType<typeof planCompletion>;

/** Everything one answer needs, fixed before the first byte so the streamed and plain forms say the same. */
export function planCompletion(body: ChatCompletionRequestBody, reply: ScriptedTextReply | ScriptedToolCallsReply) {
  const toolCalls = ('toolCalls' in reply ? reply.toolCalls : []).map((call) => ({
    id: call.id ?? `call_${randomBytes(12).toString('hex')}`,
    name: call.name,
    arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
  }));
  const text = reply.text === undefined || (reply.text === '' && toolCalls.length > 0) ? null : reply.text;
  const completionWords = countWords(text ?? '') + toolCalls.reduce((sum, call) => sum + countWords(call.arguments) + 1, 0);
  const promptText = (body.messages ?? []).map((message) => contentText(message.content)).join(' ');
  return {
    id: `chatcmpl-${randomBytes(12).toString('hex')}`,
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? 'scripted-model',
    text,
    toolCalls,
    // An estimate is never zero, so a test can tell "usage reported" from "usage lost".
    usage: reply.usage ?? { promptTokens: Math.max(1, countWords(promptText)), completionTokens: Math.max(1, completionWords) },
    finishReason: toolCalls.length > 0 ? 'tool_calls' : ('finishReason' in reply && reply.finishReason) || 'stop',
    chunkSize: reply.chunkSize,
    chunkDelayMs: reply.chunkDelayMs,
  };
}

function usageBody(usage: ScriptedUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/** The fields every completion object and chunk starts with. */
function envelope(completion: PlannedCompletion, object: string): Record<string, unknown> {
  const { id, created, model } = completion;
  return { id, object, created, model, system_fingerprint: 'fp_scripted' };
}

export function completionBody(completion: PlannedCompletion): Record<string, unknown> {
  const toolCalls = completion.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
  const message = { role: 'assistant', content: completion.text, refusal: null, annotations: [], ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) };
  const choice = { index: 0, message, logprobs: null, finish_reason: completion.finishReason };
  return { ...envelope(completion, 'chat.completion'), choices: [choice], usage: usageBody(completion.usage), service_tier: 'default' };
}

export async function streamCompletion(res: ServerResponse, completion: PlannedCompletion, includeUsage: boolean, signal: AbortSignal): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const chunk = (choices: unknown[], usage: ScriptedUsage | null = null): string => {
    const payload = { ...envelope(completion, 'chat.completion.chunk'), choices, ...(includeUsage ? { usage: usage && usageBody(usage) } : {}) };
    return `data: ${JSON.stringify(payload)}\n\n`;
  };
  const delta = (value: Record<string, unknown>, finishReason: string | null = null): string =>
    chunk([{ index: 0, delta: value, logprobs: null, finish_reason: finishReason }]);

  const frames = [delta({ role: 'assistant', content: completion.text === null ? null : '', refusal: null })];
  for (const piece of splitText(completion.text ?? '', completion.chunkSize)) frames.push(delta({ content: piece }));
  completion.toolCalls.forEach((call, index) => {
    // As OpenAI does: id and name open the call, the arguments follow in pieces.
    frames.push(delta({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }));
    for (const piece of splitPieces(call.arguments, completion.chunkSize ?? 8)) {
      frames.push(delta({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  frames.push(delta({}, completion.finishReason));
  if (includeUsage) frames.push(chunk([], completion.usage));
  frames.push('data: [DONE]\n\n');

  for (const [index, frame] of frames.entries()) {
    if (index > 0 && !(await pause(completion.chunkDelayMs, signal))) return;
    if (signal.aborted) return;
    res.write(frame);
  }
  res.end();
}

const DEFAULT_ERRORS: Readonly<Record<number, { type: string; code: string | null; message: string }>> = {
  400: { type: 'invalid_request_error', code: null, message: 'Invalid request.' },
  401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' },
  403: { type: 'permission_error', code: null, message: 'You are not allowed to use this model.' },
  404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist or you do not have access to it.' },
  429: { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests.' },
  500: { type: 'server_error', code: null, message: 'The server had an error while processing your request.' },
  503: { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' },
};

export function errorBody(status: number, message?: string, type?: string, code?: string | null): Record<string, unknown> {
  const defaults = DEFAULT_ERRORS[status];
  return {
    error: {
      message: message ?? defaults?.message ?? `${STATUS_CODES[status] ?? 'Error'} (scripted HTTP ${status}).`,
      type: type ?? defaults?.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
      param: null,
      code: code === undefined ? (defaults?.code ?? null) : code,
    },
  };
}

export function writeJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Waits `ms`; false when the request went away meanwhile, so the caller stops writing. */
export async function pause(ms: number | undefined, signal: AbortSignal): Promise<boolean> {
  if (ms === undefined || ms <= 0) return !signal.aborted;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Word-sized deltas (each keeps its trailing space) unless a chunk size is given. */
function splitText(text: string, chunkSize: number | undefined): string[] {
  if (text === '') return [];
  if (chunkSize !== undefined) return splitPieces(text, chunkSize);
  return text.split(/(?<=\s)(?=\S)/);
}

function splitPieces(text: string, size: number): string[] {
  return text.match(new RegExp(`[\\s\\S]{1,${Math.max(1, Math.floor(size))}}`, 'g')) ?? [];
}

function countWords(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}

/** Text of a message content: a string, or the `text` parts of an array (non-text parts as JSON). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (isObject(part) && typeof part['text'] === 'string' ? part['text'] : JSON.stringify(part))).join(' ');
  }
  return content === undefined || content === null ? '' : JSON.stringify(content);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const entries = Object.entries(req.headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, String(value)]]));
  return Object.fromEntries(entries);
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
