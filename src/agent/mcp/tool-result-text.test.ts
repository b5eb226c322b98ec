import { describe, expect, it } from 'vitest';
import { toolResultText } from './tool-result-text.ts';

describe('toolResultText', () => {
  it('joins text blocks and embedded text resources with newlines', () => {
    const text = toolResultText({
      content: [
        { type: 'text', text: 'one' },
        { type: 'resource', resource: { uri: 'file:///a', text: 'two' } },
        { type: 'text', text: 'three' },
      ],
    });
    expect(text).toBe('one\ntwo\nthree');
  });

  it('replaces binary blocks with a short placeholder', () => {
    const text = toolResultText({
      content: [
        { type: 'image', data: 'AAAA', mimeType: 'image/png' },
        { type: 'resource_link', uri: 'file:///b', name: 'b' },
        { type: 'resource', resource: { uri: 'file:///c', blob: 'AAAA' } },
      ],
    });
    expect(text).toBe('[image image/png]\n[resource file:///b]\n[resource file:///c]');
  });

  it('falls back to structuredContent, then to the legacy toolResult', () => {
    expect(toolResultText({ content: [], structuredContent: { sum: 3 } })).toBe('{"sum":3}');
    expect(toolResultText({ toolResult: 'legacy' })).toBe('legacy');
    expect(toolResultText(null)).toBe('');
  });
});
