import { describe, expect, it } from 'vitest';
import { scrubSecrets } from './scrub-secrets.ts';

describe('scrubSecrets', () => {
  it.each([
    ['OpenAI key sk-proj-AbCdEf0123456789xyz here', 'OpenAI key sk-*** here'],
    ['anthropic sk-ant-api03-abcdefghijklmnop', 'anthropic sk-***'],
    ['Authorization: Bearer eyJhbGciOi.J9.abc-_=', 'Authorization: Bearer ***'],
    ['GET /v1?api_key=abc123&x=1', 'GET /v1?api_key=***&x=1'],
    ['{"api_key": "abc123", "model": "m"}', '{"api_key": "***", "model": "m"}'],
    ['x-api-key: abc123', 'x-api-key: ***'],
    ['postgres://app:hunter2@db:5432/omni', 'postgres://app:***@db:5432/omni'],
    ['https://generativelanguage.googleapis.com/v1/models?key=AIzaSyA1234567890', 'https://generativelanguage.googleapis.com/v1/models?key=***'],
    ['groq gsk_abcdefghijklmnopqrstu', 'groq gsk_***'],
    ['password=letmein; user=bob', 'password=***; user=bob'],
  ])('masks %j', (input, expected) => {
    expect(scrubSecrets(input)).toBe(expected);
  });

  it('leaves ordinary text and ids alone', () => {
    const text = 'Token limit reached for run_0123456789abcdef0123456789abcdef in task_abcdefghijkl (see https://example.com/docs)';
    expect(scrubSecrets(text)).toBe(text);
  });
});
