import { describe, expect, it } from 'vitest';
import { createTelemetryEvent, type TelemetryEvent } from '../../telemetry/telemetry-event.ts';
import { ServeMetrics } from './serve-metrics.ts';

const idle = { inFlight: 0, waiting: 0, limit: 24, rejected: 0 };

function event(type: string, runId: string, extra: Partial<TelemetryEvent> = {}): TelemetryEvent {
  return createTelemetryEvent({
    trace_id: 't',
    event_type: type,
    actor: { type: 'model' },
    sequence_number: 0,
    metadata: { run_id: runId },
    ...extra,
  });
}

function sample(text: string, name: string): string | undefined {
  return text.split('\n').find((line) => line.startsWith(`${name} `))?.slice(name.length + 1);
}

describe('ServeMetrics', () => {
  it('starts at zero, with the run gauges read from admission at scrape time', async () => {
    let snapshot = idle;
    const metrics = new ServeMetrics({ admission: () => snapshot });
    let text = await metrics.render();
    expect(sample(text, 'omniserve_requests_total')).toBe('0');
    expect(sample(text, 'omniserve_runs_limit')).toBe('24');
    expect(text).not.toContain('omniserve_request_duration_seconds');
    snapshot = { inFlight: 3, waiting: 2, limit: 24, rejected: 7 };
    text = await metrics.render();
    expect(sample(text, 'omniserve_runs_in_flight')).toBe('3');
    expect(sample(text, 'omniserve_runs_waiting')).toBe('2');
    expect(sample(text, 'omniserve_runs_rejected_total')).toBe('7');
    expect(text).toContain('# TYPE omniserve_runs_rejected_total counter');
  });

  it('counts requests by outcome and route template', async () => {
    const metrics = new ServeMetrics({ admission: () => idle });
    metrics.requestStarted();
    metrics.requestFinished('/run/sync', 200, 0.5);
    metrics.requestStarted();
    metrics.requestFinished(undefined, 404, 0.001);
    metrics.requestStarted();
    const text = await metrics.render();
    expect(sample(text, 'omniserve_requests_total')).toBe('2');
    expect(sample(text, 'omniserve_requests_success')).toBe('1');
    expect(sample(text, 'omniserve_requests_error')).toBe('1');
    expect(sample(text, 'omniserve_active_requests')).toBe('1');
    expect(sample(text, 'omniserve_requests_run_sync_total')).toBe('1');
    expect(sample(text, 'omniserve_requests_unmatched_total')).toBe('1');
    expect(sample(text, 'omniserve_request_duration_seconds_count')).toBe('2');
    expect(sample(text, 'omniserve_request_duration_seconds_sum')).toBe('0.501000');
    expect(sample(text, 'omniserve_request_duration_seconds_avg')).toBe('0.250500');
  });

  it("observes a run from its own events: first token, tokens, tool calls and errors, duration by outcome", async () => {
    const metrics = new ServeMetrics({ admission: () => idle });
    const run = metrics.startRun('run_a');
    run.event(event('text_delta', 'run_a'));
    run.event(event('text_delta', 'run_a'));
    run.event(event('model_response', 'run_a', { token_usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 } }));
    run.event(event('tool_call', 'run_a'));
    run.event(event('mcp_tool_call', 'run_a'));
    run.event(event('mcp_tool_call', 'run_a'));
    run.event(event('tool_error', 'run_a'));
    run.event(event('mcp_tool_error', 'run_a'));
    // Another run's events are that run's business.
    run.event(event('model_response', 'run_b', { token_usage: { prompt_tokens: 100, completion_tokens: 100, total_tokens: 200 } }));
    run.event(event('tool_call', 'run_b'));
    run.finish('success');
    run.finish('error');
    metrics.startRun('run_c').finish('timeout');
    const text = await metrics.render();
    expect(sample(text, 'omniserve_run_time_to_first_token_seconds_count')).toBe('1');
    expect(sample(text, 'omniserve_input_tokens_total')).toBe('11');
    expect(sample(text, 'omniserve_output_tokens_total')).toBe('4');
    expect(sample(text, 'omniserve_tool_calls_total{source="local"}')).toBe('1');
    expect(sample(text, 'omniserve_tool_calls_total{source="mcp"}')).toBe('2');
    expect(sample(text, 'omniserve_tool_errors_total{source="local"}')).toBe('1');
    expect(sample(text, 'omniserve_tool_errors_total{source="mcp"}')).toBe('1');
    expect(sample(text, 'omniserve_run_duration_seconds_count{outcome="success"}')).toBe('1');
    expect(sample(text, 'omniserve_run_duration_seconds_count{outcome="timeout"}')).toBe('1');
    expect(sample(text, 'omniserve_run_duration_seconds_count{outcome="error"}')).toBeUndefined();
  });

  it('keeps each instance to itself', async () => {
    const one = new ServeMetrics({ admission: () => idle });
    const two = new ServeMetrics({ admission: () => idle });
    one.requestStarted();
    one.requestFinished('/tools', 200, 0.1);
    expect(sample(await one.render(), 'omniserve_requests_total')).toBe('1');
    expect(sample(await two.render(), 'omniserve_requests_total')).toBe('0');
  });
});
