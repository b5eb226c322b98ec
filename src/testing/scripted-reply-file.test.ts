import { describe, expect, it } from 'vitest';
import { parseScript, ScriptFileError } from './scripted-reply-file.ts';

const parse = (value: unknown) => parseScript(JSON.stringify(value), 'demo.json');
const problem = (value: unknown) => {
  try {
    parse(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ScriptFileError);
    return (error as Error).message;
  }
  throw new Error('expected the script to be refused');
};

describe('parseScript', () => {
  it('takes every kind of reply enqueue takes, unchanged', () => {
    const replies = [
      { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-2001' }, id: 'call_1' }], text: 'Looking it up.' },
      { toolCalls: [{ name: 'bad_args', arguments: '{not json' }] },
      { text: 'Done.', chunkDelayMs: 20, usage: { promptTokens: 3, completionTokens: 1 }, finishReason: 'stop' },
      { error: { status: 429, headers: { 'retry-after-ms': '0' } }, delayMs: 5 },
      { hang: true },
    ];
    expect(parse(replies)).toEqual(replies);
  });

  it('names the file, the reply and the field of a mistake', () => {
    expect(() => parseScript('[{"text": }]', 'demo.json')).toThrow(/^demo\.json is not valid JSON: /);
    expect(problem({ text: 'hi' })).toBe('demo.json must hold a JSON array of replies, such as [{"text": "Hello"}]');
    expect(problem([{ text: 'ok' }, 'hello'])).toBe('demo.json: reply 2 must be an object');
    expect(problem([{ say: 'hi' }])).toBe('demo.json: reply 1 must have "text", "toolCalls", "error" or "hang" (a text reply is {"text": "..."})');
    expect(problem([{ toolCalls: [{ name: '', arguments: {} }] }])).toMatch(/^demo\.json: reply 1 \(toolCalls\.0\.name\): /);
    expect(problem([{ toolCalls: [] }])).toMatch(/^demo\.json: reply 1 \(toolCalls\): /);
    expect(problem([{ text: 'hi', delay: 5 }])).toMatch(/^demo\.json: reply 1: .*delay/);
    expect(problem([{ error: { status: 200 } }])).toMatch(/^demo\.json: reply 1 \(error\.status\): /);
  });
});
