import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { OmniError } from '../core/errors.ts';
import { scrubSecrets } from '../llm/describe-provider-error.ts';
import { WorkspaceUnavailableError } from '../workspace/workspace-errors.ts';

/**
 * The one place errors become HTTP bodies. Framework errors (bad JSON, body too large, wrong content type) are
 * mapped into the catalogue too, so every error a client sees has a documented shape.
 */
export function toOmniError(error: unknown): OmniError {
  if (error instanceof OmniError) return error;
  if (error instanceof WorkspaceUnavailableError) {
    const { kind, backend, bucket, endpoint } = error;
    return new OmniError(kind === 'refused' ? 'WORKSPACE_REFUSED' : 'WORKSPACE_UNREACHABLE', error.message, { extra: { backend, bucket, endpoint }, cause: error });
  }
  const code = (error as FastifyError | undefined)?.code;
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': {
      const reason = code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'the body is empty' : 'the body is not valid JSON';
      return new OmniError('VALIDATION_FAILED', 'JSON decode error', {
        detail: [{ type: 'json_invalid', loc: ['body'], msg: 'JSON decode error', input: {}, ctx: { error: reason } }],
      });
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new OmniError('VALIDATION_FAILED', 'Unsupported content type', {
        detail: [{ type: 'model_attributes_type', loc: ['body'], msg: 'Send the body as JSON with Content-Type: application/json', input: null }],
      });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new OmniError('PAYLOAD_TOO_LARGE', 'Request body is too large', {
        extra: { detail: 'Request body is larger than OMNICOREAGENT_SERVE_BODY_LIMIT_BYTES allows' },
      });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new OmniError('BAD_REQUEST', 'Content-Length does not match the body');
    case 'FST_ERR_BAD_URL':
      return new OmniError('BAD_REQUEST', 'The URL is not valid (check its percent-encoding)');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new OmniError('VALIDATION_FAILED', 'A path parameter is too long', {
        detail: [{ type: 'string_too_long', loc: ['path'], msg: 'A path parameter is longer than 1024 characters', input: null }],
      });
    default:
      break;
  }
  const status = (error as FastifyError | undefined)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new OmniError('BAD_REQUEST', scrubSecrets((error as Error).message));
  }
  const text = error instanceof Error ? error.message : String(error);
  return new OmniError('INTERNAL', 'An internal server error occurred', { extra: { detail: scrubSecrets(text) }, cause: error });
}

export async function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const omni = toOmniError(error);
  if (reply.raw.destroyed) {
    // The client went away (its run was cancelled for it): nobody to answer, and nothing for an operator to fix.
    request.log.info({ status: omni.status }, 'client disconnected before the answer');
    return;
  }
  if (omni.status >= 500) {
    request.log.error({ err: { type: (error as Error)?.name, message: scrubSecrets(String((error as Error)?.message ?? error)) } }, 'request failed');
  }
  await reply.status(omni.status).headers(omni.headers).send(omni.toBody());
}

/** Answers a request Node could not parse, on the raw socket (there is no request object to reply through). */
export function answerClientError(error: Error & { code?: string }, socket: import('node:net').Socket): void {
  if (!socket.writable) return;
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const omni = tooLarge
    ? new OmniError('BAD_REQUEST', 'The request headers are too large')
    : new OmniError('BAD_REQUEST', 'The request could not be parsed as HTTP');
  const body = JSON.stringify(omni.toBody());
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
