import { randomBytes } from 'node:crypto';
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Token counts a reply reports; the server estimates them (in words, never zero) when a reply leaves them out. */
export interface ScriptedUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

interface ReplyTiming {
  /** Milliseconds to wait before the response starts (before the status line is sent). */
  readonly delayMs?: number;
}

/** `chunkSize`: characters per streamed delta (default: a word of text, 8 characters of arguments); `chunkDelayMs`: pause between chunks. */
interface ReplyStreaming {
  readonly chunkSize?: number;
  readonly chunkDelayMs?: number;
}

export interface ScriptedTextReply extends ReplyTiming, ReplyStreaming {
  readonly text: string;
  readonly usage?: ScriptedUsage;
  readonly finishReason?: 'stop' | 'length' | 'content_filter';
}

export interface ScriptedToolCall {
  readonly name: string;
  /** An object is sent JSON-encoded; a string is sent as is (so a test can send malformed arguments). */
  readonly arguments: Readonly<Record<string, unknown>> | string;
  /** Defaults to a fresh `call_<hex>`. */
  readonly id?: string;
}

export interface ScriptedToolCallsReply extends ReplyTiming, ReplyStreaming {
  readonly toolCalls: readonly ScriptedToolCall[];
  /** Text the model says before calling the tools. */
  readonly text?: string;
  readonly usage?: ScriptedUsage;
}

export interface ScriptedErrorReply extends ReplyTiming {
  readonly error: {
    readonly status: number;
    readonly message?: string;
    /** OpenAI's `error.type`; defaults by status (`invalid_request_error`, `requests`, `server_error`, ...). */
    readonly type?: string;
    readonly code?: string;
    /** For example `{ 'retry-after-ms': '0' }`, which makes the AI SDK retry without its 2 s backoff. */
    readonly headers?: Readonly<Record<string, string>>;
  };
}

/** Never answers: the request stays open until the client aborts or the server closes. */
export interface ScriptedHangReply extends ReplyTiming { readonly hang: true }

/** What the server answers one chat completion with; told apart by `hang`, `error`, `toolCalls` or `text`. */
export type ScriptedReply = ScriptedTextReply | ScriptedToolCallsReply | ScriptedErrorReply | ScriptedHangReply;

export interface ChatCompletionMessage {
  readonly role: string;
  readonly content?: unknown;
  readonly [key: string]: unknown;
}

/** The JSON body of a chat completion request, as the client sent it. */
export interface ChatCompletionRequestBody {
  readonly model?: string;
  readonly messages?: readonly ChatCompletionMessage[];
  readonly stream?: boolean;
  readonly stream_options?: { readonly include_usage?: boolean };
  readonly tools?: readonly unknown[];
  readonly [key: string]: unknown;
}

export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string, for example `/v1/chat/completions`. */
  readonly path: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body, or undefined when there was none or it was not JSON. */
  readonly body: ChatCompletionRequestBody | undefined;
  readonly receivedAt: Date;
  /** The reply chosen for a chat completion; undefined for other paths. */
  readonly reply: ScriptedReply | undefined;
  /** True once the client went away before the response was complete (abort, timeout, disconnect). */
  readonly aborted: boolean;
  /** True once the response was completely written. */
  readonly finished: boolean;
}

export interface ScriptedOpenAIServerOptions {
  /** Defaults to an ephemeral port. */
  readonly port?: number;
  /** Answers requests once the queue is empty; defaults to echoing the last user message. */
  readonly fallback?: ScriptedReply | ((request: RecordedRequest) => ScriptedReply);
  /** When set, requests without `Authorization: Bearer <apiKey>` get a 401 like OpenAI's. */
  readonly apiKey?: string;
  /** Ids listed by `GET /v1/models`. */
  readonly models?: readonly string[];
}

type MutableRecord = { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] };

/** The default reply: `echo: <text of the last user message>`. */
export function echoReply(request: RecordedRequest): ScriptedTextReply {
  const lastUser = [...(request.body?.messages ?? [])].reverse().find((message) => message.role === 'user');
  return { text: `echo: ${lastUser === undefined ? '' : contentText(lastUser.content)}` };
}

/**
 * An OpenAI-compatible HTTP server that answers from a script, for tests that must go through a real provider
 * client over real HTTP (retries, streaming, aborts) without a network or a key.
 */
export class ScriptedOpenAIServer {
  readonly #server: Server;
  readonly #options: ScriptedOpenAIServerOptions;
  readonly #queue: ScriptedReply[] = [];
  readonly #watchers = new Set<() => void>();
  #requests: MutableRecord[] = [];
  #closing = false;
  #port = 0;

  private constructor(server: Server, options: ScriptedOpenAIServerOptions) {
    this.#server = server;
    this.#options = options;
  }

