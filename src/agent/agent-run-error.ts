/** A run that failed or was cancelled; the message is meant for the person who sent the query. */
export class AgentRunError extends Error {
  override name = 'AgentRunError';
  readonly cancelled: boolean;

  constructor(message: string, options: { cancelled?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.cancelled = options.cancelled ?? false;
  }
}
