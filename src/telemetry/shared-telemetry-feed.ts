import type { StoredEvent } from '../stores/types.ts';
import { LocalTelemetryFeed } from './telemetry-feed.ts';
import type { TelemetryNotifier } from './telemetry-notifier.ts';

/**
 * The feed of a server whose telemetry store is shared with other processes. Local subscribers still get this
 * process's events pushed; every stored event is also announced on the notifier, and `watch` lets a follower in
 * any process wake up and read the store (followSessionEvents uses `watch` when a feed has it).
 */
export class SharedTelemetryFeed extends LocalTelemetryFeed {
  readonly #notifier: TelemetryNotifier;

  constructor(notifier: TelemetryNotifier) {
    super();
    this.#notifier = notifier;
  }

  override publish(event: StoredEvent): void {
    super.publish(event);
    const sessionId = event.metadata['session_id'];
    this.#notifier.publish(typeof sessionId === 'string' ? sessionId : '', event.stream_cursor);
  }

  watch(sessionId: string, onChange: () => void): () => void {
    return this.#notifier.subscribe(sessionId, onChange);
  }
}
