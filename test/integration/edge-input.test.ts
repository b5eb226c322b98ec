import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { serve } from '../support/serve-fixture.ts';

const plain = { name: 'Plain', run: async () => 'ok' };

describe('edge-case input gets a catalogue answer', () => {
  it('refuses a session id longer than any store keeps, on /run/sync and the session routes', async () => {
    const server = serve(plain);
    const long = 's'.repeat(256);
    const run = await server.app.inject({ method: 'POST', url: '/run/sync', payload: { query: 'q', session_id: long } });
    expect(run.statusCode).toBe(422);
    expect(run.json().detail[0]).toMatchObject({ type: 'string_too_long', loc: ['body', 'session_id'] });
    const history = await server.app.inject({ method: 'GET', url: `/sessions/${long}/history` });
    expect(history.statusCode).toBe(422);
    expect(history.json().detail[0]).toMatchObject({ loc: ['path', 'session_id'] });
    await server.stop();
  });

  it('answers a path parameter past the router limit with a 422 detail, not the router body', async () => {
    const server = serve(plain);
    const res = await server.app.inject({ method: 'DELETE', url: `/sessions/${'x'.repeat(2000)}` });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      detail: [{ type: 'string_too_long', loc: ['path'], msg: 'A path parameter is longer than 1024 characters', input: null }],
    });
    await server.stop();
  });

  it('answers a request Node cannot parse with the BadRequest envelope', async () => {
    const server = serve(plain);
    const address = new URL(await server.start('127.0.0.1', 0));
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(address.port), '127.0.0.1', () => socket.write('GARBAGE / HTTP/1.1\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      error: 'BadRequest',
      message: 'The request could not be parsed as HTTP',
    });
    await server.stop();
  });
});
