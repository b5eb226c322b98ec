import type { OmniServe } from '../app/omni-serve.ts';

/**
 * Starts the server and keeps it up until SIGTERM or SIGINT; the first signal drains gracefully, a second one
 * exits at once (an operator pressing Ctrl-C twice means it).
 */
export async function serveUntilSignal(server: OmniServe, banner: () => string): Promise<void> {
  await server.start();
  process.stdout.write(banner());
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`Received ${signal} again: exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`Received ${signal}: finishing in-flight requests (up to ${server.config.shutdownGraceSeconds} s)\n`);
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Error during shutdown: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
