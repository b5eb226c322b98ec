import { describeValue, isPlainObject } from './describe-value.ts';
import type { ServeEnvVar } from './env-vars.ts';

/** A field's raw value and where it came from, or why it could not be read. */
export type SettingOutcome =
  | { readonly value: unknown; readonly got: string }
  | { readonly problem: string };

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);
/** Spec 2.1 fixes the start of the message, `<VAR> must be a boolean value`; the words after it say what to write. */
const BOOLEAN_WORDS = `${[...TRUE_WORDS].join(', ')} or ${[...FALSE_WORDS].join(', ')}, in any case`;
const UNLIMITED_WORDS = new Set(['none', 'unlimited']);
const INTEGER = /^[+-]?\d+$/;
// Plain decimal notation only: Number() would also take hex, "Infinity" and "", none of which a person means here.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Reads one field with the documented precedence: the environment variable, else the value passed in code, else
 * the default. An unset or empty variable counts as not set. Code values get the same type checks as environment
 * text, and their problems name the variable too, so one message explains the field whichever way it was set.
 */
export function readSetting(spec: ServeEnvVar, envText: string | undefined, codeValue: unknown): SettingOutcome {
  if (envText !== undefined && envText !== '') {
    const parsed = parseEnvText(spec, envText);
    const got = describeValue(envText);
    return 'problem' in parsed ? { problem: `${parsed.problem}, got ${got}` } : { value: parsed.value, got };
  }
  if (codeValue !== undefined) {
    const checked = checkCodeValue(spec, codeValue);
    const got = describeValue(codeValue);
    return 'problem' in checked ? { problem: `${checked.problem}, got ${got}` } : { value: checked.value, got };
  }
  return { value: copyDefault(spec.default), got: describeValue(spec.default) };
}

type Parsed = { readonly value: unknown } | { readonly problem: string };

function parseEnvText(spec: ServeEnvVar, text: string): Parsed {
  const trimmed = text.trim();
  switch (spec.type) {
    case 'bool': {
      const word = trimmed.toLowerCase();
      if (TRUE_WORDS.has(word)) return { value: true };
      if (FALSE_WORDS.has(word)) return { value: false };
      return { problem: `${spec.name} must be a boolean value (${BOOLEAN_WORDS})` };
    }
    case 'int':
      return parseInteger(trimmed, `${spec.name} must be an integer`);
    case 'float': {
      const number = Number(trimmed);
      if (DECIMAL.test(trimmed) && Number.isFinite(number)) return { value: number };
      return { problem: `${spec.name} must be a number` };
    }
    case 'string':
      return { value: cleanString(spec, text) };
    case 'list':
      return { value: cleanList(text.split(',')) };
    case 'run-limit':
      if (UNLIMITED_WORDS.has(trimmed.toLowerCase())) return { value: 0 };
      return parseInteger(trimmed, unlimitedHint(spec.name));
    case 'task-store':
      return { value: trimmed.toLowerCase() };
  }
}

function checkCodeValue(spec: ServeEnvVar, value: unknown): Parsed {
  switch (spec.type) {
    case 'bool':
      return typeof value === 'boolean' ? { value } : { problem: `${spec.name} must be a boolean value (true or false)` };
    case 'int':
      return Number.isSafeInteger(value) ? { value } : { problem: `${spec.name} must be an integer` };
    case 'float':
      if (value === null && spec.default === null) return { value: null };
      if (typeof value === 'number' && Number.isFinite(value)) return { value };
      return { problem: `${spec.name} must be a number` };
    case 'string':
      if (value === null && spec.default === null) return { value: null };
      if (typeof value === 'string') return { value: cleanString(spec, value) };
      return { problem: `${spec.name} must be a string` };
    case 'list':
      return Array.isArray(value) && value.every((item) => typeof item === 'string')
        ? { value: cleanList(value) }
        : { problem: `${spec.name} must be a list of strings` };
    case 'run-limit':
      // null is how the reference spells "use the default" for this field, so code written against it keeps working.
      if (value === null) return { value: spec.default };
      return Number.isSafeInteger(value) ? { value } : { problem: unlimitedHint(spec.name) };
    case 'task-store':
      if (value === null) return { value: spec.default };
      if (typeof value === 'string') return { value: value.trim().toLowerCase() };
      // The object itself is checked when the task store config is resolved, which also copies it.
      if (isPlainObject(value)) return { value };
      return { problem: `${spec.name} must be a backend name or a task store config object` };
  }
}

function parseInteger(text: string, problem: string): Parsed {
  const number = Number(text);
  return INTEGER.test(text) && Number.isSafeInteger(number) ? { value: number } : { problem };
}

function unlimitedHint(name: string): string {
  return `${name} must be an integer (0, none or unlimited for no limit)`;
}

function cleanString(spec: ServeEnvVar, text: string): string | null {
  const trimmed = text.trim();
  // A blank optional setting is a leftover line in a .env file, not a value: treat it as unset.
  return trimmed === '' && spec.default === null ? null : trimmed;
}

function cleanList(items: readonly string[]): string[] {
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

function copyDefault(value: ServeEnvVar['default']): unknown {
  return Array.isArray(value) ? [...value] : value;
}
