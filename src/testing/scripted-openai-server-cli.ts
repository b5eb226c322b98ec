/**
 * Runs the scripted OpenAI-compatible server on its own, for README demos and for benchmarks that want the model in
 * a separate process:
 *
 *   node --import tsx src/testing/scripted-openai-server-cli.ts --port 4010 [--script replies.json] [--delay-ms 50] [--chunk-delay-ms 5]
 *
 * With `--script`, chat completions are answered with the file's replies (a JSON array of what
 * `ScriptedOpenAIServer.enqueue` takes: text and tool-call replies, errors, hangs) in order, then by echoing; each
 * reply used is reported on stderr. The first line on stdout is the base URL, so a parent process can read it.
 */
import { parseArgs } from 'node:util';
import { ScriptedOpenAIServer, echoReply, type ScriptedReply } from './scripted-openai-server.ts';
import { readScript } from './scripted-reply-file.ts';

const USAGE = 'usage: scripted-openai-server-cli [--port <0-65535>] [--script <file.json>] [--delay-ms <ms>] [--chunk-delay-ms <ms>]';

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
      script: { type: 'string' },
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

let script: ScriptedReply[] = [];
if (parsed.values.script !== undefined) {
  try {
    script = await readScript(parsed.values.script);
  } catch (error) {
    process.stderr.write(`--script: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
}

/** Latency flags make a stand-in for a slow model, which benchmarks measure against; a reply's own values win. */
function withLatency(reply: ScriptedReply): ScriptedReply {
  const delayed = { ...(delayMs === undefined ? {} : { delayMs }), ...reply };
  if ('hang' in reply || 'error' in reply) return delayed;
  return { ...(chunkDelayMs === undefined ? {} : { chunkDelayMs }), ...delayed };
}

function describeReply(reply: ScriptedReply): string {
  if ('hang' in reply) return 'no answer (hang)';
  if ('error' in reply) return `error ${reply.error.status}`;
  if ('toolCalls' in reply) return `tool calls: ${reply.toolCalls.map((call) => call.name).join(', ')}`;
  return `text: ${JSON.stringify(reply.text.length > 60 ? `${reply.text.slice(0, 57)}...` : reply.text)}`;
}

let used = 0;
const server = await ScriptedOpenAIServer.start({
  port,
  fallback: (request) => {
    const next = script[used];
    if (next === undefined) return withLatency(echoReply(request));
    used += 1;
    // On stderr, so stdout stays the one line a parent process reads.
    process.stderr.write(`scripted reply ${used}/${script.length}: ${describeReply(next)}\n`);
    if (used === script.length) process.stderr.write('script finished: echoing from now on\n');
    return withLatency(next);
  },
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
