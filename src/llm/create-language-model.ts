import type { LanguageModel } from 'ai';
import type { LlmEnvironment } from '../config/llm-environment.ts';
import { ConfigError } from '../core/errors.ts';
import { PROVIDERS, resolveProviderName, type ModelConfig, type ProviderName } from './model-config.ts';
import { PROVIDER_KEY_VARIABLES, apiKeyVariablesText } from './provider-key-variables.ts';
import { scrubSecrets } from './scrub-secrets.ts';

/** Settings to spread into `generateText`/`streamText`; a type alias so it also fits `Record<string, unknown>`. */
export type ModelCallSettings = {
  readonly temperature?: number;
  readonly maxOutputTokens?: number;
  readonly topP?: number;
  readonly maxRetries: number;
};

export interface CreatedLanguageModel {
  /**
   * Loads the provider's package and builds the model. Only the selected provider's package is ever imported, which
   * keeps start-up fast; the promise is cached, so every call after the first is free.
   */
  readonly load: () => Promise<LanguageModel>;
  /** The canonical provider name (`gemini` for `google`), for error messages and telemetry. */
  readonly provider: string;
  readonly modelId: string;
  readonly callSettings: ModelCallSettings;
}

interface Connection {
  readonly apiKey: string | undefined;
  readonly baseURL: string | undefined;
}

interface ProviderSpec {
  readonly needsKey: boolean;
  /** Used when neither `modelConfig.baseUrl` nor `LLM_BASE_URL` is set; undefined means "required" or "the SDK's own". */
  readonly defaultBaseUrl?: string;
  readonly needsBaseUrl?: boolean;
  readonly build: (modelId: string, connection: Connection) => Promise<LanguageModel>;
}

/** Spreads only what is set, because the SDK settings are declared with `exactOptionalPropertyTypes` in mind. */
function sdkSettings({ apiKey, baseURL }: Connection): { apiKey?: string; baseURL?: string } {
  return { ...(apiKey === undefined ? {} : { apiKey }), ...(baseURL === undefined ? {} : { baseURL }) };
}

function compatible(name: string): ProviderSpec['build'] {
  return async (modelId, connection) => {
    const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
    return createOpenAICompatible({ name, baseURL: connection.baseURL ?? '', includeUsage: true, ...sdkSettings(connection) }).chatModel(modelId);
  };
}

const SPECS: Readonly<Record<ProviderName, ProviderSpec>> = {
  openai: {
    needsKey: true,
    // Compatible servers (vLLM, LiteLLM, proxies) implement Chat Completions, not the Responses API.
    build: async (id, connection) => {
      const provider = (await import('@ai-sdk/openai')).createOpenAI(sdkSettings(connection));
      return connection.baseURL === undefined ? provider(id) : provider.chat(id);
    },
  },
  anthropic: { needsKey: true, build: async (id, c) => (await import('@ai-sdk/anthropic')).createAnthropic(sdkSettings(c))(id) },
  gemini: { needsKey: true, build: async (id, c) => (await import('@ai-sdk/google')).createGoogleGenerativeAI(sdkSettings(c))(id) },
  groq: { needsKey: true, build: async (id, c) => (await import('@ai-sdk/groq')).createGroq(sdkSettings(c))(id) },
  mistral: { needsKey: true, build: async (id, c) => (await import('@ai-sdk/mistral')).createMistral(sdkSettings(c))(id) },
  deepseek: { needsKey: true, build: async (id, c) => (await import('@ai-sdk/deepseek')).createDeepSeek(sdkSettings(c))(id) },
  openrouter: { needsKey: true, defaultBaseUrl: 'https://openrouter.ai/api/v1', build: compatible('openrouter') },
  ollama: { needsKey: false, defaultBaseUrl: 'http://localhost:11434/v1', build: compatible('ollama') },
  openai_compatible: { needsKey: false, needsBaseUrl: true, build: compatible('openai_compatible') },
};

const DEFAULT_MAX_RETRIES = 2;
const MAX_RETRIES_LIMIT = 10;

/**
 * Turns a model config into an AI SDK model. Every problem (unknown provider, missing key or base URL, out-of-range
 * numbers) is found here and thrown together as one `ConfigError`, so a bad deployment fails at start-up rather
 * than on its first request. Credentials: `config.apiKey` > `LLM_API_KEY` > the provider's own variable. Endpoint:
 * `config.baseUrl` > `LLM_BASE_URL` > the provider's default.
 */
