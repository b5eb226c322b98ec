/**
 * Shows a value inside an error message so the reader can find it in their environment or code: strings are quoted
 * (a stray space stays visible), structures are JSON, and nothing printed grows without bound.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return clip(JSON.stringify(value));
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'object' && value !== null) {
    try {
      return clip(JSON.stringify(value));
    } catch {
      return 'an object that cannot be shown';
    }
  }
  return String(value);
}

const MAX_SHOWN = 120;

function clip(text: string): string {
  return text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN - 3)}...`;
}

/** True for `{...}` literals and `Object.create(null)`, not for arrays, dates or class instances. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
