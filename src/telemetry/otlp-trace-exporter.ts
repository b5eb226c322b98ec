import { PACKAGE_VERSION } from '../core/version.ts';
import { toOtlpExportRequest } from './otlp-encoding.ts';
import type { TelemetryErrorReporter, TraceExporter } from './telemetry-recorder.ts';
import type { TraceRecord } from './trace-model.ts';

export interface OtlpTraceExporterOptions {
  /** The collector's base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); spans are POSTed to `<endpoint>/v1/traces`. */
  readonly endpoint: string;
  readonly serviceName?: string;
  /** Traces per request (default 32). */
  readonly batchSize?: number;
  /** A partial batch waits at most this long (default 1,000 ms). */
  readonly flushIntervalMs?: number;
  /** Traces waiting to be sent; past it the oldest are dropped and reported (default 1,000). */
  readonly maxQueue?: number;
  /** Per request (default 5,000 ms). */
  readonly timeoutMs?: number;
  readonly onError?: TelemetryErrorReporter;
  readonly fetch?: typeof fetch;
}

/**
 * Sends finished traces' spans to an OpenTelemetry collector over OTLP/HTTP JSON, in batches, one request at a
 * time, from a bounded queue. A failed or slow request is reported and its batch dropped; nothing is thrown and
 * no run waits for it.
 */
export class OtlpTraceExporter implements TraceExporter {
  readonly url: string;
  readonly #options: Required<Omit<OtlpTraceExporterOptions, 'endpoint' | 'onError' | 'fetch'>>;
  readonly #onError: TelemetryErrorReporter;
  readonly #fetch: typeof fetch;
  readonly #queue: TraceRecord[] = [];
  #timer: NodeJS.Timeout | null = null;
  #sending: Promise<void> = Promise.resolve();
  #dropped = 0;

  constructor(options: OtlpTraceExporterOptions) {
    this.url = `${options.endpoint.replace(/\/+$/, '')}/v1/traces`;
    this.#options = {
      serviceName: options.serviceName ?? 'omniserve',
      batchSize: options.batchSize ?? 32,
      flushIntervalMs: options.flushIntervalMs ?? 1_000,
      maxQueue: options.maxQueue ?? 1_000,
      timeoutMs: options.timeoutMs ?? 5_000,
    };
    this.#onError = options.onError ?? (() => undefined);
    this.#fetch = options.fetch ?? fetch;
  }

  export(trace: TraceRecord): void {
    if (trace.spans.length === 0) return;
    this.#queue.push(trace);
    if (this.#queue.length > this.#options.maxQueue) {
      this.#queue.shift();
      this.#dropped += 1;
      if (this.#dropped === 1 || this.#dropped % 100 === 0) {
        this.#onError(`OTLP export queue full (${this.#options.maxQueue} traces): ${this.#dropped} dropped so far`, null);
      }
    }
    if (this.#queue.length >= this.#options.batchSize) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#options.flushIntervalMs).unref();
  }

  /** Sends everything queued now; resolves when those requests are done (successful or not). */
  flush(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#options.batchSize);
      this.#sending = this.#sending.then(() => this.#send(batch));
    }
    return this.#sending;
  }

  async close(): Promise<void> {
    await this.flush();
  }

  async #send(batch: readonly TraceRecord[]): Promise<void> {
    const body = JSON.stringify(toOtlpExportRequest(batch, { serviceName: this.#options.serviceName, serviceVersion: PACKAGE_VERSION }));
    try {
      const response = await this.#fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) this.#onError(`OTLP export to ${this.url} answered HTTP ${response.status}; ${batch.length} traces dropped`, null);
    } catch (error) {
      this.#onError(`OTLP export to ${this.url} failed; ${batch.length} traces dropped`, error);
    }
  }
}