export function createLanguageModel(config: ModelConfig, env: LlmEnvironment): CreatedLanguageModel {
  if (typeof config !== 'object' || config === null) {
    throw new ConfigError(['modelConfig must be an object like { provider: "openai", model: "gpt-4o-mini" }']);
  }
  const problems: string[] = [];
  const allowed = `Allowed providers: ${[...PROVIDERS].sort().join(', ')}`;
  let provider: ProviderName | undefined;
  if (typeof config.provider !== 'string' || config.provider.trim() === '') {
    problems.push(`modelConfig.provider is required. ${allowed}`);
  } else {
    provider = resolveProviderName(config.provider);
    if (provider === undefined) problems.push(`Unknown LLM provider "${config.provider}". ${allowed}`);
  }

  const modelId = typeof config.model === 'string' ? config.model.trim() : '';
  if (modelId === '') problems.push(`modelConfig.model must be a non-empty model name, got ${show(config.model)}`);

  const temperature = readNumber(problems, 'temperature', config.temperature, (n) => n >= 0 && n <= 2, 'a number from 0 to 2');
  const topP = readNumber(problems, 'topP', config.topP, (n) => n >= 0 && n <= 1, 'a number from 0 to 1');
  const maxOutputTokens = readNumber(problems, 'maxTokens', config.maxTokens, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
  const maxRetries = readNumber(
    problems,
    'maxRetries',
    config.maxRetries,
    (n) => Number.isInteger(n) && n >= 0 && n <= MAX_RETRIES_LIMIT,
    `an integer from 0 to ${MAX_RETRIES_LIMIT}`,
  );

  const apiKey = readText(problems, 'apiKey', config.apiKey) ?? env.LLM_API_KEY ?? ownKey(provider, env);
  const configuredBaseUrl = readText(problems, 'baseUrl', config.baseUrl);
  const baseUrlSource = configuredBaseUrl !== undefined ? 'modelConfig.baseUrl' : 'LLM_BASE_URL';
  const spec = provider === undefined ? undefined : SPECS[provider];
  const baseURL = configuredBaseUrl ?? env.LLM_BASE_URL ?? spec?.defaultBaseUrl;

  if (provider !== undefined && spec !== undefined) {
    if (spec.needsKey && apiKey === undefined) {
      problems.push(`No API key for provider "${provider}": set ${apiKeyVariablesText(provider)} or pass modelConfig.apiKey`);
    }
    if (spec.needsBaseUrl === true && baseURL === undefined) {
      problems.push(`Provider "${provider}" needs a base URL: set LLM_BASE_URL or modelConfig.baseUrl`);
    }
  }
  if (baseURL !== undefined && !isHttpUrl(baseURL)) {
    problems.push(`${baseUrlSource} must be an http:// or https:// URL, got ${show(scrubSecrets(baseURL))}`);
  }

  if (problems.length > 0 || provider === undefined || spec === undefined) throw new ConfigError(problems);
  let loading: Promise<LanguageModel> | undefined;
  return {
    load: () => (loading ??= spec.build(modelId, { apiKey, baseURL })),
    provider,
    modelId,
    callSettings: {
      ...(temperature === undefined ? {} : { temperature }),
      ...(maxOutputTokens === undefined ? {} : { maxOutputTokens }),
      ...(topP === undefined ? {} : { topP }),
      maxRetries: maxRetries ?? DEFAULT_MAX_RETRIES,
    },
  };
}

function ownKey(provider: ProviderName | undefined, env: LlmEnvironment): string | undefined {
  if (provider === undefined) return undefined;
  for (const name of PROVIDER_KEY_VARIABLES[provider]) {
    const value = env[name];
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Accepts numbers and numeric strings (YAML and env files give strings); anything else is a listed problem. */
function readNumber(
  problems: string[],
  field: string,
  value: unknown,
  inRange: (n: number) => boolean,
  rule: string,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (Number.isFinite(number) && inRange(number)) return number;
  problems.push(`modelConfig.${field} must be ${rule}, got ${show(value)}`);
  return undefined;
}

/** An empty or blank string counts as unset, the same as an empty environment variable. */
function readText(problems: string[], field: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    problems.push(`modelConfig.${field} must be a string, got ${typeof value}`);
    return undefined;
  }
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}
