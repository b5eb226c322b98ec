import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { SERVE_ENV_VARS } from './env-vars.ts';
import { loadServeConfig, type OmniServeOptions } from './serve-config.ts';

/** The problems `loadServeConfig` reports for these inputs (fails the test if it does not throw). */
function problemsOf(options: OmniServeOptions | Record<string, unknown>, env: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    loadServeConfig(options as OmniServeOptions, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

function problemsIfAny(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadServeConfig({}, env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('loadServeConfig defaults', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadServeConfig({}, {});
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8000,
      workers: 1,
      apiPrefix: '',
      enableDocs: true,
      enableRedoc: true,
      corsEnabled: true,
      corsOrigins: ['*'],
      corsMethods: ['*'],
      corsHeaders: ['*'],
      corsCredentials: true,
      authEnabled: false,
      authToken: null,
      requestLogging: true,
      logLevel: 'INFO',
      requestTimeout: 300,
      rateLimitEnabled: false,
      rateLimitRequests: 100,
      rateLimitWindow: 60,
      backgroundEnabled: true,
      backgroundAgentId: 'default',
      backgroundTaskStore: 'in_memory',
      backgroundTaskStoreUrl: null,
      backgroundTaskStoreUri: null,
      backgroundTaskStoreDatabase: null,
      backgroundTaskStorePrefix: null,
      backgroundTaskStoreCollectionPrefix: null,
      backgroundTaskStoreConnectTimeout: null,
      backgroundStartWorker: true,
      maxConcurrentRuns: 24,
      runAdmissionWaitSeconds: 5,
      orphanSweepEnabled: true,
      orphanSweepIntervalSeconds: 30,
      orphanSweepDecidedGraceSeconds: 30,
      orphanSweepMaxConcurrent: 2,
      orphanSweepMaxRecoveries: 3,
      publicPaths: [],
      trustedProxies: [],
      bodyLimitBytes: 1024 * 1024,
      sseHeartbeatSeconds: 15,
      shutdownGraceSeconds: 30,
    });
  });

  it('reads process.env when no env is passed', () => {
    const before = process.env['OMNICOREAGENT_SERVE_PORT'];
    process.env['OMNICOREAGENT_SERVE_PORT'] = '8123';
    try {
      expect(loadServeConfig().port).toBe(8123);
    } finally {
      if (before === undefined) delete process.env['OMNICOREAGENT_SERVE_PORT'];
      else process.env['OMNICOREAGENT_SERVE_PORT'] = before;
    }
  });

  it('returns a deeply frozen object and leaves the caller’s arrays alone', () => {
    const origins = ['https://a.example'];
    const config = loadServeConfig({ corsOrigins: origins }, {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.corsOrigins)).toBe(true);
    expect(Object.isFrozen(config.publicPaths)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(Object.isFrozen(origins)).toBe(false);
  });
});

describe('loadServeConfig precedence', () => {
  it('lets the environment beat options, and options beat defaults', () => {
    expect(loadServeConfig({ port: 9000 }, { OMNICOREAGENT_SERVE_PORT: '7000' }).port).toBe(7000);
    expect(loadServeConfig({ port: 9000 }, {}).port).toBe(9000);
  });

  it('ignores an environment variable set to the empty string', () => {
    expect(loadServeConfig({ port: 9000 }, { OMNICOREAGENT_SERVE_PORT: '' }).port).toBe(9000);
    expect(loadServeConfig({}, { OMNICOREAGENT_SERVE_AUTH_ENABLED: '' }).authEnabled).toBe(false);
  });

  it('treats an option given as undefined as not given', () => {
    expect(loadServeConfig({ port: undefined, host: undefined }, {}).port).toBe(8000);
  });

  it('prefers env 7 over code 99 for max concurrent runs', () => {
    expect(loadServeConfig({ maxConcurrentRuns: 99 }, { OMNICOREAGENT_SERVE_MAX_CONCURRENT_RUNS: '7' }).maxConcurrentRuns).toBe(7);
    expect(loadServeConfig({ maxConcurrentRuns: 99 }, {}).maxConcurrentRuns).toBe(99);
  });
});

