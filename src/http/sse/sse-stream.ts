import { PassThrough } from 'node:stream';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const;

export interface SseStreamOptions {
  /** A `: keep-alive` comment this often, so proxies do not cut an idle stream; 0 disables. */
  readonly heartbeatMs: number;
}

/**
 * The one writer of SSE frames: framing, ids, heartbeats and end-of-stream. Routes call `send`; nothing else
 * writes `data:` lines. `body` is what the HTTP layer sends as the response.
 */
export class SseStream {
  readonly body = new PassThrough();
  readonly #heartbeat: NodeJS.Timeout | null;
  #ended = false;

  constructor(options: SseStreamOptions) {
    this.#heartbeat =
      options.heartbeatMs > 0 ? setInterval(() => this.comment('keep-alive'), options.heartbeatMs).unref() : null;
    this.body.on('close', () => this.#stop());
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Writes one frame; `data` is JSON-encoded on one line (strings too, so clients always parse JSON). */
  send(event: string, data: unknown, id?: string | number | null): void {
    if (this.#ended) return;
    let frame = `event: ${singleLine(event)}\n`;
    if (id !== undefined && id !== null && id !== '') frame += `id: ${singleLine(String(id))}\n`;
    frame += `data: ${JSON.stringify(data, jsonSafe) ?? 'null'}\n\n`;
    this.body.write(frame);
  }

  /**
   * Resolves once the client has taken what was written so far: at once unless its connection is backed up, else
   * on the next `drain` (or when the stream ends). Long streams await it between frames, so a slow client slows
   * the producer instead of piling frames up in memory.
   */
  async drained(): Promise<void> {
    const body = this.body;
    if (this.#ended || !body.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        for (const name of ['drain', 'close', 'finish'] as const) body.off(name, done);
        resolve();
      };
      for (const name of ['drain', 'close', 'finish'] as const) body.once(name, done);
    });
  }

  comment(text: string): void {
    if (!this.#ended) this.body.write(`: ${singleLine(text)}\n\n`);
  }

  end(): void {
    if (this.#ended) return;
    this.#stop();
    this.body.end();
  }

  #stop(): void {
    this.#ended = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
  }
}

// A newline inside an event name or id would end the field early and let data forge frames.
function singleLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { type: value.name, message: value.message };
  return value;
}
