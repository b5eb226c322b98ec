/**
 * OTLP export (issue 4 item 6): with OTEL_EXPORTER_OTLP_ENDPOINT set, the spans of every finished trace reach the
 * collector at <endpoint>/v1/traces as OTLP/HTTP JSON. The collector here is a loopback HTTP receiver.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OtlpExportRequest } from '../../src/telemetry/otlp-encoding.ts';
import { ScriptedOpenAIServer } from '../../src/testing/scripted-openai-server.ts';
import { scriptedAgent, serve } from '../support/serve-fixture.ts';

let llm: ScriptedOpenAIServer;
let collector: Server;
let endpoint: string;
const received: { path: string; body: OtlpExportRequest }[] = [];

beforeAll(async () => {
  llm = await ScriptedOpenAIServer.start();
  collector = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(text) as OtlpExportRequest });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await llm.close();
  await new Promise((resolve) => collector.close(resolve));
});

describe('OTLP export', () => {
  it('sends the agent and serve spans of a run to the collector named by OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const server = serve(scriptedAgent(llm), {}, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
    llm.enqueue({ text: 'exported', usage: { promptTokens: 9, completionTokens: 4 } });
    const run = (await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'q', session_id: 'O' } })).json();
    await server.stop(); // flushes the exporter
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((r) => r.path === '/v1/traces')).toBe(true);
    const spans = received.flatMap((r) => r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
    expect(spans.map((s) => s.name).sort()).toEqual(['POST /run/sync', 'chat scripted-model', 'invoke_agent TestAgent']);
    const model = spans.find((s) => s.name === 'chat scripted-model');
    expect(model?.attributes).toEqual(
      expect.arrayContaining([
        { key: 'gen_ai.usage.input_tokens', value: { intValue: '9' } },
        { key: 'gen_ai.usage.output_tokens', value: { intValue: '4' } },
        { key: 'gen_ai.request.model', value: { stringValue: 'scripted-model' } },
        { key: 'omnicoreagent.run_id', value: { stringValue: run.run_id } },
      ]),
    );
    expect(model?.traceId).toBe(String(run.trace_id).replace('trace_', ''));
    expect(spans.find((s) => s.name === 'POST /run/sync')?.kind).toBe(2);
  });

  it('is off unless the endpoint is set, and a malformed endpoint fails at start', async () => {
    received.length = 0;
    const server = serve(scriptedAgent(llm));
    llm.enqueue({ text: 'not exported' });
    await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'q' } });
    await server.stop();
    expect(received).toEqual([]);
    expect(() => serve(scriptedAgent(llm), {}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT must be an http:\/\/ or https:\/\/ URL/,
    );
  });
});
