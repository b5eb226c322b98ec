import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { otlpSpanId, otlpTraceId, type OtlpExportRequest, type OtlpSpan } from './otlp-encoding.ts';
import { OtlpTraceExporter } from './otlp-trace-exporter.ts';
import type { SpanRecord, TraceRecord } from './trace-model.ts';

interface Received {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: OtlpExportRequest;
}

/** A loopback OTLP/HTTP receiver recording each request; answers `status`. */
async function startReceiver(status = 200): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(text) as OtlpExportRequest });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, received, server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function span(overrides: Partial<SpanRecord>): SpanRecord {
  return {
    trace_id: 'trace_0123456789abcdef0123456789abcdef', name: 'agent.run', kind: 'agent.run', actor: { type: 'agent' },
    span_id: 'span_root', parent_span_id: null, status: 'ok', started_at: '2030-01-01T00:00:00.000Z',
    ended_at: '2030-01-01T00:00:01.500Z', duration_ms: 1500, input: null, output: null, error: null, token_usage: null,
    estimated_cost_usd: null, attributes: {}, event_ids: [], ...overrides,
  };
}

function sampleTrace(): TraceRecord {
  return {
    trace_id: 'trace_0123456789abcdef0123456789abcdef', root_span_id: 'span_root', status: 'completed',
    started_at: '2030-01-01T00:00:00.000Z', ended_at: '2030-01-01T00:00:01.500Z', run_id: 'run_1', session_id: 'S1',
    task_id: null, suite_id: null, agent_id: null, workflow_id: null,
    metadata: {
      agent_name: 'Bot', agent_version: null, model_provider: 'openai', model: 'gpt-x', prompt_version: null,
      tool_schema_version: null, memory_config_version: null, constraint_config_version: null, tags: [],
    },
    spans: [
      span({ token_usage: { prompt_tokens: 13, completion_tokens: 3, total_tokens: 16 } }),
      span({
        name: 'model.call', kind: 'model.call', span_id: 'span_model', parent_span_id: 'span_root',
        token_usage: { prompt_tokens: 6, completion_tokens: 2, total_tokens: 8 },
        attributes: { model: 'gpt-x', provider: 'openai', finish_reason: 'tool-calls' },
      }),
      span({
        name: 'tool.call', kind: 'tool.call', span_id: 'span_tool', parent_span_id: 'span_root', status: 'error',
        error: { type: 'ToolError', message: 'bad input' }, attributes: { tool_name: 'add', tool_call_id: 'call_1' },
      }),
    ],
  };
}

const attr = (s: OtlpSpan | undefined, key: string) => s?.attributes.find((a) => a.key === key)?.value;

