/**
 * The storage ports. Each is named for what it means to the domain; every backend implements them in its own
 * folder and passes the same conformance suite.
 */

export interface StoredMessage {
  /** `user`, `assistant`, `tool` (AI SDK model message roles). */
  readonly role: string;
  /** A string, or the model message's content parts (text, tool calls, tool results). */
  readonly content: unknown;
  readonly timestamp: string;
}

/** Conversation memory, one ordered list of messages per session. */
export interface SessionStore {
  loadHistory(sessionId: string): Promise<readonly StoredMessage[]>;
  /** Appends one run's messages (the user's query and everything the run added) in order. */
  appendMessages(sessionId: string, messages: readonly StoredMessage[]): Promise<void>;
  clearSession(sessionId: string): Promise<void>;
}
