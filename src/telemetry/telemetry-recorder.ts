import { setMaxListeners } from 'node:events';
import type { StoredEvent, TelemetryStore } from '../stores/types.ts';
import { RunTelemetry, type RunTelemetryInit } from './run-telemetry.ts';
import { ServeRequestTelemetry, type ServeRequestInit } from './serve-request-telemetry.ts';
import { LocalTelemetryFeed } from './telemetry-feed.ts';
import type { TelemetryEvent } from './telemetry-event.ts';
import type { TraceRecord } from './trace-model.ts';
import type { TelemetryWriter } from './telemetry-writer.ts';

/** Where finished traces go besides the store (OTLP). `export` must not block or throw. */
export interface TraceExporter {
  export(trace: TraceRecord): void;
  close(): Promise<void>;
}

export type TelemetryErrorReporter = (message: string, error: unknown) => void;

export interface TelemetryRecorderOptions {
  readonly store: TelemetryStore;
  readonly feed?: LocalTelemetryFeed;
  readonly exporter?: TraceExporter | null;
  /** Longest one store write may take before the recorder logs it and moves on (default 2,000 ms). */
  readonly writeTimeoutMs?: number;
  /** Told about every failed or slow telemetry write; nothing is thrown to the run. */
  readonly onError?: TelemetryErrorReporter;
}

/**
 * Records telemetry for the server: every event of a session is appended to the store strictly in the order it
 * was recorded (appends are async, so each session has its own write queue), then published on the feed for live
 * streams. A store that fails or hangs costs a run at most `writeTimeoutMs` per wait; the failure is reported,
 * never thrown.
 */
export class TelemetryRecorder implements TelemetryWriter {
  readonly store: TelemetryStore;
  readonly feed: LocalTelemetryFeed;
  readonly #exporter: TraceExporter | null;
  readonly #timeoutMs: number;
  readonly #onError: TelemetryErrorReporter;
  /** The last queued write of each session with writes pending. */
  readonly #tails = new Map<string, Promise<unknown>>();
  readonly #draining = new AbortController();

  constructor(options: TelemetryRecorderOptions) {
    this.store = options.store;
    this.feed = options.feed ?? new LocalTelemetryFeed();
    this.#exporter = options.exporter ?? null;
    this.#timeoutMs = options.writeTimeoutMs ?? 2_000;
    this.#onError = options.onError ?? (() => undefined);
    // Every open session stream listens for the drain: any number of them is expected, not a leak.
    setMaxListeners(0, this.#draining.signal);
  }

  /** Aborted when the server starts draining: open-ended live streams end then, run-bound ones run to the end. */
  get draining(): AbortSignal {
    return this.#draining.signal;
  }

  beginDrain(): void {
    this.#draining.abort();
  }

  /** Stores the event after every event queued before it in its session, then publishes it. Null if the write failed. */
  append(event: TelemetryEvent): Promise<StoredEvent | null> {
    return this.#enqueue(sessionOf(event.metadata['session_id']), 'telemetry event append', async () => {
      const stored = await this.store.appendEvent(event);
      this.feed.publish(stored);
      return stored;
    });
  }

  /** Saves the trace in the write queue of its session (so it lands after the events recorded before it). */
  async saveTrace(trace: TraceRecord): Promise<boolean> {
    const saved = await this.#enqueue(sessionOf(trace.session_id), 'trace save', async () => {
      await this.store.saveTrace(trace);
      return true;
    });
    return saved === true;
  }

  /**
   * Appends events and then saves their trace as one write in the trace's session queue (a background run write),
   * publishing each stored event. False if the write failed or timed out.
   */
  async appendBatch(events: readonly TelemetryEvent[], trace: TraceRecord): Promise<boolean> {
    const saved = await this.#enqueue(sessionOf(trace.session_id), 'telemetry batch append', async () => {
      for (const stored of await this.store.appendEvents(events, trace)) this.feed.publish(stored);
      return true;
    });
    return saved === true;
  }

  /** Hands a finished trace to the exporter, if one is configured. */
  exportTrace(trace: TraceRecord): void {
    if (this.#exporter === null) return;
    try {
      this.#exporter.export(trace);
    } catch (error) {
      this.#onError('trace export failed', error);
    }
  }

  /** Resolves true once every write queued so far for the session is done; false if that takes over the timeout. */
  async flush(sessionId: string): Promise<boolean> {
    const tail = this.#tails.get(sessionId);
    if (tail === undefined) return true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), this.#timeoutMs)));
    try {
      return await Promise.race([tail.then(() => true as const), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The session's stream position now, or 0 if the store cannot say in time (a replay then starts earlier, not later). */
  async latestCursor(sessionId: string): Promise<number> {
    return (await this.#bounded('cursor read', () => this.store.latestCursor(sessionId))) ?? 0;
  }

  /** Telemetry for one agent run: pass `onEvent` to the agent, call `finish` when the run is over. */
  watchRun(init: RunTelemetryInit): RunTelemetry {
    return new RunTelemetry(this, init);
  }

  /** The serve layer's own trace of one `/run` or `/run/sync` request (spec 5.4); already started. */
  startServeRequest(init: ServeRequestInit): ServeRequestTelemetry {
    const request = new ServeRequestTelemetry(this, init);
    request.start();
    return request;
  }

  /** Waits (bounded) for pending writes, then flushes and stops the exporter. */
  async close(): Promise<void> {
    await Promise.all([...this.#tails.keys()].map((sessionId) => this.flush(sessionId)));
    try {
      await this.#exporter?.close();
    } catch (error) {
      this.#onError('trace exporter close failed', error);
    }
  }

  #enqueue<T>(sessionId: string, what: string, write: () => Promise<T>): Promise<T | null> {
    const previous = this.#tails.get(sessionId) ?? Promise.resolve();
    const result = previous.then(() => this.#bounded(what, write));
    this.#tails.set(sessionId, result);
    void result.then(() => {
      if (this.#tails.get(sessionId) === result) this.#tails.delete(sessionId);
    });
    return result;
  }

  /** Runs a store call, giving up on it (reported, resolved with null) after the write timeout. Never rejects. */
  async #bounded<T>(what: string, write: () => Promise<T>): Promise<T | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => {
        this.#onError(`${what} took longer than ${this.#timeoutMs} ms; continuing without it`, null);
        resolve(null);
      }, this.#timeoutMs);
    });
    const work = Promise.resolve()
      .then(write)
      .catch((error: unknown) => {
        this.#onError(`${what} failed`, error);
        return null;
      });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function sessionOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
