import { serve } from './test/support/serve-fixture.ts';
const server = serve({ name: 'DocsAgent', run: async (q: string) => `echo ${q}` }, { shutdownGraceSeconds: 3 });
const doc = (await server.app.inject('/openapi.json')).json();
for (const [path, item] of Object.entries<any>(doc.paths)) {
  for (const method of Object.keys(item)) {
    const url = path.replace(/\{\w+\}/g, 'probe-id');
    const res = await server.app.inject({ method: method.toUpperCase() as 'GET', url, payloadAsStream: true });
    if (String(res.headers['content-type']).startsWith('text/event-stream')) { res.stream().destroy(); continue; }
    let body = '';
    for await (const chunk of res.stream()) body += String(chunk);
  }
}
const t = performance.now();
await server.stop();
console.log('stopped in', Math.round(performance.now() - t));
