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