describe('loadServeConfig parsing', () => {
  it.each([
    ['true', true], ['TRUE', true], ['1', true], ['yes', true], ['On', true],
    ['false', false], ['False', false], ['0', false], ['no', false], ['OFF', false],
  ])('reads boolean %j as %j', (text, value) => {
    expect(loadServeConfig({}, { OMNICOREAGENT_SERVE_ENABLE_DOCS: text }).enableDocs).toBe(value);
  });

  it('rejects a word that is not a boolean, showing the value and the words it takes', () => {
    expect(problemsOf({}, { OMNICOREAGENT_SERVE_CORS_ENABLED: 'maybe' })).toEqual([
      'OMNICOREAGENT_SERVE_CORS_ENABLED must be a boolean value (true, 1, yes, on or false, 0, no, off, in any case), got "maybe"',
    ]);
  });

  it.each(SERVE_ENV_VARS.filter((spec) => spec.type === 'bool').map((spec) => spec.name))('%s: a bad value lists every accepted word', (name) => {
    const [problem] = problemsOf({}, { [name]: 'maybe' });
    expect(problem?.startsWith(`${name} must be a boolean value (`)).toBe(true);
    for (const word of ['true', '1', 'yes', 'on', 'false', '0', 'no', 'off']) {
      // Setting one of them may break another rule (auth on needs a token), but never the boolean one.
      expect(problemsIfAny({ [name]: word.toUpperCase() }).filter((text) => text.includes('boolean')), word).toEqual([]);
      expect(problem).toMatch(new RegExp(`[ (]${word}[,) ]`));
    }
  });

  it.each(['abc', '80.5', '8e3', '0x1f', ' '])('rejects integer text %j', (text) => {
    expect(problemsOf({}, { OMNICOREAGENT_SERVE_PORT: text })).toEqual([
      `OMNICOREAGENT_SERVE_PORT must be an integer, got ${JSON.stringify(text)}`,
    ]);
  });

  it('accepts an integer with surrounding spaces', () => {
    expect(loadServeConfig({}, { OMNICOREAGENT_SERVE_PORT: ' 8080 ' }).port).toBe(8080);
  });

  it.each([['2.5', 2.5], ['10', 10], ['.5', 0.5], ['1e1', 10]])('reads number %j', (text, value) => {
    expect(loadServeConfig({}, { OMNICOREAGENT_SERVE_RUN_ADMISSION_WAIT: text }).runAdmissionWaitSeconds).toBe(value);
  });

  it.each(['soon', 'Infinity', 'NaN', '0x10'])('rejects number text %j', (text) => {
    expect(problemsOf({}, { OMNICOREAGENT_BACKGROUND_TASK_STORE_CONNECT_TIMEOUT: text })).toEqual([
      `OMNICOREAGENT_BACKGROUND_TASK_STORE_CONNECT_TIMEOUT must be a number, got ${JSON.stringify(text)}`,
    ]);
  });

  it('splits lists on commas, trims items and drops empty ones', () => {
    const config = loadServeConfig({}, { OMNICOREAGENT_SERVE_CORS_ORIGINS: ' https://a.example , ,https://b.example,' });
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(loadServeConfig({}, { OMNICOREAGENT_SERVE_CORS_METHODS: ' , ' }).corsMethods).toEqual([]);
  });

  it('trims strings and treats a blank optional string as unset', () => {
    const config = loadServeConfig({}, { OMNICOREAGENT_SERVE_HOST: ' 127.0.0.1 ', OMNICOREAGENT_BACKGROUND_TASK_STORE_PREFIX: '   ' });
    expect(config.host).toBe('127.0.0.1');
    expect(config.backgroundTaskStorePrefix).toBeNull();
  });
});

