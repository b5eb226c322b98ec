import { generateText, streamText } from 'ai';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LlmEnvironment } from '../config/llm-environment.ts';
import { ConfigError } from '../core/errors.ts';
import { ScriptedOpenAIServer } from '../testing/scripted-openai-server.ts';
import { createLanguageModel } from './create-language-model.ts';
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
  vi.unstubAllGlobals();
});

function problemsOf(config: ModelConfig, env: LlmEnvironment = {}): readonly string[] {
  try {
    createLanguageModel(config, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

async function ask(config: ModelConfig, env: LlmEnvironment = {}): Promise<string> {
  const created = createLanguageModel(config, env);
  const result = await generateText({ model: await created.load(), prompt: 'hi', ...created.callSettings });
  return result.text;
}

/** The URL a provider would call, caught before anything leaves the process. */
async function urlCalledBy(config: ModelConfig, env: LlmEnvironment): Promise<string> {
  const urls: string[] = [];
  vi.stubGlobal('fetch', async (input: string | URL | Request) => {
    urls.push(input instanceof Request ? input.url : String(input));
    throw new Error('stubbed');
  });
  await ask({ ...config, maxRetries: 0 }, env).catch(() => undefined);
  return urls[0] ?? '';
}

describe('createLanguageModel against the scripted server', () => {
  it('openai with a base URL uses Chat Completions and config.apiKey', async () => {
    const text = await ask({ provider: 'openai', model: 'gpt-test', baseUrl: server.baseUrl, apiKey: 'from-config' }, { LLM_API_KEY: 'generic' });

    expect(text).toBe('echo: hi');
    expect(server.requests[0]?.path).toBe('/v1/chat/completions');
    expect(server.requests[0]?.body?.model).toBe('gpt-test');
    expect(server.requests[0]?.headers['authorization']).toBe('Bearer from-config');
  });

  it('prefers LLM_API_KEY over the provider variable, and uses the provider variable alone', async () => {
    await ask({ provider: 'openai', model: 'm' }, { LLM_BASE_URL: server.baseUrl, LLM_API_KEY: 'generic', OPENAI_API_KEY: 'own' });
    await ask({ provider: 'openai', model: 'm' }, { LLM_BASE_URL: server.baseUrl, OPENAI_API_KEY: 'own' });

    expect(server.requests.map((request) => request.headers['authorization'])).toEqual(['Bearer generic', 'Bearer own']);
  });

  it('prefers config.baseUrl over LLM_BASE_URL', async () => {
    const text = await ask({ provider: 'openai', model: 'm', baseUrl: server.baseUrl }, { LLM_API_KEY: 'k', LLM_BASE_URL: 'http://127.0.0.1:9/v1' });

    expect(text).toBe('echo: hi');
  });

  it('openai_compatible answers with an optional key', async () => {
    await ask({ provider: 'openai_compatible', model: 'local' }, { LLM_BASE_URL: server.baseUrl });
    await ask({ provider: 'openai_compatible', model: 'local', apiKey: 'k' }, { LLM_BASE_URL: server.baseUrl });

    expect(server.requests.map((request) => request.headers['authorization'])).toEqual([undefined, 'Bearer k']);
  });

  it('ollama with a base URL answers without a key', async () => {
    expect(await ask({ provider: 'ollama', model: 'llama3.2', baseUrl: server.baseUrl }, {})).toBe('echo: hi');
    expect(server.requests[0]?.headers['authorization']).toBeUndefined();
  });

  it('openrouter with a base URL answers with OPENROUTER_API_KEY', async () => {
    expect(await ask({ provider: 'openrouter', model: 'openai/gpt-4o-mini', baseUrl: server.baseUrl }, { OPENROUTER_API_KEY: 'or' })).toBe('echo: hi');
    expect(server.requests[0]?.headers['authorization']).toBe('Bearer or');
  });

  it.each(['groq', 'deepseek', 'mistral'])('%s pointed at the scripted server answers too', async (provider) => {
    expect(await ask({ provider, model: 'm', baseUrl: server.baseUrl, apiKey: 'k' })).toBe('echo: hi');
  });

  it('streams usage through openai-compatible providers', async () => {
    server.enqueue({ text: 'ok', usage: { promptTokens: 3, completionTokens: 2 } });
    const created = createLanguageModel({ provider: 'ollama', model: 'm', baseUrl: server.baseUrl }, {});

    const result = streamText({ model: await created.load(), prompt: 'hi' });

    expect(await result.usage).toMatchObject({ inputTokens: 3, outputTokens: 2 });
  });
});

describe('createLanguageModel defaults', () => {
  it('sends openrouter and ollama to their default endpoints', async () => {
    expect(await urlCalledBy({ provider: 'openrouter', model: 'm' }, { OPENROUTER_API_KEY: 'k' })).toBe('https://openrouter.ai/api/v1/chat/completions');
    expect(await urlCalledBy({ provider: 'ollama', model: 'm' }, {})).toBe('http://localhost:11434/v1/chat/completions');
  });

  it('matches provider names case-insensitively and accepts google for gemini', () => {
    expect(createLanguageModel({ provider: ' OpenAI ', model: 'gpt-4o-mini' }, { OPENAI_API_KEY: 'k' }).provider).toBe('openai');
    const gemini = createLanguageModel({ provider: 'GOOGLE', model: ' gemini-2.0-flash ' }, { GEMINI_API_KEY: 'k' });
    expect(gemini.provider).toBe('gemini');
    expect(gemini.modelId).toBe('gemini-2.0-flash');
  });

  it('maps the numeric settings and defaults maxRetries to 2', () => {
    const env = { LLM_API_KEY: 'k' };
    expect(createLanguageModel({ provider: 'openai', model: 'm' }, env).callSettings).toEqual({ maxRetries: 2 });
    const tuned = createLanguageModel({ provider: 'openai', model: 'm', temperature: 0, maxTokens: 256, topP: 0.9, maxRetries: 0 }, env);
    expect(tuned.callSettings).toEqual({ temperature: 0, maxOutputTokens: 256, topP: 0.9, maxRetries: 0 });
  });

  it('accepts numeric strings, as YAML and env files give them', () => {
    const config = { provider: 'openai', model: 'm', temperature: '0.7', maxTokens: '100' } as unknown as ModelConfig;
    expect(createLanguageModel(config, { LLM_API_KEY: 'k' }).callSettings).toEqual({ temperature: 0.7, maxOutputTokens: 100, maxRetries: 2 });
  });

  it('treats an empty config.apiKey as unset', async () => {
    await ask({ provider: 'openai', model: 'm', apiKey: '', baseUrl: server.baseUrl }, { OPENAI_API_KEY: 'own' });

    expect(server.requests[0]?.headers['authorization']).toBe('Bearer own');
  });
});

describe('createLanguageModel problems', () => {
  it.each([
    ['anthropic', 'ANTHROPIC_API_KEY', 'LLM_API_KEY (or ANTHROPIC_API_KEY)'],
    ['gemini', 'GOOGLE_GENERATIVE_AI_API_KEY', 'LLM_API_KEY (or GOOGLE_GENERATIVE_AI_API_KEY or GEMINI_API_KEY)'],
    ['groq', 'GROQ_API_KEY', 'LLM_API_KEY (or GROQ_API_KEY)'],
    ['mistral', 'MISTRAL_API_KEY', 'LLM_API_KEY (or MISTRAL_API_KEY)'],
    ['deepseek', 'DEEPSEEK_API_KEY', 'LLM_API_KEY (or DEEPSEEK_API_KEY)'],
    ['openai', 'OPENAI_API_KEY', 'LLM_API_KEY (or OPENAI_API_KEY)'],
    ['openrouter', 'OPENROUTER_API_KEY', 'LLM_API_KEY (or OPENROUTER_API_KEY)'],
  ] as const)('%s is created with %s and refused without a key', async (provider, variable, hint) => {
    const created = createLanguageModel({ provider, model: 'some-model' }, { [variable]: 'k' });
    expect(created.provider).toBe(provider);
    expect(await created.load()).toMatchObject({ modelId: 'some-model' });

    expect(problemsOf({ provider, model: 'some-model' }, { [provider === 'openai' ? 'ANTHROPIC_API_KEY' : 'OPENAI_API_KEY']: 'other' })).toEqual([
      `No API key for provider "${provider}": set ${hint} or pass modelConfig.apiKey`,
    ]);
  });

  it('names the allowed providers for an unknown one', () => {
    expect(problemsOf({ provider: 'foo', model: 'm' })).toEqual([
      'Unknown LLM provider "foo". Allowed providers: anthropic, deepseek, gemini, groq, mistral, ollama, openai, openai_compatible, openrouter',
    ]);
  });

  it('requires a base URL for openai_compatible', () => {
    expect(problemsOf({ provider: 'openai_compatible', model: 'm' }, { LLM_API_KEY: 'k' })).toEqual([
      'Provider "openai_compatible" needs a base URL: set LLM_BASE_URL or modelConfig.baseUrl',
    ]);
  });

  it('lists every problem of one config at once', () => {
    const config = { provider: 'openai', model: '  ', temperature: 'hot', maxTokens: 0, topP: 1.5, maxRetries: 11, baseUrl: 'ftp://u:secret@host' };

    expect(problemsOf(config as unknown as ModelConfig)).toEqual([
      'modelConfig.model must be a non-empty model name, got "  "',
      'modelConfig.temperature must be a number from 0 to 2, got "hot"',
      'modelConfig.topP must be a number from 0 to 1, got 1.5',
      'modelConfig.maxTokens must be a positive integer, got 0',
      'modelConfig.maxRetries must be an integer from 0 to 10, got 11',
      'No API key for provider "openai": set LLM_API_KEY (or OPENAI_API_KEY) or pass modelConfig.apiKey',
      'modelConfig.baseUrl must be an http:// or https:// URL, got "ftp://u:***@host"',
    ]);
  });

  it('checks the other numeric bounds', () => {
    const env = { LLM_API_KEY: 'k' };
    expect(problemsOf({ provider: 'openai', model: 'm', temperature: 2.5, maxTokens: 1.5, topP: -0.1 }, env)).toEqual([
      'modelConfig.temperature must be a number from 0 to 2, got 2.5',
      'modelConfig.topP must be a number from 0 to 1, got -0.1',
      'modelConfig.maxTokens must be a positive integer, got 1.5',
    ]);
  });

  it('names LLM_BASE_URL when that is the bad URL, and a missing provider', () => {
    expect(problemsOf({ provider: '', model: 'm' }, { LLM_BASE_URL: 'not a url' })).toEqual([
      'modelConfig.provider is required. Allowed providers: anthropic, deepseek, gemini, groq, mistral, ollama, openai, openai_compatible, openrouter',
      'LLM_BASE_URL must be an http:// or https:// URL, got "not a url"',
    ]);
  });

  it('refuses a config that is not an object', () => {
    expect(problemsOf(undefined as unknown as ModelConfig)).toEqual(['modelConfig must be an object like { provider: "openai", model: "gpt-4o-mini" }']);
  });
});
