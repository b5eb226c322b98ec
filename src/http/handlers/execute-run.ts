import { AgentRunError } from '../../agent/agent-run-error.ts';
import type { AgentRunOptions } from '../../agent/servable-agent.ts';
import { OmniError } from '../../core/errors.ts';
import { scrubSecrets } from '../../llm/describe-provider-error.ts';
import type { ServeContext } from '../serve-context.ts';

export interface ExecuteRunOptions {
  readonly query: string;
  readonly sessionId: string;
  readonly runId: string;
  readonly clientSignal: AbortSignal;
  readonly onEvent?: AgentRunOptions['onEvent'];
}

/**
 * Runs the agent once under the request timeout. The run is aborted (model call included) when the client goes
 * away or the timeout passes; a timeout becomes RUN_TIMEOUT and any other failure RUN_FAILED with a scrubbed message.
 */
export async function executeRun(context: ServeContext, options: ExecuteRunOptions): Promise<unknown> {
  const timeoutSeconds = context.config.requestTimeout;
  const controller = new AbortController();
  const onClientAbort = () => controller.abort(new AgentRunError('The client disconnected', { cancelled: true }));
  options.clientSignal.addEventListener('abort', onClientAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  // Racing the timer, not only aborting, also bounds a light agent that ignores its signal.
  const deadline = new Promise<never>((_, reject) => {
    if (timeoutSeconds <= 0) return;
    timer = setTimeout(() => {
      timedOut = true;
      const error = new OmniError('RUN_TIMEOUT', `Request timed out after ${timeoutSeconds} seconds`);
      controller.abort(error);
      reject(error);
    }, timeoutSeconds * 1000);
  });
  // Metrics (time to first token, tokens, tool calls) come from the run's events, so every run reports them.
  const observation = context.metrics.startRun(options.runId);
  const onEvent: NonNullable<AgentRunOptions['onEvent']> = (event) => {
    observation.event(event);
    options.onEvent?.(event);
  };
  try {
    const runOptions: AgentRunOptions = {
      sessionId: options.sessionId,
      runId: options.runId,
      signal: controller.signal,
      onEvent,
    };
    const result = await Promise.race([context.agent.run(options.query, runOptions), deadline]);
    observation.finish('success');
    return result;
  } catch (error) {
    observation.finish(timedOut ? 'timeout' : options.clientSignal.aborted ? 'cancelled' : 'error');
    if (timedOut) throw new OmniError('RUN_TIMEOUT', `Request timed out after ${timeoutSeconds} seconds`);
    if (error instanceof OmniError) throw error;
    // A light agent may throw anything; an object is shown as JSON rather than "[object Object]".
    const message = error instanceof Error ? error.message : typeof error === 'object' && error !== null ? JSON.stringify(error) : String(error);
    throw new OmniError('RUN_FAILED', scrubSecrets(message), { cause: error });
  } finally {
    if (timer) clearTimeout(timer);
    deadline.catch(() => undefined);
    options.clientSignal.removeEventListener('abort', onClientAbort);
  }
}
