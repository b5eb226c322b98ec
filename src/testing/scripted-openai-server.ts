import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { planCompletion, completionBody, streamCompletion, errorBody, writeJson, pause, contentText, parseObject, flattenHeaders, readBody } from './chat-completion-wire.ts';
import type { ScriptedTextReply, ScriptedReply, ChatCompletionRequestBody, RecordedRequest, ScriptedOpenAIServerOptions } from './scripted-reply.ts';

export type { ScriptedUsage, ScriptedTextReply, ScriptedToolCall, ScriptedToolCallsReply, ScriptedErrorReply, ScriptedHangReply, ScriptedReply, ChatCompletionMessage, ChatCompletionRequestBody, RecordedRequest, ScriptedOpenAIServerOptions } from './scripted-reply.ts';

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

