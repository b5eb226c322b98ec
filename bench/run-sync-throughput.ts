/**
 * POST /run/sync throughput through OmniServe versus the same agent behind a bare node:http server, both calling
 * the same scripted model server, measured in one run (alternating rounds, medians), plus the time from process
 * start to `/ready`. Prints ratios; these machines are noisy, so only the ratios within one run mean much.
 *
 *   npm run bench            (or: node --import tsx bench/run-sync-throughput.ts [--seconds 5] [--rounds 3])
 */
import { parseArgs } from 'node:util';
import { freePort, loadPost, median, spawnQuiet, spawnReadingLine, stop, waitUntil } from './lib/processes.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '32' } } });
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);

const llm = await spawnReadingLine(['--import', 'tsx', 'src/testing/scripted-openai-server-cli.ts', '--port', '0']);
const llmEnv = { LLM_BASE_URL: llm.line, LLM_API_KEY: 'bench' };

async function startOmni(extraEnv: Record<string, string>) {
  const port = await freePort();
  const child = spawnQuiet(['bin/omniserve.js', 'run', '--agent', 'bench/fixtures/bench-agent.ts', '--port', String(port), '--host', '127.0.0.1'], {
    ...llmEnv,
    ...extraEnv,
  });
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(async () => ((await (await fetch(`${base}/ready`)).json()) as { ready: boolean }).ready);
  return { child, url: `${base}/run/sync` };
}

async function startBare() {
  const { child, line } = await spawnReadingLine(['--import', 'tsx', 'bench/fixtures/bare-server.ts', '0'], llmEnv);
  return { child, url: `http://127.0.0.1:${line}/run/sync` };
}

async function measure(start: () => Promise<{ child: import('node:child_process').ChildProcess; url: string }>) {
  const server = await start();
  try {
    await loadPost(server.url, { query: 'warm up please' }, concurrency, 1);
    return await loadPost(server.url, { query: 'hello benchmark world' }, concurrency, seconds);
  } finally {
    await stop(server.child);
  }
}

const variants = {
  bare: startBare,
  omniserve: () => startOmni({}),
  'omniserve (request logging off)': () => startOmni({ OMNICOREAGENT_SERVE_REQUEST_LOGGING: 'false' }),
};
const results: Record<string, number[]> = {};
for (let round = 0; round < rounds; round += 1) {
  for (const [name, start] of Object.entries(variants)) {
    const { rps, errors } = await measure(start);
    if (errors > 0) console.error(`${name}: ${errors} failed requests`);
    (results[name] ??= []).push(rps);
  }
}

const startupMs: number[] = [];
for (let i = 0; i < 5; i += 1) {
  const began = performance.now();
  const server = await startOmni({});
  startupMs.push(performance.now() - began);
  await stop(server.child);
}
const floorMs: number[] = [];
for (let i = 0; i < 5; i += 1) {
  const began = performance.now();
  const { child } = await spawnReadingLine(['--import', 'tsx', '-e', 'console.log("up")']);
  floorMs.push(performance.now() - began);
  await stop(child);
}
await stop(llm.child);

const bare = median(results['bare']!);
console.log(`\n/run/sync, ${concurrency} concurrent clients, ${seconds} s x ${rounds} rounds, Node ${process.version}`);
for (const [name, list] of Object.entries(results)) {
  console.log(`  ${name.padEnd(34)} ${median(list).toFixed(0).padStart(6)} req/s  (${(median(list) / bare).toFixed(2)} x bare)   rounds: ${list.map((v) => v.toFixed(0)).join(', ')}`);
}
console.log(`\nstart-up to /ready (omniserve run, median of 5): ${median(startupMs).toFixed(0)} ms`);
console.log(`  baseline: node --import tsx printing one line:  ${median(floorMs).toFixed(0)} ms  (${(median(startupMs) / median(floorMs)).toFixed(2)} x)`);
