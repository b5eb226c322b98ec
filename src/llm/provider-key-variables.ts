import type { LlmEnvironmentVariableName } from '../config/llm-environment.ts';
import type { ProviderName } from './model-config.ts';

/**
 * Each provider's own key variables, tried in order after `LLM_API_KEY`. Ollama and generic compatible servers have
 * none: they usually need no key, and borrowing `OPENAI_API_KEY` would send an OpenAI key to a third party.
 */
export const PROVIDER_KEY_VARIABLES: Readonly<Record<ProviderName, readonly LlmEnvironmentVariableName[]>> = {
  openai: ['OPENAI_API_KEY'],
  anthropic: ['ANTHROPIC_API_KEY'],
  gemini: ['GOOGLE_GENERATIVE_AI_API_KEY', 'GEMINI_API_KEY'],
  groq: ['GROQ_API_KEY'],
  mistral: ['MISTRAL_API_KEY'],
  deepseek: ['DEEPSEEK_API_KEY'],
  openrouter: ['OPENROUTER_API_KEY'],
  ollama: [],
  openai_compatible: [],
};

/** `LLM_API_KEY (or OPENAI_API_KEY)`: the variables a person can set to give `provider` a key. */
export function apiKeyVariablesText(provider: ProviderName): string {
  const own = PROVIDER_KEY_VARIABLES[provider];
  return own.length === 0 ? 'LLM_API_KEY' : `LLM_API_KEY (or ${own.join(' or ')})`;
}
