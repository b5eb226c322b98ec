/** The providers `createLanguageModel` knows; `google` is also accepted as another name for `gemini`. */
export const PROVIDERS = [
  'openai',
  'anthropic',
  'gemini',
  'groq',
  'mistral',
  'deepseek',
  'openrouter',
  'ollama',
  'openai_compatible',
] as const;

export type ProviderName = (typeof PROVIDERS)[number];

/**
 * Which model to call and how. Numbers may arrive as numeric strings from YAML or JSON config; they are checked
 * and converted once, by `createLanguageModel`.
 */
export interface ModelConfig {
  /** One of `PROVIDERS`, matched case-insensitively. */
  readonly provider: string;
  readonly model: string;
  /** 0 to 2. */
  readonly temperature?: number;
  /** A positive integer; the AI SDK calls it `maxOutputTokens`. */
  readonly maxTokens?: number;
  /** 0 to 1. */
  readonly topP?: number;
  /** Overrides `LLM_BASE_URL` and the provider's default endpoint. */
  readonly baseUrl?: string;
  /** Overrides `LLM_API_KEY` and the provider's own variable. */
  readonly apiKey?: string;
  /**
   * Extra attempts after a retryable failure (HTTP 408/409/429/5xx, dropped connections), 0 to 10, default 2. The AI
   * SDK waits 2 s, then 4 s, ... between attempts (or what `Retry-After` asks), so one call makes at most
   * `maxRetries + 1` requests.
   */
  readonly maxRetries?: number;
}

const ALIASES: Readonly<Record<string, ProviderName>> = { google: 'gemini' };

/** The canonical provider name for what a person typed (`" OpenAI "`, `google`), or undefined when unknown. */
export function resolveProviderName(name: string): ProviderName | undefined {
  const wanted = name.trim().toLowerCase();
  return PROVIDERS.find((provider) => provider === wanted) ?? ALIASES[wanted];
}