describe('loadServeConfig validation', () => {
  it.each([
    [{ OMNICOREAGENT_SERVE_HOST: '   ' }, 'OMNICOREAGENT_SERVE_HOST must not be empty, got "   "'],
    [{ OMNICOREAGENT_SERVE_PORT: '0' }, 'OMNICOREAGENT_SERVE_PORT must be between 1 and 65535, got "0"'],
    [{ OMNICOREAGENT_SERVE_PORT: '65536' }, 'OMNICOREAGENT_SERVE_PORT must be between 1 and 65535, got "65536"'],
    [{ OMNICOREAGENT_SERVE_API_PREFIX: '/my api' }, 'OMNICOREAGENT_SERVE_API_PREFIX must not contain whitespace, got "/my api"'],
    [
      { OMNICOREAGENT_SERVE_LOG_LEVEL: 'verbose' },
      'OMNICOREAGENT_SERVE_LOG_LEVEL must be one of: CRITICAL, DEBUG, ERROR, INFO, TRACE, WARNING, got "verbose"',
    ],
    [
      { OMNICOREAGENT_SERVE_RATE_LIMIT_ENABLED: 'true', OMNICOREAGENT_SERVE_RATE_LIMIT_REQUESTS: '0' },
      'OMNICOREAGENT_SERVE_RATE_LIMIT_REQUESTS must be at least 1 when rate limiting is enabled, got "0"',
    ],
    [
      { OMNICOREAGENT_SERVE_RATE_LIMIT_ENABLED: 'true', OMNICOREAGENT_SERVE_RATE_LIMIT_WINDOW: '0' },
      'OMNICOREAGENT_SERVE_RATE_LIMIT_WINDOW must be at least 1 when rate limiting is enabled, got "0"',
    ],
    [
      { OMNICOREAGENT_SERVE_ORPHAN_SWEEP_INTERVAL_SECONDS: '0' },
      'OMNICOREAGENT_SERVE_ORPHAN_SWEEP_INTERVAL_SECONDS must be greater than 0, got "0"',
    ],
    [
      { OMNICOREAGENT_SERVE_ORPHAN_SWEEP_DECIDED_GRACE_SECONDS: '-1' },
      'OMNICOREAGENT_SERVE_ORPHAN_SWEEP_DECIDED_GRACE_SECONDS must be at least 0, got "-1"',
    ],
    [{ OMNICOREAGENT_SERVE_ORPHAN_SWEEP_MAX_CONCURRENT: '0' }, 'OMNICOREAGENT_SERVE_ORPHAN_SWEEP_MAX_CONCURRENT must be at least 1, got "0"'],
    [{ OMNICOREAGENT_SERVE_ORPHAN_SWEEP_MAX_RECOVERIES: '0' }, 'OMNICOREAGENT_SERVE_ORPHAN_SWEEP_MAX_RECOVERIES must be at least 1, got "0"'],
    [{ OMNICOREAGENT_SERVE_RUN_ADMISSION_WAIT: '-0.5' }, 'OMNICOREAGENT_SERVE_RUN_ADMISSION_WAIT must be at least 0, got "-0.5"'],
    [{ OMNICOREAGENT_SERVE_BODY_LIMIT_BYTES: '0' }, 'OMNICOREAGENT_SERVE_BODY_LIMIT_BYTES must be at least 1, got "0"'],
    [{ OMNICOREAGENT_SERVE_SSE_HEARTBEAT_SECONDS: '-1' }, 'OMNICOREAGENT_SERVE_SSE_HEARTBEAT_SECONDS must be at least 0, got "-1"'],
    [{ OMNICOREAGENT_SERVE_SHUTDOWN_GRACE_SECONDS: '-1' }, 'OMNICOREAGENT_SERVE_SHUTDOWN_GRACE_SECONDS must be at least 0, got "-1"'],
    [
      { OMNICOREAGENT_BACKGROUND_TASK_STORE_CONNECT_TIMEOUT: '0' },
      'OMNICOREAGENT_BACKGROUND_TASK_STORE_CONNECT_TIMEOUT must be greater than 0, got "0"',
    ],
    [
      { OMNICOREAGENT_SERVE_REQUEST_TIMEOUT: '2592000' },
      'OMNICOREAGENT_SERVE_REQUEST_TIMEOUT must be at most 2147483 seconds (24.8 days, the longest timer Node.js can set), got "2592000"',
    ],
    [
      { OMNICOREAGENT_BACKGROUND_LEASE_SECONDS: '1e9' },
      'OMNICOREAGENT_BACKGROUND_LEASE_SECONDS must be at most 2147483 seconds (24.8 days, the longest timer Node.js can set), got "1e9"',
    ],
    [
      { OMNICOREAGENT_BACKGROUND_AGENT_ID: 'my agent' },
      'OMNICOREAGENT_BACKGROUND_AGENT_ID must be non-empty and contain only letters, digits, "_", "." and "-", got "my agent"',
    ],
    [
      { OMNICOREAGENT_SERVE_PUBLIC_PATHS: '/ok,status,/files/*,/a*b' },
      'OMNICOREAGENT_SERVE_PUBLIC_PATHS entries must be paths starting with "/", optionally ending in "/*", got "status"',
    ],
    [
      { OMNICOREAGENT_SERVE_TRUSTED_PROXIES: '10.0.0.1,proxy.local' },
      'OMNICOREAGENT_SERVE_TRUSTED_PROXIES entries must be IP addresses or CIDR ranges (like 10.0.0.0/8), got "proxy.local"',
    ],
  ])('reports %j', (env, message) => {
    expect(problemsOf({}, env)).toContain(message);
  });

  it('refuses more than one worker and says how to scale instead', () => {
    const [message = ''] = problemsOf({}, { OMNICOREAGENT_SERVE_WORKERS: '4' });
    expect(message.startsWith('OMNICOREAGENT_SERVE_WORKERS must be 1 for direct OmniServe.')).toBe(true);
    expect(message).toContain('Got "4"');
    expect(message).toMatch(/several OmniServe processes behind a process manager/);
  });

  it('holds code values to the same rules and names the environment variable', () => {
    expect(problemsOf({ port: 0 })).toEqual(['OMNICOREAGENT_SERVE_PORT must be between 1 and 65535, got 0']);
    expect(problemsOf({ workers: 2 })[0]).toMatch(/^OMNICOREAGENT_SERVE_WORKERS must be 1 for direct OmniServe\. Got 2\./);
    expect(problemsOf({ port: '8000' })).toEqual(['OMNICOREAGENT_SERVE_PORT must be an integer, got "8000"']);
    expect(problemsOf({ enableDocs: 'yes' })).toEqual(['OMNICOREAGENT_SERVE_ENABLE_DOCS must be a boolean value (true or false), got "yes"']);
    expect(problemsOf({ runAdmissionWaitSeconds: Number.NaN })).toEqual([
      'OMNICOREAGENT_SERVE_RUN_ADMISSION_WAIT must be a number, got NaN',
    ]);
    expect(problemsOf({ corsOrigins: 'https://a.example' })).toEqual([
      'OMNICOREAGENT_SERVE_CORS_ORIGINS must be a list of strings, got "https://a.example"',
    ]);
    expect(problemsOf({ host: null })).toEqual(['OMNICOREAGENT_SERVE_HOST must be a string, got null']);
    expect(problemsOf({ logLevel: 'loud' })).toEqual([
      'OMNICOREAGENT_SERVE_LOG_LEVEL must be one of: CRITICAL, DEBUG, ERROR, INFO, TRACE, WARNING, got "loud"',
    ]);
  });

  it('lists every problem at once, from the environment and from code', () => {
    const problems = problemsOf(
      { workers: 3, apiPrefix: 'a b' },
      { OMNICOREAGENT_SERVE_PORT: 'http', OMNICOREAGENT_SERVE_ENABLE_REDOC: 'sure', OMNICOREAGENT_SERVE_LOG_LEVEL: 'x' },
    );
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/SERVE_PORT must be an integer/);
    expect(problems.join('\n')).toMatch(/SERVE_ENABLE_REDOC must be a boolean value/);
    expect(problems.join('\n')).toMatch(/SERVE_WORKERS must be 1/);
    expect(problems.join('\n')).toMatch(/SERVE_API_PREFIX must not contain whitespace/);
    expect(problems.join('\n')).toMatch(/SERVE_LOG_LEVEL must be one of/);
  });

  it('joins the problems into the error message', () => {
    expect(() => loadServeConfig({}, { OMNICOREAGENT_SERVE_PORT: '0', OMNICOREAGENT_SERVE_WORKERS: '2' })).toThrow(
      /OMNICOREAGENT_SERVE_PORT must be between 1 and 65535, got "0"; OMNICOREAGENT_SERVE_WORKERS must be 1/,
    );
  });

  it('rejects unknown options and lists the allowed names', () => {
    const [message = ''] = problemsOf({ prot: 80, api_prefix: '/x' });
    expect(message).toMatch(/^Unknown OmniServe options "prot", "api_prefix" \(did you mean "apiPrefix"\?\)\. Allowed options: host, port, workers, apiPrefix,/);
    expect(message).toContain('shutdownGraceSeconds');
  });

  it('rejects options that are not an object', () => {
    expect(problemsOf(['port'] as unknown as Record<string, unknown>)).toEqual(['OmniServe options must be an object']);
  });
});

