import { createHash } from 'node:crypto';
import type { SpanRecord, TraceRecord } from './trace-model.ts';

/**
 * Traces as an OTLP/HTTP JSON `ExportTraceServiceRequest` (opentelemetry-proto's JSON mapping: lowerCamelCase keys,
 * hex ids, 64-bit integers as strings, enums as numbers). Attribute names follow the OpenTelemetry GenAI semantic
 * conventions where one exists (`gen_ai.*`); the rest are namespaced `omnicoreagent.*`.
 */

export interface OtlpResource {
  readonly serviceName: string;
  readonly serviceVersion: string;
}

type AnyValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { arrayValue: { values: AnyValue[] } };

export interface OtlpKeyValue {
  readonly key: string;
  readonly value: AnyValue;
}

export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes: OtlpKeyValue[];
  readonly status: { readonly code: number; readonly message?: string };
}

export interface OtlpExportRequest {
  readonly resourceSpans: {
    readonly resource: { readonly attributes: OtlpKeyValue[] };
    readonly scopeSpans: { readonly scope: { readonly name: string; readonly version: string }; readonly spans: OtlpSpan[] }[];
  }[];
}

const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;
const STATUS_CODE = { unset: 0, ok: 1, error: 2 } as const;

/** 32 hex digits: the id's own 32 hex digits when it is `<prefix>_<32 hex>` (so it can be searched for), else a hash. */
export function otlpTraceId(id: string): string {
  const own = /_([0-9a-f]{32})$/.exec(id)?.[1];
  return own ?? hashHex(id, 32);
}

/** 16 hex digits, derived from the span id by hashing (the same span id always gives the same OTLP id). */
export function otlpSpanId(id: string): string {
  return hashHex(id, 16);
}

export function toOtlpExportRequest(traces: readonly TraceRecord[], resource: OtlpResource): OtlpExportRequest {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: attributes({
            'service.name': resource.serviceName,
            'service.version': resource.serviceVersion,
            'telemetry.sdk.name': 'omnicoreagent',
            'telemetry.sdk.language': 'nodejs',
          }),
        },
        scopeSpans: [
          {
            scope: { name: 'omnicoreagent', version: resource.serviceVersion },
            spans: traces.flatMap((trace) => trace.spans.map((span) => toOtlpSpan(trace, span))),
          },
        ],
      },
    ],
  };
}

function toOtlpSpan(trace: TraceRecord, span: SpanRecord): OtlpSpan {
  const start = Date.parse(span.started_at);
  const end = span.ended_at === null ? start : Date.parse(span.ended_at);
  const error = span.error;
  return {
    traceId: otlpTraceId(trace.trace_id),
    spanId: otlpSpanId(span.span_id),
    ...(span.parent_span_id === null ? {} : { parentSpanId: otlpSpanId(span.parent_span_id) }),
    name: spanName(trace, span),
    kind: span.kind === 'serve.request' ? SPAN_KIND.server : span.kind === 'model.call' || span.kind === 'mcp.tool.call' ? SPAN_KIND.client : SPAN_KIND.internal,
    startTimeUnixNano: nanos(start),
    endTimeUnixNano: nanos(end),
    attributes: attributes(spanAttributes(trace, span)),
    status:
      span.status === 'ok'
        ? { code: STATUS_CODE.ok }
        : span.status === 'error' || span.status === 'timeout'
          ? { code: STATUS_CODE.error, message: error?.message ?? span.status }
          : { code: STATUS_CODE.unset },
  };
}

function spanName(trace: TraceRecord, span: SpanRecord): string {
  const a = span.attributes;
  switch (span.kind) {
    case 'agent.run':
      return joined('invoke_agent', trace.metadata.agent_name);
    case 'model.call':
      return joined('chat', a['model']);
    case 'tool.call':
    case 'mcp.tool.call':
      return joined('execute_tool', a['tool_name']);
    case 'serve.request':
      return joined(String(a['method'] ?? 'POST'), a['path']);
    default:
      return span.name;
  }
}

function spanAttributes(trace: TraceRecord, span: SpanRecord): Record<string, unknown> {
  const a = span.attributes;
  const usage = span.token_usage;
  const common: Record<string, unknown> = {
    'omnicoreagent.trace_id': trace.trace_id,
    'omnicoreagent.span_id': span.span_id,
    'omnicoreagent.span.kind': span.kind,
    'omnicoreagent.run_id': trace.run_id,
    'gen_ai.conversation.id': trace.session_id,
    'gen_ai.usage.input_tokens': usage?.prompt_tokens,
    'gen_ai.usage.output_tokens': usage?.completion_tokens,
    'error.type': span.error?.type,
  };
  switch (span.kind) {
    case 'agent.run':
      return { ...common, 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': trace.metadata.agent_name };
    case 'model.call':
      return {
        ...common,
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': a['provider'],
        'gen_ai.provider.name': a['provider'],
        'gen_ai.request.model': a['model'],
        'gen_ai.response.finish_reasons': typeof a['finish_reason'] === 'string' ? [a['finish_reason']] : undefined,
      };
    case 'tool.call':
    case 'mcp.tool.call':
      return {
        ...common,
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': a['tool_name'],
        'gen_ai.tool.call.id': a['tool_call_id'],
        'gen_ai.tool.type': span.kind === 'mcp.tool.call' ? 'extension' : 'function',
        'omnicoreagent.mcp.server': a['mcp_server'],
      };
    case 'serve.request':
      return { ...common, 'http.request.method': a['method'], 'url.path': a['path'], 'omnicoreagent.streaming': a['streaming'] };
    default:
      return common;
  }
}

/** Attributes with a value of a type OTLP carries; null and undefined ones are left out. */
function attributes(values: Record<string, unknown>): OtlpKeyValue[] {
  const out: OtlpKeyValue[] = [];
  for (const [key, value] of Object.entries(values)) {
    const encoded = anyValue(value);
    if (encoded !== null) out.push({ key, value: encoded });
  }
  return out;
}

function anyValue(value: unknown): AnyValue | null {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number' && Number.isFinite(value)) {
    return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  }
  if (Array.isArray(value)) {
    const values = value.map(anyValue).filter((item): item is AnyValue => item !== null);
    return { arrayValue: { values } };
  }
  return null;
}

function joined(operation: string, subject: unknown): string {
  return typeof subject === 'string' && subject !== '' ? `${operation} ${subject}` : operation;
}

function nanos(ms: number): string {
  return (BigInt(Number.isFinite(ms) ? Math.round(ms) : 0) * 1_000_000n).toString();
}

function hashHex(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}
