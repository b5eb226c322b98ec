import type { StoredEvent, TelemetryStore } from '../stores/types.ts';
import { SERVE_END_EVENT_TYPES } from './serve-request-telemetry.ts';
import type { TelemetryFeed } from './telemetry-feed.ts';
import { eventRunId } from './wire-event.ts';

/** Events after which a run's stream is complete: the serve request's end, or a background run's terminal event. */
export const RUN_END_EVENT_TYPES: readonly string[] = [
  ...SERVE_END_EVENT_TYPES,
  'background_run_completed',
  'background_run_failed',
  'background_run_timeout',
  'background_run_cancelled',
  'background_run_skipped',
];

/** Live events a follower holds for a consumer that is not keeping up, before it gives up on it. */
export const FOLLOW_BUFFER_LIMIT = 1_000;
const REPLAY_PAGE = 500;
const REPLAY_TIMEOUT_MS = 10_000;

export interface FollowSessionOptions {
  readonly store: TelemetryStore;
  readonly feed: TelemetryFeed;
  readonly sessionId: string;
  /** Only this run's events; the follow ends after the run's end event (RUN_END_EVENT_TYPES). */
  readonly runId?: string | null;
  /** Replays events strictly after this cursor (0 or absent: the session's whole retained log). */
  readonly afterCursor?: number;
  /** Ends the follow (client gone, server draining); the generator then returns `stopped`. */
  readonly signal?: AbortSignal;
  readonly bufferLimit?: number;
  /** Longest one replay read may take (default 10 s). */
  readonly replayTimeoutMs?: number;
}

/** Why a follow ended without an error. */
export type FollowEnd = 'run_ended' | 'stopped';

/** The consumer fell more than the buffer limit behind the live events: it should reconnect from its last id. */
export class FollowOverflowError extends Error {
  constructor(limit: number) {
    super(`The client fell more than ${limit} events behind; reconnect with Last-Event-ID to resume`);
    this.name = 'FollowOverflowError';
  }
}

/**
 * A session's events in cursor order: first those already stored after `afterCursor` (replay), then live ones as
 * they are stored, each exactly once. The hand-off has no gap: the follower subscribes (buffering) before it reads
 * the session's latest cursor, replays up to that cursor, then takes from the buffer only cursors above the
 * highest one it has yielded. The buffer is bounded; a consumer that falls too far behind gets FollowOverflowError
 * (never a silent drop). Back-pressure is the consumer's pace: nothing is read from the store until it asks.
 */
export async function* followSessionEvents(options: FollowSessionOptions): AsyncGenerator<StoredEvent, FollowEnd, undefined> {
  if (options.feed.watch !== undefined) return yield* followByReading(options, options.feed.watch.bind(options.feed));
  const { store, sessionId, signal } = options;
  const runId = options.runId ?? null;
  const limit = options.bufferLimit ?? FOLLOW_BUFFER_LIMIT;
  const buffer: StoredEvent[] = [];
  let overflowed = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  const unsubscribe = options.feed.subscribe(sessionId, (event) => {
    if (overflowed || (runId !== null && eventRunId(event) !== runId)) return;
    if (buffer.length >= limit) {
      overflowed = true;
      buffer.length = 0;
    } else {
      buffer.push(event);
    }
    notify();
  });
  signal?.addEventListener('abort', notify);
  const ends = (event: StoredEvent) => runId !== null && RUN_END_EVENT_TYPES.includes(event.event_type);
  const timeoutMs = options.replayTimeoutMs ?? REPLAY_TIMEOUT_MS;
  try {
    if (runId !== null && (await nothingLeft(store, sessionId, runId, options.afterCursor ?? 0, timeoutMs))) return 'run_ended';
    let high = options.afterCursor ?? 0;
    const snapshot = await within(timeoutMs, 'reading the stream position', store.latestCursor(sessionId));
    replay: while (high < snapshot) {
      if (signal?.aborted) return 'stopped';
      const page = await within(
        timeoutMs,
        'replaying stored events',
        store.readEvents({ sessionId, afterCursor: high, limit: REPLAY_PAGE, ...(runId === null ? {} : { runId }) }),
      );
      for (const event of page) {
        // Later events arrive through the buffer, which holds everything stored after the snapshot.
        if (event.stream_cursor > snapshot) break replay;
        high = event.stream_cursor;
        yield event;
        if (ends(event)) return 'run_ended';
      }
      if (page.length < REPLAY_PAGE) break;
    }
    while (true) {
      if (signal?.aborted) return 'stopped';
      if (overflowed) throw new FollowOverflowError(limit);
      const event = buffer.shift();
      if (event === undefined) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (event.stream_cursor <= high) continue;
      high = event.stream_cursor;
      yield event;
      if (ends(event)) return 'run_ended';
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener('abort', notify);
  }
}

/**
 * Following over a feed shared by several processes: every wake-up (another process stored events, or this one
 * did) reads the store after the highest cursor yielded so far. The first read is the replay. Since a store makes
 * a session's events visible in cursor order, reading "after the high-water cursor" neither skips nor repeats.
 */
async function* followByReading(
  options: FollowSessionOptions,
  watch: (sessionId: string, onChange: () => void) => () => void,
): AsyncGenerator<StoredEvent, FollowEnd, undefined> {
  const { store, sessionId, signal } = options;
  const runId = options.runId ?? null;
  const timeoutMs = options.replayTimeoutMs ?? REPLAY_TIMEOUT_MS;
  let dirty = true;
  let wake: (() => void) | null = null;
  const notify = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  const unwatch = watch(sessionId, () => {
    dirty = true;
    notify();
  });
  signal?.addEventListener('abort', notify);
  try {
    if (runId !== null && (await nothingLeft(store, sessionId, runId, options.afterCursor ?? 0, timeoutMs))) return 'run_ended';
    let high = options.afterCursor ?? 0;
    while (true) {
      if (signal?.aborted) return 'stopped';
      if (!dirty) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      dirty = false;
      const page = await within(
        timeoutMs,
        'reading stored events',
        store.readEvents({ sessionId, afterCursor: high, limit: REPLAY_PAGE, ...(runId === null ? {} : { runId }) }),
      );
      for (const event of page) {
        if (event.stream_cursor <= high) continue;
        high = event.stream_cursor;
        yield event;
        if (runId !== null && RUN_END_EVENT_TYPES.includes(event.event_type)) return 'run_ended';
      }
      if (page.length >= REPLAY_PAGE) dirty = true;
    }
  } finally {
    unwatch();
    signal?.removeEventListener('abort', notify);
  }
}

/**
 * True when a run's stream has nothing more to give: the run ended at or before the resume point (a client that
 * already holds the last event), or the session has no event of that run at all. Run ids are minted by the server
 * and its first event is stored before anyone can learn the id, so an unknown id will never start.
 */
async function nothingLeft(store: TelemetryStore, sessionId: string, runId: string, afterCursor: number, timeoutMs: number): Promise<boolean> {
  const [end] = await within(timeoutMs, 'looking up the run', store.readEvents({ sessionId, runId, eventTypes: RUN_END_EVENT_TYPES, limit: 1 }));
  if (end !== undefined) return end.stream_cursor <= afterCursor;
  const [any] = await within(timeoutMs, 'looking up the run', store.readEvents({ sessionId, runId, limit: 1 }));
  return any === undefined;
}

async function within<T>(timeoutMs: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Telemetry store took longer than ${timeoutMs / 1000} s ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
