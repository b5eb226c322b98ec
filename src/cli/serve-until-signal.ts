import { constants } from 'node:os';
import type { OmniServe } from '../app/omni-serve.ts';

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Starts the server and keeps it up until SIGTERM or SIGINT. The first signal drains gracefully (`OmniServe.stop()`:
 * in-flight requests get the grace period, then the agent is released) and exits 0, or 1 if cleanup failed. A
 * second signal exits at once with 128 + the signal number: an operator pressing Ctrl-C twice means it.
 * The handlers are installed before start-up, so a signal during a slow start (MCP servers) still drains.
 */
export async function serveUntilSignal(server: OmniServe, banner: () => string): Promise<void> {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`Received ${signal} again: exiting now without waiting for in-flight requests\n`);
      process.exit(128 + (constants.signals[signal] ?? 1));
    }
    stopping = true;
    // stop() closes the listener before it returns, so once this line is out new connections are already refused.
    const stopped = server.stop();
    process.stderr.write(
      `Received ${signal}: draining, in-flight requests get up to ${server.config.shutdownGraceSeconds} s (send it again to exit now)\n`,
    );
    stopped.then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Error during shutdown: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, onSignal);
  try {
    await server.start();
  } catch (error) {
    for (const signal of SHUTDOWN_SIGNALS) process.off(signal, onSignal);
    throw error;
  }
  // A signal during start-up is already draining; the banner would announce a server that is going away.
  if (!stopping) process.stdout.write(banner());
}
