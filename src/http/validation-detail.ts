import type { z } from 'zod';

/** One entry of a 422 `detail` list; the shape FastAPI clients already parse. */
export interface ValidationDetail {
  readonly type: string;
  readonly loc: readonly (string | number)[];
  readonly msg: string;
  readonly input: unknown;
  readonly ctx?: Record<string, unknown>;
}

const TYPE_WORDS: Record<string, [string, string]> = {
  string: ['string_type', 'Input should be a valid string'],
  number: ['float_type', 'Input should be a valid number'],
  int: ['int_type', 'Input should be a valid integer'],
  boolean: ['bool_type', 'Input should be a valid boolean'],
  object: ['dict_type', 'Input should be a valid dictionary or object'],
  array: ['list_type', 'Input should be a valid list'],
};

/** Turns zod issues into the 422 detail list, each naming where the bad value is and what is allowed. */
export function toValidationDetails(part: 'body' | 'query' | 'path', root: unknown, issues: readonly z.core.$ZodIssue[]): ValidationDetail[] {
  return issues.map((issue) => {
    const loc = [part, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    const input = valueAt(root, issue.path);
    if (issue.code === 'invalid_type') {
      if (input === undefined) return { type: 'missing', loc, msg: 'Field required', input: null };
      const words = TYPE_WORDS[issue.expected];
      if (words) return { type: words[0], loc, msg: words[1], input };
    }
    if (issue.code === 'too_small' && issue.origin === 'string') {
      return { type: 'string_too_short', loc, msg: `String should have at least ${issue.minimum} character${issue.minimum === 1 ? '' : 's'}`, input, ctx: { min_length: Number(issue.minimum) } };
    }
    if (issue.code === 'too_big' && issue.origin === 'string') {
      return { type: 'string_too_long', loc, msg: `String should have at most ${issue.maximum} characters`, input, ctx: { max_length: Number(issue.maximum) } };
    }
    if ((issue.code === 'too_small' || issue.code === 'too_big') && issue.origin === 'number') {
      const [type, word, bound] =
        issue.code === 'too_small'
          ? [issue.inclusive ? 'greater_than_equal' : 'greater_than', issue.inclusive ? 'greater than or equal to' : 'greater than', issue.minimum]
          : [issue.inclusive ? 'less_than_equal' : 'less_than', issue.inclusive ? 'less than or equal to' : 'less than', issue.maximum];
      return { type, loc, msg: `Input should be ${word} ${String(bound)}`, input, ctx: { [type === 'greater_than_equal' ? 'ge' : type === 'greater_than' ? 'gt' : type === 'less_than_equal' ? 'le' : 'lt']: Number(bound) } };
    }
    if (issue.code === 'invalid_value') {
      const expected = issue.values.map((v) => `'${String(v)}'`).join(', ');
      return { type: 'enum', loc, msg: `Input should be ${expected}`, input, ctx: { expected } };
    }
    if (issue.code === 'unrecognized_keys') {
      return { type: 'extra_forbidden', loc: [...loc, ...issue.keys.slice(0, 1)], msg: `Extra inputs are not permitted: ${issue.keys.join(', ')}`, input: valueAt(root, [...issue.path, issue.keys[0] ?? '']) };
    }
    return { type: 'value_error', loc, msg: issue.message, input: input ?? null };
  });
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
