/**
 * Throughput of OmniServe against the same agent behind a bare node:http server (no framework, no validation, no
 * logging), both calling one scripted model server, measured in one run: alternating rounds, medians, ratios.
 * Also OmniServe with auth and rate limiting on (a limit high enough never to refuse), and the time from process
 * start to `/ready`. These machines are noisy: compare the ratios within one run, not absolute figures across runs.
 *
 *   npm run bench            (or: node --import tsx bench/run-sync-throughput.ts [--seconds 5] [--rounds 3])
 */
import type { ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { freePort, loadPost, median, spawnQuiet, spawnReadingLine, stop, waitUntil } from './lib/processes.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '32' } },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);
const TOKEN = 'bench-token-0123456789';

const llm = await spawnReadingLine(['--import', 'tsx', 'src/testing/scripted-openai-server-cli.ts', '--port', '0']);
const llmEnv = { LLM_BASE_URL: llm.line, LLM_API_KEY: 'bench' };

interface Server {
  readonly child: ChildProcess;
  readonly base: string;
  readonly prefix: string;
}

async function startOmni(extraEnv: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = spawnQuiet(['bin/omniserve.js', 'run', '--agent', 'bench/fixtures/bench-agent.ts', '--port', String(port), '--host', '127.0.0.1'], {
    ...llmEnv,
    ...extraEnv,
  });
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(async () => ((await (await fetch(`${base}/ready`)).json()) as { ready: boolean }).ready);
  return { child, base, prefix: '' };
}

async function startBare(): Promise<Server> {
  const { child, line } = await spawnReadingLine(['--import', 'tsx', 'bench/fixtures/bare-server.ts', '0'], llmEnv);
  return { child, base: `http://127.0.0.1:${line}`, prefix: '' };
}

const SECURED = {
  OMNICOREAGENT_SERVE_AUTH_ENABLED: 'true',
  OMNICOREAGENT_SERVE_AUTH_TOKEN: TOKEN,
  OMNICOREAGENT_SERVE_RATE_LIMIT_ENABLED: 'true',
  OMNICOREAGENT_SERVE_RATE_LIMIT_REQUESTS: '1000000000',
};
const variants: Record<string, () => Promise<Server>> = {
  bare: startBare,
  omniserve: () => startOmni({}),
  'omniserve, auth + rate limit': () => startOmni(SECURED),
  'omniserve, request logging off': () => startOmni({ OMNICOREAGENT_SERVE_REQUEST_LOGGING: 'false' }),
};
const headers = { authorization: `Bearer ${TOKEN}` };

const results: Record<string, { runSync: number[]; health: number[] }> = {};
for (let round = 0; round < rounds; round += 1) {
  for (const [name, start] of Object.entries(variants)) {
    const server = await start();
    try {
      await loadPost(`${server.base}/run/sync`, { query: 'warm up' }, concurrency, 1, headers);
      const runSync = await loadPost(`${server.base}/run/sync`, { query: 'hello benchmark world' }, concurrency, seconds, headers);
      // The health route is public even with auth on; the rate limiter exempts it, as the reference does.
      const health = await loadPost(`${server.base}/health`, undefined, concurrency, seconds, headers);
      if (runSync.errors + health.errors > 0) console.error(`${name}: ${runSync.errors + health.errors} failed requests`);
      const entry = (results[name] ??= { runSync: [], health: [] });
      entry.runSync.push(runSync.rps);
      entry.health.push(health.rps);
    } finally {
      await stop(server.child);
    }
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

const bare = results['bare']!;
const show = (list: number[], base: number[]) =>
  `${median(list).toFixed(0).padStart(6)} req/s (${(median(list) / median(base)).toFixed(2)} x bare)  rounds: ${list.map((v) => v.toFixed(0)).join(', ')}`;
console.log(`\n${concurrency} concurrent clients, ${seconds} s per measurement, ${rounds} rounds, Node ${process.version}`);
console.log('POST /run/sync (scripted model)');
for (const [name, r] of Object.entries(results)) console.log(`  ${name.padEnd(32)} ${show(r.runSync, bare.runSync)}`);
console.log('GET /health');
for (const [name, r] of Object.entries(results)) console.log(`  ${name.padEnd(32)} ${show(r.health, bare.health)}`);
console.log(`\nstart-up to /ready (omniserve run, median of 5): ${median(startupMs).toFixed(0)} ms`);
console.log(`  baseline, node --import tsx printing one line: ${median(floorMs).toFixed(0)} ms (${(median(startupMs) / median(floorMs)).toFixed(2)} x)`);
