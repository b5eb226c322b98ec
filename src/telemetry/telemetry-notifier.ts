/**
 * "This session has new events": the cross-process signal behind live following when several processes share a
 * telemetry store. It carries no events on purpose: a woken follower reads the store after its own high-water
 * cursor, so a notification that is lost, repeated, late or out of order can delay an event but never skip or
 * repeat one. Adapters: Redis pub/sub, or polling the store's latest cursor (SQL, MongoDB).
 */
export interface TelemetryNotifier {
  /** Tells every process following the session that it has events up to `cursor`. Never throws. */
  publish(sessionId: string, cursor: number): void;
  /**
   * Calls `listener` whenever any process may have stored events of the session (calls may be coalesced), and at
   * least once after the subscription is live, so nothing stored while it was being set up is waited for in vain.
   * Returns the function that unsubscribes.
   */
  subscribe(sessionId: string, listener: () => void): () => void;
  close(): Promise<void>;
}