describe('api prefix', () => {
  it.each([
    ['api', '/api'],
    ['/api/', '/api'],
    ['api/v1/', '/api/v1'],
    ['/', ''],
    ['//api//v1//', '/api/v1'],
    ['  /api  ', '/api'],
    ['/api', '/api'],
  ])('normalizes %j to %j', (raw, normalized) => {
    expect(loadServeConfig({}, { OMNICOREAGENT_SERVE_API_PREFIX: raw }).apiPrefix).toBe(normalized);
    expect(loadServeConfig({ apiPrefix: raw }, {}).apiPrefix).toBe(normalized);
  });

  it('rejects whitespace inside the prefix, also from code', () => {
    expect(problemsOf({ apiPrefix: '/api\tv1' })).toEqual([
      'OMNICOREAGENT_SERVE_API_PREFIX must not contain whitespace, got "/api\\tv1"',
    ]);
  });
});

describe('other fields', () => {
  it('upper-cases the log level', () => {
    expect(loadServeConfig({}, { OMNICOREAGENT_SERVE_LOG_LEVEL: 'debug' }).logLevel).toBe('DEBUG');
    expect(loadServeConfig({ logLevel: 'warning' }, {}).logLevel).toBe('WARNING');
  });

  it('requires a token when auth is enabled, without echoing anything', () => {
    const message = 'OMNICOREAGENT_SERVE_AUTH_TOKEN is required when OMNICOREAGENT_SERVE_AUTH_ENABLED=true';
    expect(problemsOf({}, { OMNICOREAGENT_SERVE_AUTH_ENABLED: 'true' })).toEqual([message]);
    expect(problemsOf({ authEnabled: true, authToken: '   ' })).toEqual([message]);
    expect(problemsOf({ authEnabled: true }, { OMNICOREAGENT_SERVE_AUTH_TOKEN: ' \t ' })).toEqual([message]);
    const config = loadServeConfig({ authEnabled: true }, { OMNICOREAGENT_SERVE_AUTH_TOKEN: ' secret ' });
    expect(config.authToken).toBe('secret');
  });

  it('accepts a zero rate limit while rate limiting is off', () => {
    const config = loadServeConfig({ rateLimitRequests: 0, rateLimitWindow: -5 }, {});
    expect(config.rateLimitRequests).toBe(0);
    expect(config.rateLimitWindow).toBe(-5);
    expect(problemsOf({ rateLimitEnabled: true, rateLimitRequests: 0 })).toEqual([
      'OMNICOREAGENT_SERVE_RATE_LIMIT_REQUESTS must be at least 1 when rate limiting is enabled, got 0',
    ]);
  });

  it('allows a zero or negative request timeout (no timeout)', () => {
    expect(loadServeConfig({}, { OMNICOREAGENT_SERVE_REQUEST_TIMEOUT: '0' }).requestTimeout).toBe(0);
    expect(loadServeConfig({}, { OMNICOREAGENT_SERVE_REQUEST_TIMEOUT: '-1' }).requestTimeout).toBe(-1);
  });

  it.each(['0', 'none', 'None', 'unlimited', 'UNLIMITED'])('reads max concurrent runs %j as unlimited (0)', (text) => {
    expect(loadServeConfig({ maxConcurrentRuns: 10 }, { OMNICOREAGENT_SERVE_MAX_CONCURRENT_RUNS: text }).maxConcurrentRuns).toBe(0);
  });

  it('resolves a null max concurrent runs from code to 24', () => {
    expect(loadServeConfig({ maxConcurrentRuns: null }, {}).maxConcurrentRuns).toBe(24);
  });

  it.each([
    ['-1', 'OMNICOREAGENT_SERVE_MAX_CONCURRENT_RUNS must be at least 0 (0 means unlimited), got "-1"'],
    ['2.5', 'OMNICOREAGENT_SERVE_MAX_CONCURRENT_RUNS must be an integer (0, none or unlimited for no limit), got "2.5"'],
    ['many', 'OMNICOREAGENT_SERVE_MAX_CONCURRENT_RUNS must be an integer (0, none or unlimited for no limit), got "many"'],
  ])('rejects max concurrent runs %j', (text, message) => {
    expect(problemsOf({}, { OMNICOREAGENT_SERVE_MAX_CONCURRENT_RUNS: text })).toEqual([message]);
  });

  it('rejects a negative or fractional max concurrent runs from code', () => {
    expect(problemsOf({ maxConcurrentRuns: -3 })).toEqual([
      'OMNICOREAGENT_SERVE_MAX_CONCURRENT_RUNS must be at least 0 (0 means unlimited), got -3',
    ]);
    expect(problemsOf({ maxConcurrentRuns: 1.5 })[0]).toMatch(/must be an integer/);
  });

  it('accepts public path wildcards and IP / CIDR trusted proxies', () => {
    const config = loadServeConfig({}, {
      OMNICOREAGENT_SERVE_PUBLIC_PATHS: '/status, /files/*',
      OMNICOREAGENT_SERVE_TRUSTED_PROXIES: '10.0.0.1, 10.0.0.0/8, ::1, fd00::/8',
    });
    expect(config.publicPaths).toEqual(['/status', '/files/*']);
    expect(config.trustedProxies).toEqual(['10.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8']);
    expect(problemsOf({ trustedProxies: ['10.0.0.0/33'] })).toHaveLength(1);
  });

  it('allows a zero SSE heartbeat (disabled)', () => {
    expect(loadServeConfig({}, { OMNICOREAGENT_SERVE_SSE_HEARTBEAT_SECONDS: '0' }).sseHeartbeatSeconds).toBe(0);
  });
});

describe('nullable numbers from code', () => {
  it('accepts null for a number whose default is null (no connect timeout set)', () => {
    const config = loadServeConfig({ backgroundTaskStoreConnectTimeout: null }, {});
    expect(config.backgroundTaskStoreConnectTimeout).toBeNull();
  });
});
