import { generateText } from 'ai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedOpenAIServer, type ScriptedReply } from '../testing/scripted-openai-server.ts';
import { createLanguageModel } from './create-language-model.ts';
import { describeProviderError } from './describe-provider-error.ts';
import type { ModelConfig } from './model-config.ts';

let server: ScriptedOpenAIServer;

beforeAll(async () => {
  server = await ScriptedOpenAIServer.start();
});

afterAll(async () => {
  await server.close();
});

afterEach(() => {
  server.reset();
});

/** Runs one real call through the provider code and returns what it threw. */
async function failure(config: Partial<ModelConfig>, abortSignal?: AbortSignal): Promise<unknown> {
  const created = createLanguageModel({ provider: 'openai', model: 'm', baseUrl: server.baseUrl, apiKey: 'sk-test-0123456789abcdef', ...config }, {});
  try {
    await generateText({ model: await created.load(), prompt: 'hi', ...created.callSettings, ...(abortSignal ? { abortSignal } : {}) });
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

// Without a retry header the AI SDK waits 2 s, then 4 s; the header keeps the retry tests fast.
const retryNow = { 'retry-after-ms': '0' };

describe('describeProviderError', () => {
  it('explains a rejected key without retrying it', async () => {
    server.enqueue({ error: { status: 401 } });

    const text = describeProviderError(await failure({}), 'openai');

    expect(text).toBe('Model provider "openai" rejected the API key (HTTP 401): Incorrect API key provided. Check LLM_API_KEY (or OPENAI_API_KEY).');
    expect(server.requests).toHaveLength(1);
  });

  it('reports rate limiting after maxRetries + 1 attempts', async () => {
    const limited: ScriptedReply = { error: { status: 429, headers: retryNow } };
    server.enqueue(limited, limited, limited);

    const text = describeProviderError(await failure({ maxRetries: 2 }), 'openai');

    expect(text).toBe('Model provider "openai" is rate limiting requests (HTTP 429) after 3 attempts: Rate limit reached for requests.');
    expect(server.requests).toHaveLength(3);
  });

  it('reports a server failure after retries, through an openai-compatible provider', async () => {
    const down: ScriptedReply = { error: { status: 503, message: 'upstream overloaded', headers: retryNow } };
    server.enqueue(down, down);

    const text = describeProviderError(await failure({ provider: 'openai_compatible', maxRetries: 1 }), 'openai_compatible');

    expect(text).toBe('Model provider "openai_compatible" failed with HTTP 503 after 2 attempts: upstream overloaded.');
    expect(server.requests).toHaveLength(2);
  });

  it('reports the last error when a retry ends in a different one', async () => {
    server.enqueue({ error: { status: 500, headers: retryNow } }, { error: { status: 401, message: 'key revoked' } });

    const text = describeProviderError(await failure({ provider: 'ollama', maxRetries: 2 }), 'ollama');

    expect(text).toBe('Model provider "ollama" rejected the API key (HTTP 401) after 2 attempts: key revoked. Check LLM_API_KEY.');
  });

  it('points at the model name for a 404 and quotes other 4xx', async () => {
    server.enqueue({ error: { status: 404 } }, { error: { status: 422, message: 'messages: too long' } });

    expect(describeProviderError(await failure({}), 'openai')).toBe(
      'Model provider "openai" answered HTTP 404: The model does not exist or you do not have access to it. Check the model name and the base URL.',
    );
    expect(describeProviderError(await failure({}), 'openai')).toBe('Model provider "openai" rejected the request (HTTP 422): messages: too long.');
  });

  it('says where an unreachable provider was expected', async () => {
    const closed = await ScriptedOpenAIServer.start();
    const baseUrl = closed.baseUrl;
    await closed.close();

    const text = describeProviderError(await failure({ baseUrl, maxRetries: 0 }), 'openai');

    expect(text).toBe(
      `Model provider "openai" could not be reached at ${baseUrl}/chat/completions: connection refused. Check LLM_BASE_URL and that the server is running.`,
    );
  });

  it('recognises an abort and a timeout', async () => {
    server.enqueue({ hang: true }, { hang: true });
    const controller = new AbortController();
    const aborted = failure({}, controller.signal);
    await server.waitFor((requests) => requests.length === 1);
    controller.abort();

    expect(describeProviderError(await aborted, 'openai')).toBe('The call to model provider "openai" was aborted.');
    expect(describeProviderError(await failure({}, AbortSignal.timeout(50)), 'openai')).toBe(
      'Model provider "openai" did not answer in time (the call timed out).',
    );
  });

  it('never repeats a key the provider quoted back', async () => {
    server.enqueue({ error: { status: 401, message: 'Key sk-live-ABCDEFGH12345678 is wrong (sent Authorization: Bearer abc.def.ghi)' } });

    const text = describeProviderError(await failure({}), 'openai');

    expect(text).not.toContain('ABCDEFGH12345678');
    expect(text).not.toContain('abc.def.ghi');
    expect(text).toContain('sk-***');
  });

  it('describes errors that are not HTTP failures', () => {
    expect(describeProviderError(new Error('Invalid JSON response'), 'groq')).toBe('Model provider "groq" call failed: Invalid JSON response.');
    expect(describeProviderError('boom api_key=secret123', 'custom')).toBe('Model provider "custom" call failed: boom api_key=***.');
  });
});
