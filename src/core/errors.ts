/**
 * The error catalogue: every error the server can answer with, its HTTP status and the JSON shape of its body.
 * Handlers throw `OmniError`; one error handler turns it into the documented body. No route builds error JSON.
 */
export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: { status: 422, shape: 'detail', description: 'The request body, path or query did not match its schema.' },
  NOT_FOUND: { status: 404, shape: 'detail', description: 'The named resource does not exist.' },
  CONFLICT: { status: 409, shape: 'detail', description: 'The request conflicts with the current state.' },
  RUN_FAILED: { status: 500, shape: 'detail', description: 'The agent run raised an error; detail holds its (redacted) message.' },
  RUN_TIMEOUT: { status: 504, shape: 'detail', description: 'The run did not finish within OMNICOREAGENT_SERVE_REQUEST_TIMEOUT.' },
  BACKGROUND_DISABLED: { status: 503, shape: 'detail', description: 'Background execution is disabled.' },
  BACKGROUND_WAIT_TIMEOUT: { status: 504, shape: 'detail', description: 'The background run did not finish within the wait budget (request timeout - 0.25 s); detail holds its run_id, task_id and status.' },
  UNAUTHORIZED: { status: 401, shape: 'envelope', error: 'Unauthorized', description: 'Missing or wrong Bearer token.' },
  RATE_LIMITED: { status: 429, shape: 'envelope', error: 'TooManyRequests', description: 'Too many requests from this client in the window.' },
  SHUTTING_DOWN: { status: 503, shape: 'envelope', error: 'ServiceUnavailable', description: 'The server is shutting down; retry, and reach another instance.' },
  SERVER_BUSY: { status: 503, shape: 'envelope', error: 'ServerBusy', description: 'Every run slot is taken; retry after Retry-After seconds.' },
  GATEWAY_TIMEOUT: { status: 504, shape: 'envelope', error: 'GatewayTimeout', description: 'The response took longer than the request timeout.' },
  PAYLOAD_TOO_LARGE: { status: 413, shape: 'envelope', error: 'PayloadTooLarge', description: 'The request body is larger than the limit.' },
  BAD_REQUEST: { status: 400, shape: 'envelope', error: 'BadRequest', description: 'The request could not be read (for example a Content-Length that does not match the body).' },
  WORKSPACE_UNREACHABLE: { status: 503, shape: 'envelope', error: 'WorkspaceUnreachable', description: "The run workspace's bucket (S3 or R2) did not answer in time or refused the connection; message, backend, bucket and endpoint say which." },
  WORKSPACE_REFUSED: { status: 502, shape: 'envelope', error: 'WorkspaceRefused', description: "The run workspace's bucket answered with an error (it does not exist, or refuses the credentials); message, backend, bucket and endpoint say which." },
  ROUTE_NOT_FOUND: { status: 404, shape: 'detail', description: 'No route matches the method and path.' },
  INTERNAL: { status: 500, shape: 'envelope', error: 'InternalServerError', description: 'An unexpected server error.' },
} as const satisfies Record<string, ErrorSpec>;

export interface ErrorSpec {
  readonly status: number;
  /** `detail`: `{"detail": ...}`; `envelope`: `{"error", "message", ...extra}`. */
  readonly shape: 'detail' | 'envelope';
  readonly error?: string;
  readonly description: string;
}

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface OmniErrorOptions {
  /** For `detail` errors: the value of `detail` (a string or an object); defaults to the message. */
  readonly detail?: unknown;
  /** Extra top-level keys of an `envelope` body (for example `retry_after`). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Response headers to send with the error (for example `Retry-After`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

export class OmniError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: unknown;
  readonly extra: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message: string, options: OmniErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OmniError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.detail = options.detail ?? message;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }

  /** The JSON body the HTTP layer sends for this error. */
  toBody(): Record<string, unknown> {
    const spec: ErrorSpec = ERROR_CATALOGUE[this.code];
    if (spec.shape === 'detail') return { detail: this.detail };
    return { error: spec.error, message: this.message, ...this.extra };
  }
}

/** A configuration problem found at start-up; `problems` lists every one, each naming the variable. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
