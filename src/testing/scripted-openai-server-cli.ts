/**
 * Runs the scripted OpenAI-compatible server on its own, echoing every message, for README demos and for
 * benchmarks that want the model in a separate process:
 *
 *   node --import tsx src/testing/scripted-openai-server-cli.ts --port 4010 [--delay-ms 50] [--chunk-delay-ms 5]
 *
 * The first line on stdout is the base URL, so a parent process can read it and start talking.
 */
import { parseArgs } from 'node:util';
import { ScriptedOpenAIServer, echoReply } from './scripted-openai-server.ts';

const USAGE = 'usage: scripted-openai-server-cli [--port <0-65535>] [--delay-ms <ms>] [--chunk-delay-ms <ms>]';

function readNumber(name: string, raw: string | undefined, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < 0 || value > max) {
    process.stderr.write(`--${name} must be an integer 0-${max}, got "${raw}"\n${USAGE}\n`);
    process.exit(2);
  }
  return value;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      port: { type: 'string' },
      'delay-ms': { type: 'string' },
      'chunk-delay-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(2);
}
if (parsed.values.help === true) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const port = readNumber('port', parsed.values.port, 65_535) ?? 0;
const delayMs = readNumber('delay-ms', parsed.values['delay-ms'], 600_000);
const chunkDelayMs = readNumber('chunk-delay-ms', parsed.values['chunk-delay-ms'], 60_000);

const server = await ScriptedOpenAIServer.start({
  port,
  // Latency flags turn the echo into a stand-in for a slow model, which is what benchmarks want to measure against.
  fallback: (request) => ({
    ...echoReply(request),
    ...(delayMs === undefined ? {} : { delayMs }),
    ...(chunkDelayMs === undefined ? {} : { chunkDelayMs }),
  }),
});
process.stdout.write(`${server.baseUrl}\n`);

let stopping = false;
const stop = (): void => {
  // A second signal means the operator does not want to wait for open responses.
  if (stopping) process.exit(1);
  stopping = true;
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`close failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
