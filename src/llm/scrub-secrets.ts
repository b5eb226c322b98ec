/**
 * Patterns for credentials that end up in error text: provider messages quote keys, connection errors quote URLs
 * with passwords, and request dumps carry headers. Order matters: URL passwords and `key=value` pairs are masked
 * whole before the bare-token rules look at what is left. A value never swallows a final full stop, which is
 * almost always the sentence's.
 */
const RULES: readonly (readonly [RegExp, string])[] = [
  [/\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/]+):([^\s@/]+)@/gi, '$1$2:***@'],
  [/\b(Bearer)(\s+)[A-Za-z0-9._~+/=-]*[A-Za-z0-9_~+/=-]/gi, '$1$2***'],
  [
    /\b((?:x-)?api[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|client[_-]?secret|password|passwd|secret)(["']?\s*[:=]\s*["']?)[^\s"'&,;]*[^\s"'&,;.]/gi,
    '$1$2***',
  ],
  [/([?&](?:key|token|sig|signature)=)[^&\s#"']+/gi, '$1***'],
  [/\b(sk[-_])[A-Za-z0-9_-]{8,}/g, '$1***'],
  [/\b(gsk_|xai-|AIza)[A-Za-z0-9_-]{8,}/g, '$1***'],
];

/** Masks API keys, bearer tokens, `api_key=...` pairs and URL passwords so the text can be logged or returned. */
export function scrubSecrets(text: string): string {
  let scrubbed = text;
  for (const [pattern, replacement] of RULES) scrubbed = scrubbed.replace(pattern, replacement);
  return scrubbed;
}
