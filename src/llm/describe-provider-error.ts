import { APICallError, RetryError } from 'ai';
import { resolveProviderName } from './model-config.ts';
import { apiKeyVariablesText } from './provider-key-variables.ts';
import { scrubSecrets } from './scrub-secrets.ts';

export { scrubSecrets } from './scrub-secrets.ts';

/** Socket error codes (Node and undici) a person understands better as words. */
const NETWORK_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ConnectionRefused: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body stalled',
  ECONNRESET: 'connection reset',
  UND_ERR_SOCKET: 'connection closed by the server',
  EPIPE: 'connection closed by the server',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
};

/**
 * One sentence saying what went wrong with a model call and what to do about it, for logs and API error bodies.
 * Understands the AI SDK's `APICallError` (HTTP status, unreachable host) and `RetryError` (reports the attempt
 * count and the last failure). Secrets are scrubbed from the result.
 */
export function describeProviderError(error: unknown, provider: string): string {
  const who = `Model provider "${provider}"`;
  let last = error;
  let attempts = 1;
  if (RetryError.isInstance(error)) {
    attempts = error.errors.length;
    last = error.lastError;
    if (error.reason === 'abort') return `The call to model provider "${provider}" was aborted.`;
  }
  return scrubSecrets(describeOne(last, who, provider, attempts));
}

function describeOne(error: unknown, who: string, provider: string, attempts: number): string {
  const after = attempts > 1 ? ` after ${attempts} attempts` : '';
  if (isNamed(error, 'TimeoutError')) return `${who} did not answer in time (the call timed out)${after}.`;
  if (isNamed(error, 'AbortError') || isNamed(error, 'ResponseAborted')) return `The call to model provider "${provider}" was aborted.`;
  if (!APICallError.isInstance(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return `${who} call failed${after}: ${sentence(message)}`;
  }

  const status = error.statusCode;
  if (status === undefined) {
    const reason = networkReason(error) ?? error.message.replace(/^Cannot connect to API:\s*/, '');
    return `${who} could not be reached at ${displayUrl(error.url)}${after}: ${sentence(reason)} Check LLM_BASE_URL and that the server is running.`;
  }
  const message = sentence(providerMessage(error));
  if (status === 401) return `${who} rejected the API key (HTTP 401)${after}: ${message} Check ${keyHint(provider)}.`;
  if (status === 403) return `${who} refused the request (HTTP 403)${after}: ${message} Check that the API key may use this model.`;
  if (status === 404) return `${who} answered HTTP 404${after}: ${message} Check the model name and the base URL.`;
  if (status === 429) return `${who} is rate limiting requests (HTTP 429)${after}: ${message}`;
  if (status >= 500) return `${who} failed with HTTP ${status}${after}: ${message}`;
  return `${who} rejected the request (HTTP ${status})${after}: ${message}`;
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

function providerMessage(error: APICallError): string {
  const message = error.message.trim();
  if (message !== '') return message;
  const body = error.responseBody?.trim() ?? '';
  return body === '' ? 'no error message' : body.slice(0, 300);
}

/** Walks the cause chain for a socket error code; undici nests it one or two levels down. */
function networkReason(error: Error): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_REASONS[code] !== undefined) return NETWORK_REASONS[code];
    current = current.cause ?? (current instanceof AggregateError ? current.errors[0] : undefined);
  }
  return undefined;
}

/** The request URL without its query string, which some providers use for keys. */
function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url;
  }
}

function keyHint(provider: string): string {
  const known = resolveProviderName(provider);
  return known === undefined ? 'the API key' : apiKeyVariablesText(known);
}

/** Ends the text with one full stop, so messages quoted from providers join cleanly with what follows. */
function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