describe('OtlpTraceExporter', () => {
  it('POSTs finished spans as OTLP/HTTP JSON to <endpoint>/v1/traces with GenAI attribute names', async () => {
    const receiver = await startReceiver();
    servers.push(receiver.server);
    const exporter = new OtlpTraceExporter({ endpoint: receiver.url, flushIntervalMs: 10 });
    exporter.export(sampleTrace());
    await vi.waitFor(() => expect(receiver.received).toHaveLength(1));
    const [request] = receiver.received;
    expect(request?.path).toBe('/v1/traces');
    expect(request?.contentType).toBe('application/json');
    const resource = request?.body.resourceSpans[0];
    expect(resource?.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'omniserve' } });
    const spans = resource?.scopeSpans[0]?.spans ?? [];
    expect(spans.map((s) => s.name)).toEqual(['invoke_agent Bot', 'chat gpt-x', 'execute_tool add']);
    const [root, model, tool] = spans;
    expect(root?.traceId).toBe('0123456789abcdef0123456789abcdef');
    expect(spans.every((s) => /^[0-9a-f]{16}$/.test(s.spanId) && s.traceId === root?.traceId)).toBe(true);
    expect(model?.parentSpanId).toBe(root?.spanId);
    expect(root?.parentSpanId).toBeUndefined();
    expect(root).toMatchObject({ startTimeUnixNano: '1893456000000000000', endTimeUnixNano: '1893456001500000000', status: { code: 1 } });
    expect(attr(model, 'gen_ai.operation.name')).toEqual({ stringValue: 'chat' });
    expect(attr(model, 'gen_ai.system')).toEqual({ stringValue: 'openai' });
    expect(attr(model, 'gen_ai.request.model')).toEqual({ stringValue: 'gpt-x' });
    expect(attr(model, 'gen_ai.usage.input_tokens')).toEqual({ intValue: '6' });
    expect(attr(model, 'gen_ai.usage.output_tokens')).toEqual({ intValue: '2' });
    expect(attr(model, 'gen_ai.response.finish_reasons')).toEqual({ arrayValue: { values: [{ stringValue: 'tool-calls' }] } });
    expect(model?.kind).toBe(3);
    expect(attr(tool, 'gen_ai.tool.name')).toEqual({ stringValue: 'add' });
    expect(attr(tool, 'gen_ai.tool.call.id')).toEqual({ stringValue: 'call_1' });
    expect(attr(tool, 'error.type')).toEqual({ stringValue: 'ToolError' });
    expect(tool?.status).toEqual({ code: 2, message: 'bad input' });
    expect(attr(root, 'gen_ai.agent.name')).toEqual({ stringValue: 'Bot' });
    expect(attr(root, 'gen_ai.conversation.id')).toEqual({ stringValue: 'S1' });
    await exporter.close();
  });

  it('batches: a full batch goes at once, the rest on close', async () => {
    const receiver = await startReceiver();
    servers.push(receiver.server);
    const exporter = new OtlpTraceExporter({ endpoint: receiver.url, batchSize: 2, flushIntervalMs: 60_000 });
    for (let i = 0; i < 5; i += 1) exporter.export({ ...sampleTrace(), trace_id: `trace_${i}` });
    await exporter.close();
    expect(receiver.received.map((r) => r.body.resourceSpans[0]?.scopeSpans[0]?.spans.length)).toEqual([6, 6, 3]);
  });

  it('reports failures and a full queue instead of throwing', async () => {
    const receiver = await startReceiver(503);
    servers.push(receiver.server);
    const onError = vi.fn();
    const exporter = new OtlpTraceExporter({ endpoint: receiver.url, onError, maxQueue: 2, flushIntervalMs: 60_000, batchSize: 10 });
    for (let i = 0; i < 3; i += 1) exporter.export(sampleTrace());
    await exporter.close();
    expect(onError).toHaveBeenCalledWith(expect.stringContaining('queue full'), null);
    expect(onError).toHaveBeenCalledWith(expect.stringContaining('answered HTTP 503; 2 traces dropped'), null);
    const unreachable = new OtlpTraceExporter({ endpoint: 'http://127.0.0.1:9', onError, timeoutMs: 2_000 });
    unreachable.export(sampleTrace());
    await unreachable.close();
    expect(onError).toHaveBeenCalledWith(expect.stringContaining('failed; 1 traces dropped'), expect.any(Error));
  });

  it('converts ids deterministically to the OTLP lengths', () => {
    expect(otlpTraceId('trace_0123456789abcdef0123456789abcdef')).toBe('0123456789abcdef0123456789abcdef');
    expect(otlpTraceId('trace_background_run_1')).toMatch(/^[0-9a-f]{32}$/);
    expect(otlpTraceId('trace_background_run_1')).toBe(otlpTraceId('trace_background_run_1'));
    expect(otlpSpanId('span_a')).toMatch(/^[0-9a-f]{16}$/);
    expect(otlpSpanId('span_a')).toBe(otlpSpanId('span_a'));
    expect(otlpSpanId('span_a')).not.toBe(otlpSpanId('span_b'));
  });
});
