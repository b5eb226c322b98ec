import { it, afterAll } from 'vitest';
import { ScriptedOpenAIServer } from '/work/main/src/testing/scripted-openai-server.ts';
import { startServing, stopAllClis, postJson, readSseFrames, FIXTURES } from '/work/main/test/e2e/spawn-cli.ts';
afterAll(stopAllClis);
for (const mode of ['complete-stream', 'sync-only', 'abort', 'abort-hang']) it(mode, async () => {
  const model = await ScriptedOpenAIServer.start();
  if (mode === 'abort') model.enqueue({ text: Array.from({ length: 40 }, (_, i) => `word${i}`).join(' '), chunkDelayMs: 250 });
  if (mode === 'abort-hang') model.enqueue({ hang: true });
  const { baseUrl, cli } = await startServing(['run', '--agent', FIXTURES + 'ts-agent.ts'], { env: { LLM_BASE_URL: model.baseUrl, LLM_API_KEY: 't' } });
  if (mode === 'sync-only') await (await postJson(baseUrl, '/run/sync', { query: 'x' })).text();
  else {
    const client = new AbortController();
    const response = await postJson(baseUrl, '/run', { query: 'x' }, { signal: client.signal });
    const frames = readSseFrames(response.body!);
    if (mode === 'complete-stream') { for await (const f of frames) {} }
    else {
      if (mode === 'abort') { for await (const f of frames) { if (f.event === 'text_delta') break; } }
      else { await frames.next(); await model.waitFor((r) => r.length === 1); }
      client.abort();
      await model.waitFor((r) => r[0]?.aborted === true, 10_000);
    }
  }
  const t = performance.now();
  cli.child.kill('SIGTERM');
  const r = await cli.waitForExit(40_000);
  console.log(mode, 'exit', r.code, Math.round(performance.now() - t), 'ms');
  await model.close();
});
