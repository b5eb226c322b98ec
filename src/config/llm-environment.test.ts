import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LLM_ENVIRONMENT_VARIABLES, readLlmEnvironment } from './llm-environment.ts';

describe('readLlmEnvironment', () => {
  it('reads the generic and provider-specific variables', () => {
    const env = readLlmEnvironment({
      LLM_API_KEY: 'generic',
      LLM_BASE_URL: 'http://localhost:8000/v1',
      OPENAI_API_KEY: 'o',
      ANTHROPIC_API_KEY: 'a',
      GOOGLE_GENERATIVE_AI_API_KEY: 'g1',
      GEMINI_API_KEY: 'g2',
      GROQ_API_KEY: 'gr',
      MISTRAL_API_KEY: 'm',
      DEEPSEEK_API_KEY: 'd',
      OPENROUTER_API_KEY: 'or',
      UNRELATED: 'ignored',
    });

    expect(env).toEqual({
      LLM_API_KEY: 'generic',
      LLM_BASE_URL: 'http://localhost:8000/v1',
      OPENAI_API_KEY: 'o',
      ANTHROPIC_API_KEY: 'a',
      GOOGLE_GENERATIVE_AI_API_KEY: 'g1',
      GEMINI_API_KEY: 'g2',
      GROQ_API_KEY: 'gr',
      MISTRAL_API_KEY: 'm',
      DEEPSEEK_API_KEY: 'd',
      OPENROUTER_API_KEY: 'or',
    });
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('treats empty and blank values as unset and trims the rest', () => {
    const env = readLlmEnvironment({ LLM_API_KEY: '', OPENAI_API_KEY: '   ', LLM_BASE_URL: ' http://x/v1 \n' });

    expect(env).toEqual({ LLM_BASE_URL: 'http://x/v1' });
    expect('LLM_API_KEY' in env).toBe(false);
  });

  it('reads process.env when given nothing', () => {
    const previous = process.env['MISTRAL_API_KEY'];
    process.env['MISTRAL_API_KEY'] = 'from-process';
    try {
      expect(readLlmEnvironment().MISTRAL_API_KEY).toBe('from-process');
    } finally {
      if (previous === undefined) delete process.env['MISTRAL_API_KEY'];
      else process.env['MISTRAL_API_KEY'] = previous;
    }
  });

  it('describes every variable once, with a meaning', () => {
    const names = LLM_ENVIRONMENT_VARIABLES.map((variable) => variable.name);

    expect(new Set(names).size).toBe(names.length);
    for (const variable of LLM_ENVIRONMENT_VARIABLES) expect(variable.meaning.length).toBeGreaterThan(10);
  });

  it('is the only module in src/ that reads an LLM variable from process.env', () => {
    // Other modules must receive an LlmEnvironment; reading directly would skip the empty-means-unset rule.
    const names = LLM_ENVIRONMENT_VARIABLES.map((variable) => variable.name).join('|');
    const direct = new RegExp(`process\\.env(?:\\.|\\[['"\`])(?:${names})\\b`);
    const src = fileURLToPath(new URL('..', import.meta.url));
    const offenders = readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
      .filter((file) => direct.test(readFileSync(join(src, file), 'utf8')));

    expect(offenders).toEqual([]);
  });
});
