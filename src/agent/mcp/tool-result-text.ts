/**
 * Flattens an MCP `tools/call` result into the text the model reads. Text blocks and embedded text resources are
 * kept verbatim; binary blocks become a short placeholder, since base64 would only burn context.
 */
export function toolResultText(result: unknown): string {
  if (!isRecord(result)) return '';
  const content = result['content'];
  if (Array.isArray(content) && content.length > 0) {
    return content.map(blockText).filter((text) => text !== '').join('\n');
  }
  // Tools with an output schema may answer only in structuredContent; servers on the 2024-10 protocol use toolResult.
  const structured = result['structuredContent'] ?? result['toolResult'];
  if (structured === undefined) return '';
  return typeof structured === 'string' ? structured : JSON.stringify(structured);
}

function blockText(block: unknown): string {
  if (!isRecord(block)) return '';
  switch (block['type']) {
    case 'text':
      return typeof block['text'] === 'string' ? block['text'] : '';
    case 'resource': {
      const resource = block['resource'];
      if (isRecord(resource) && typeof resource['text'] === 'string') return resource['text'];
      return `[resource ${String(isRecord(resource) ? resource['uri'] : '')}]`;
    }
    case 'resource_link':
      return `[resource ${String(block['uri'])}]`;
    case 'image':
    case 'audio':
      return `[${block['type']} ${String(block['mimeType'])}]`;
    default:
      return '';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
