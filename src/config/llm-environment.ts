/** One environment variable the LLM layer reads, with what it means, for docs that must list every one. */
export interface LlmEnvironmentVariable {
  readonly name: string;
  readonly meaning: string;
}

export const LLM_ENVIRONMENT_VARIABLES = [
  { name: 'LLM_API_KEY', meaning: 'API key for the configured provider; wins over the provider-specific variables below.' },
  { name: 'LLM_BASE_URL', meaning: 'Endpoint of the provider (an OpenAI-compatible server, a proxy, Ollama); required for openai_compatible.' },
  { name: 'OPENAI_API_KEY', meaning: 'API key for provider "openai" when LLM_API_KEY is unset.' },
  { name: 'ANTHROPIC_API_KEY', meaning: 'API key for provider "anthropic" when LLM_API_KEY is unset.' },
  { name: 'GOOGLE_GENERATIVE_AI_API_KEY', meaning: 'API key for provider "gemini" when LLM_API_KEY is unset.' },
  { name: 'GEMINI_API_KEY', meaning: 'API key for provider "gemini" when LLM_API_KEY and GOOGLE_GENERATIVE_AI_API_KEY are unset.' },
  { name: 'GROQ_API_KEY', meaning: 'API key for provider "groq" when LLM_API_KEY is unset.' },
  { name: 'MISTRAL_API_KEY', meaning: 'API key for provider "mistral" when LLM_API_KEY is unset.' },
  { name: 'DEEPSEEK_API_KEY', meaning: 'API key for provider "deepseek" when LLM_API_KEY is unset.' },
  { name: 'OPENROUTER_API_KEY', meaning: 'API key for provider "openrouter" when LLM_API_KEY is unset.' },
] as const satisfies readonly LlmEnvironmentVariable[];

export type LlmEnvironmentVariableName = (typeof LLM_ENVIRONMENT_VARIABLES)[number]['name'];

/**
 * The LLM settings found in the environment, keyed by variable name so an error message and the code name the same
 * thing. A variable that is unset or empty is absent.
 */
export type LlmEnvironment = { readonly [Name in LlmEnvironmentVariableName]?: string };

/** The only reader of `process.env` for LLM settings; everything else receives the result. */
export function readLlmEnvironment(env: NodeJS.ProcessEnv = process.env): LlmEnvironment {
  const found: { [Name in LlmEnvironmentVariableName]?: string } = {};
  for (const { name } of LLM_ENVIRONMENT_VARIABLES) {
    // Shells and .env files leave `KEY=` behind when a value is removed; that means "not set", not "empty key".
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') found[name] = value;
  }
  return Object.freeze(found);
}
