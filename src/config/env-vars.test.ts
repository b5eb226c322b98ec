import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { ENV_VAR_TYPES, SERVE_ENV_VARS, shownDefault, type ServeEnvVar } from './env-vars.ts';
import { renderConfigShow } from './render-config.ts';
import { loadServeConfig } from './serve-config.ts';

/** Text that differs from the default (and may be invalid): either way the variable must visibly take effect. */
function sampleText(spec: ServeEnvVar): string {
  switch (spec.type) {
    case 'bool':
      return String(spec.default !== true);
    case 'int':
    case 'run-limit':
      return String((typeof spec.default === 'number' ? spec.default : 0) + 1);
    case 'float':
      return String((typeof spec.default === 'number' ? spec.default : 0) + 1.5);
    case 'list':
      return 'sample-a,sample-b';
    case 'string':
      return 'sample';
    case 'task-store':
      return 'sql';
  }
}

describe('SERVE_ENV_VARS', () => {
  it('names each variable and field once, with the reference prefixes', () => {
    expect(new Set(SERVE_ENV_VARS.map((spec) => spec.name)).size).toBe(SERVE_ENV_VARS.length);
    expect(new Set(SERVE_ENV_VARS.map((spec) => spec.field)).size).toBe(SERVE_ENV_VARS.length);
    for (const spec of SERVE_ENV_VARS) {
      // OTEL_* variables keep the OpenTelemetry standard names, so existing collector setups just work.
      expect(spec.name).toMatch(/^(OMNICOREAGENT_(SERVE|BACKGROUND|WORKSPACE)_[A-Z_]+|OTEL_[A-Z_]+)$/);
      expect(ENV_VAR_TYPES).toContain(spec.type);
      expect(spec.description.length).toBeGreaterThan(10);
    }
  });

  it('is the exact list of config fields, in config order, with matching defaults', () => {
    const config = loadServeConfig({}, {});
    expect(Object.keys(config)).toEqual(SERVE_ENV_VARS.map((spec) => spec.field));
    for (const spec of SERVE_ENV_VARS) expect(config[spec.field], spec.name).toEqual(spec.default);
  });

  it('names the effective default of every null default the server fills in, one value whatever the store', () => {
    // What `config --show` prints as "<value> (default)" under every durable store is a default in all but name:
    // the docs must show it rather than "none" (they are checked against `effectiveDefault`).
    const stores = [
      { OMNICOREAGENT_BACKGROUND_TASK_STORE: 'sql' },
      { OMNICOREAGENT_BACKGROUND_TASK_STORE: 'redis', OMNICOREAGENT_BACKGROUND_TASK_STORE_URL: 'redis://127.0.0.1:6379/0' },
      { OMNICOREAGENT_BACKGROUND_TASK_STORE: 'mongodb', OMNICOREAGENT_BACKGROUND_TASK_STORE_URI: 'mongodb://127.0.0.1:27017' },
    ];
    const shown = stores.map((env) => new Map(
      renderConfigShow(loadServeConfig({}, env), {}).split('\n').flatMap((line) => {
        const match = /^ {2}(\w+): (.*) \(default\)$/.exec(line);
        return match === null ? [] : [[match[1], match[2]] as const];
      }),
    ));
    const filled = SERVE_ENV_VARS.filter((spec) => spec.default === null).flatMap((spec) => {
      const key = spec.field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
      const values = new Set(shown.map((lines) => lines.get(key)));
      const [value] = values;
      return values.size === 1 && value !== undefined ? [[spec, value] as const] : [];
    });
    expect(filled.map(([spec]) => spec.name)).toContain('OMNICOREAGENT_BACKGROUND_TASK_STORE_CONNECT_TIMEOUT');
    for (const [spec, value] of filled) expect(String(shownDefault(spec)), spec.name).toBe(value);
  });

  it.each(SERVE_ENV_VARS.map((spec) => [spec.name, spec] as const))('%s is read by loadServeConfig', (_name, spec) => {
    try {
      const config = loadServeConfig({}, { [spec.name]: sampleText(spec) });
      expect(config[spec.field]).not.toEqual(spec.default);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      expect(error.problems.some((problem) => problem.includes(spec.name))).toBe(true);
    }
  });

  it('uses the chosen names for settings the reference left unnamed', () => {
    const names = SERVE_ENV_VARS.map((spec) => spec.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'OMNICOREAGENT_SERVE_ORPHAN_SWEEP_MAX_CONCURRENT',
        'OMNICOREAGENT_SERVE_ORPHAN_SWEEP_MAX_RECOVERIES',
        'OMNICOREAGENT_SERVE_PUBLIC_PATHS',
        'OMNICOREAGENT_SERVE_TRUSTED_PROXIES',
        'OMNICOREAGENT_SERVE_RUN_ADMISSION_WAIT',
        'OMNICOREAGENT_SERVE_BODY_LIMIT_BYTES',
        'OMNICOREAGENT_SERVE_SSE_HEARTBEAT_SECONDS',
        'OMNICOREAGENT_SERVE_SHUTDOWN_GRACE_SECONDS',
      ]),
    );
    expect(names.some((name) => /OMNISERVER?_/.test(name.replace('OMNICOREAGENT_', '')))).toBe(false);
  });
});
