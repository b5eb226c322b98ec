import { createOpenAI } from '@ai-sdk/openai';
import { APICallError, generateText, stepCountIs, streamText, tool } from 'ai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ScriptedOpenAIServer } from './scripted-openai-server.ts';

let server: ScriptedOpenAIServer;

beforeEach(async () => {
  server = await ScriptedOpenAIServer.start();
});

afterEach(async () => {
  await server.close();
});

function model(id = 'scripted-model') {
  return createOpenAI({ baseURL: server.baseUrl, apiKey: 'test' }).chat(id);
}

async function collectDeltas(stream: AsyncIterable<string>): Promise<string[]> {
  const deltas: string[] = [];
  for await (const delta of stream) deltas.push(delta);
  return deltas;
}

describe('ScriptedOpenAIServer with the AI SDK OpenAI chat model', () => {
  it('echoes the last user message by default and records the request', async () => {
    const result = await generateText({ model: model('gpt-test'), system: 'be brief', prompt: 'hello there' });

    expect(result.text).toBe('echo: hello there');
    expect(result.finishReason).toBe('stop');
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers['authorization']).toBe('Bearer test');
    expect(request?.body?.model).toBe('gpt-test');
    expect(request?.body?.messages?.map((message) => message.role)).toEqual(['system', 'user']);
    expect(request?.finished).toBe(true);
    expect(request?.aborted).toBe(false);
  });

  it('reports scripted usage, and a non-zero estimate when none is scripted', async () => {
    server.enqueue({ text: 'counted', usage: { promptTokens: 11, completionTokens: 7 } }, { text: 'three words here' });

    const scripted = await generateText({ model: model(), prompt: 'hi' });
    const estimated = await generateText({ model: model(), prompt: 'one two three four' });

    expect(scripted.usage).toMatchObject({ inputTokens: 11, outputTokens: 7, totalTokens: 18 });
    expect(estimated.text).toBe('three words here');
    expect(estimated.usage.inputTokens).toBe(4);
    expect(estimated.usage.outputTokens).toBe(3);
  });

  it('streams text in several deltas and sends usage in a final chunk', async () => {
    server.enqueue({ text: 'the quick brown fox', usage: { promptTokens: 5, completionTokens: 4 } });

    const result = streamText({ model: model(), prompt: 'go' });
    const deltas = await collectDeltas(result.textStream);

    expect(deltas).toEqual(['the ', 'quick ', 'brown ', 'fox']);
    expect(await result.usage).toMatchObject({ inputTokens: 5, outputTokens: 4 });
    expect(await result.finishReason).toBe('stop');
    expect(server.requests[0]?.body?.stream).toBe(true);
    expect(server.requests[0]?.body?.stream_options?.include_usage).toBe(true);
  });

  it('honours chunkSize and chunkDelayMs when streaming', async () => {
    server.enqueue({ text: 'abcdefg', chunkSize: 3, chunkDelayMs: 40 });

    const started = Date.now();
    const deltas = await collectDeltas(streamText({ model: model(), prompt: 'go' }).textStream);

    expect(deltas).toEqual(['abc', 'def', 'g']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('answers FIFO from the queue, then from the fallback function', async () => {
    await server.close();
    server = await ScriptedOpenAIServer.start({ fallback: (request) => ({ text: `fallback ${request.body?.messages?.length}` }) });
    server.enqueue({ text: 'first' }, { text: 'second' });

    const texts: string[] = [];
    for (let i = 0; i < 3; i += 1) texts.push((await generateText({ model: model(), prompt: 'x' })).text);

    expect(texts).toEqual(['first', 'second', 'fallback 1']);
    expect(server.pendingReplies).toBe(0);
  });

  it('runs a tool call round trip with generateText', async () => {
    server.enqueue(
      { toolCalls: [{ name: 'weather', arguments: { city: 'Paris' }, id: 'call_1' }] },
      { text: 'It is sunny in Paris.' },
    );
    const seen: string[] = [];

    const result = await generateText({
      model: model(),
      prompt: 'weather in Paris?',
      tools: {
        weather: tool({
          description: 'Current weather',
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => {
            seen.push(city);
            return { city, sky: 'sunny' };
          },
        }),
      },
      stopWhen: stepCountIs(3),
    });

    expect(seen).toEqual(['Paris']);
    expect(result.text).toBe('It is sunny in Paris.');
    expect(result.steps[0]?.finishReason).toBe('tool-calls');
    expect(server.requests[0]?.body?.tools).toHaveLength(1);
    const followUp = server.requests[1]?.body?.messages ?? [];
    const toolMessage = followUp.find((message) => message.role === 'tool');
    expect(toolMessage?.['tool_call_id']).toBe('call_1');
    expect(JSON.parse(String(toolMessage?.content))).toEqual({ city: 'Paris', sky: 'sunny' });
  });

  it('streams tool calls as id-and-name first, then argument pieces', async () => {
    server.enqueue(
      { text: 'Checking.', toolCalls: [{ name: 'add', arguments: { a: 20, b: 22 } }], chunkSize: 4 },
      { text: 'The sum is 42' },
    );

    const result = streamText({
      model: model(),
      prompt: 'add 20 and 22',
      tools: { add: tool({ inputSchema: z.object({ a: z.number(), b: z.number() }), execute: async ({ a, b }) => a + b }) },
      stopWhen: stepCountIs(3),
    });
    const parts: string[] = [];
    for await (const part of result.fullStream) parts.push(part.type);

    expect(parts.filter((type) => type === 'tool-input-delta').length).toBeGreaterThan(1);
    expect(parts).toContain('tool-result');
    expect(await result.text).toBe('The sum is 42');
    const toolMessage = server.requests[1]?.body?.messages?.find((message) => message.role === 'tool');
    expect(toolMessage?.content).toBe('42');
  });

  it('answers a scripted error with its status and an OpenAI error body', async () => {
    server.enqueue({ error: { status: 400, message: 'Bad parameter temperature.', code: 'invalid_value' } });

    const failure = await generateText({ model: model(), prompt: 'x', maxRetries: 0 }).catch((error: unknown) => error);

    expect(APICallError.isInstance(failure)).toBe(true);
    const apiError = failure as APICallError;
    expect(apiError.statusCode).toBe(400);
    expect(apiError.message).toBe('Bad parameter temperature.');
    expect(JSON.parse(apiError.responseBody ?? '')).toEqual({
      error: { message: 'Bad parameter temperature.', type: 'invalid_request_error', param: null, code: 'invalid_value' },
    });
  });

  it('lets the AI SDK retry a 503 that carries retry headers', async () => {
    const overloaded = { error: { status: 503, headers: { 'retry-after-ms': '0' } } } as const;
    server.enqueue(overloaded, overloaded, { text: 'recovered' });

    const result = await generateText({ model: model(), prompt: 'x', maxRetries: 2 });

    expect(result.text).toBe('recovered');
    expect(server.requests).toHaveLength(3);
  });

  it('rejects a wrong key with 401 when started with apiKey', async () => {
    await server.close();
    server = await ScriptedOpenAIServer.start({ apiKey: 'right' });

    const failure = await generateText({ model: model(), prompt: 'x' }).catch((error: unknown) => error);

    expect((failure as APICallError).statusCode).toBe(401);
    expect(server.requests).toHaveLength(1);
  });

  it('waits delayMs before answering', async () => {
    server.enqueue({ text: 'late', delayMs: 150 });

    const started = Date.now();
    await generateText({ model: model(), prompt: 'x' });

    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('records a client abort of a hanging request', async () => {
    server.enqueue({ hang: true });
    const controller = new AbortController();

    const pending = generateText({ model: model(), prompt: 'x', abortSignal: controller.signal }).catch((error: unknown) => error);
    await server.waitFor((requests) => requests.length === 1);
    controller.abort();
    const failure = await pending;

    expect((failure as Error).name).toBe('AbortError');
    await server.waitFor((requests) => requests[0]?.aborted === true);
    expect(server.requests[0]?.finished).toBe(false);
  });

  it('records a client abort in the middle of a stream', async () => {
    server.enqueue({ text: 'one two three four five six', chunkDelayMs: 200 });
    const controller = new AbortController();

    const result = streamText({ model: model(), prompt: 'x', abortSignal: controller.signal });
    for await (const delta of result.textStream) {
      if (delta !== '') controller.abort();
    }

    await server.waitFor((requests) => requests[0]?.aborted === true);
  });

  it('ends hanging requests when closed, without marking them client aborts', async () => {
    server.enqueue({ hang: true });
    const pending = generateText({ model: model(), prompt: 'x', maxRetries: 0 }).catch((error: unknown) => error);
    await server.waitFor((requests) => requests.length === 1);

    const started = Date.now();
    await server.close();
    const failure = await pending;

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(failure).toBeInstanceOf(Error);
    expect(server.requests[0]?.aborted).toBe(false);
  });

  it('lists models and answers unknown paths with a 404 error body', async () => {
    const models = await fetch(`${server.baseUrl}/models`);
    const missing = await fetch(`${server.baseUrl}/embeddings`, { method: 'POST', body: '{}' });

    expect(await models.json()).toMatchObject({ object: 'list', data: [{ id: 'scripted-model', object: 'model' }] });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { message: 'Invalid URL (POST /v1/embeddings)', type: 'invalid_request_error', param: null, code: null },
    });
  });

  it('answers a body that is not JSON with 400', async () => {
    const response = await fetch(`${server.baseUrl}/chat/completions`, { method: 'POST', body: 'not json' });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  it('forgets queued replies and requests on reset', async () => {
    server.enqueue({ text: 'never used' });
    await fetch(`${server.baseUrl}/models`);

    server.reset();
    const result = await generateText({ model: model(), prompt: 'fresh' });

    expect(result.text).toBe('echo: fresh');
    expect(server.requests).toHaveLength(1);
  });
});