  static async start(options: ScriptedOpenAIServerOptions = {}): Promise<ScriptedOpenAIServer> {
    const server = createServer();
    const scripted = new ScriptedOpenAIServer(server, options);
    server.on('request', (req, res) => {
      scripted.#handle(req, res).catch((error: unknown) => {
        // A bug in the double must fail the test loudly rather than leave the client waiting.
        if (!res.headersSent) writeJson(res, 500, errorBody(500, String(error)));
        res.end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    // Kept so `baseUrl` still names the (now refusing) address after close, which tests of unreachable hosts use.
    scripted.#port = (server.address() as AddressInfo).port;
    return scripted;
  }

  get port(): number {
    return this.#port;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** Every request received since start or the last `reset()`, oldest first. */
  get requests(): readonly RecordedRequest[] {
    return this.#requests;
  }

  /** Replies queued and not yet used. */
  get pendingReplies(): number {
    return this.#queue.length;
  }

  /** Queues replies for the next chat completions, first in first out. */
  enqueue(...replies: ScriptedReply[]): void {
    this.#queue.push(...replies);
  }

  /** Forgets queued replies and recorded requests. */
  reset(): void {
    this.#queue.length = 0;
    this.#requests = [];
  }

  /** Resolves once `predicate` holds for the recorded requests; aborts are noticed a moment after the client acts. */
  async waitFor(predicate: (requests: readonly RecordedRequest[]) => boolean, timeoutMs = 5_000): Promise<void> {
    if (predicate(this.#requests)) return;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this.#requests)) return;
        clearTimeout(timer);
        this.#watchers.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#watchers.delete(check);
        reject(new Error(`ScriptedOpenAIServer.waitFor: not met within ${timeoutMs} ms (${this.#requests.length} requests)`));
      }, timeoutMs);
      this.#watchers.add(check);
    });
  }

  /** Stops listening and ends every open response, hanging and streaming ones included. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  #notify(): void {
    for (const watcher of [...this.#watchers]) watcher();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parseObject(await readBody(req)) as ChatCompletionRequestBody | undefined;
    const record: MutableRecord = {
      method: req.method ?? 'GET',
      path: new URL(req.url ?? '/', 'http://127.0.0.1').pathname,
      headers: flattenHeaders(req),
      body,
      receivedAt: new Date(),
      reply: undefined,
      aborted: false,
      finished: false,
    };
    this.#requests.push(record);
    const controller = new AbortController();
    res.on('close', () => {
      record.finished = res.writableFinished;
      if (!res.writableFinished && !this.#closing) record.aborted = true;
      controller.abort();
      this.#notify();
    });
    this.#notify();

    const route = `${record.method} ${record.path.replace(/\/+$/, '')}`;
    if (route === 'GET /v1/models') {
      const created = Math.floor(Date.now() / 1000);
      const ids = this.#options.models ?? ['scripted-model'];
      writeJson(res, 200, { object: 'list', data: ids.map((id) => ({ id, object: 'model', created, owned_by: 'omnicoreagent' })) });
      return;
    }
    if (route !== 'POST /v1/chat/completions') {
      return writeJson(res, 404, errorBody(404, `Invalid URL (${record.method} ${record.path})`, 'invalid_request_error', null));
    }
    const { apiKey } = this.#options;
    if (apiKey !== undefined && record.headers['authorization'] !== `Bearer ${apiKey}`) return writeJson(res, 401, errorBody(401));
    if (!Array.isArray(body?.messages)) {
      const message = body === undefined ? 'We could not parse the JSON body of your request.' : "Missing required parameter: 'messages'.";
      return writeJson(res, 400, errorBody(400, message));
    }
    const reply = this.#nextReply(record);
    record.reply = reply;
    await this.#answer(body, reply, res, controller.signal);
  }

  #nextReply(record: RecordedRequest): ScriptedReply {
    const queued = this.#queue.shift();
    if (queued !== undefined) return queued;
    const fallback = this.#options.fallback;
    if (fallback === undefined) return echoReply(record);
    return typeof fallback === 'function' ? fallback(record) : fallback;
  }

  async #answer(body: ChatCompletionRequestBody, reply: ScriptedReply, res: ServerResponse, signal: AbortSignal): Promise<void> {
    if (!(await pause(reply.delayMs, signal))) return;
    if ('hang' in reply) return; // the close handler ends it
    if ('error' in reply) {
      const { status, message, type, code, headers } = reply.error;
      writeJson(res, status, errorBody(status, message, type, code), headers);
      return;
    }
    const completion = planCompletion(body, reply);
    if (body.stream === true) await streamCompletion(res, completion, body.stream_options?.include_usage === true, signal);
    else writeJson(res, 200, completionBody(completion));
  }
}

type PlannedCompletion = ReturnType<typeof planCompletion>;

/** Everything one answer needs, fixed before the first byte so the streamed and plain forms say the same. */
function planCompletion(body: ChatCompletionRequestBody, reply: ScriptedTextReply | ScriptedToolCallsReply) {
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

function completionBody(completion: PlannedCompletion): Record<string, unknown> {
  const toolCalls = completion.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
  const message = { role: 'assistant', content: completion.text, refusal: null, annotations: [], ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) };
  const choice = { index: 0, message, logprobs: null, finish_reason: completion.finishReason };
  return { ...envelope(completion, 'chat.completion'), choices: [choice], usage: usageBody(completion.usage), service_tier: 'default' };
}

async function streamCompletion(res: ServerResponse, completion: PlannedCompletion, includeUsage: boolean, signal: AbortSignal): Promise<void> {
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

function errorBody(status: number, message?: string, type?: string, code?: string | null): Record<string, unknown> {
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

function writeJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Waits `ms`; false when the request went away meanwhile, so the caller stops writing. */
async function pause(ms: number | undefined, signal: AbortSignal): Promise<boolean> {
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
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (isObject(part) && typeof part['text'] === 'string' ? part['text'] : JSON.stringify(part))).join(' ');
  }
  return content === undefined || content === null ? '' : JSON.stringify(content);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const entries = Object.entries(req.headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, String(value)]]));
  return Object.fromEntries(entries);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
