import { ConfigError } from '../core/errors.ts';
import { describeValue } from './describe-value.ts';
import { maskUrlSecrets } from './mask-secrets.ts';
import type { WorkspaceEnvironment } from './workspace-environment.ts';

export interface LocalWorkspaceConfig {
  readonly backend: 'local';
  readonly directory: string;
}

/** Static keys, or null for the AWS SDK's default credential chain (environment, shared files, SSO, instance role). */
export interface RemoteWorkspaceCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** An S3 or R2 bucket, with the variable names that set each part, so a start-up failure can name them. */
export interface RemoteWorkspaceConfig {
  readonly backend: 's3' | 'r2';
  readonly bucket: string;
  readonly region: string;
  /** Null: AWS S3 itself, found from the region. */
  readonly endpoint: string | null;
  /** S3-compatible servers often serve only `<endpoint>/<bucket>`, not `<bucket>.<host>`. */
  readonly forcePathStyle: boolean;
  readonly credentials: RemoteWorkspaceCredentials | null;
  /** Without leading or trailing `/`; may be empty. Files live under `<prefix>/files/`. */
  readonly prefix: string;
  readonly variables: {
    readonly bucket: string;
    /** The variable the endpoint comes from, when one does. */
    readonly endpoint: string | null;
    /** The variables holding the keys (for "check ..." advice; never their values). */
    readonly credentials: readonly string[];
  };
}

export type WorkspaceConfig = LocalWorkspaceConfig | RemoteWorkspaceConfig;

/** The `OmniServeConfig` fields that choose the workspace; an `OmniServeConfig` is one. */
export interface WorkspaceSettings {
  readonly workspaceBackend: string;
  readonly workspaceDir: string;
  readonly workspacePrefix: string;
}

const DEFAULT_AWS_REGION = 'us-east-1';
const ACCOUNT_ID = /^[A-Za-z0-9-]{1,63}$/;
/** As for workspace paths (`MAX_SEGMENT_BYTES` in `workspace-path.ts`), which config cannot import. */
const MAX_PREFIX_NAME_BYTES = 255;
const PREFIX_RULE =
  'a key prefix of "/"-separated names (any printable characters but "\\"; no empty, "." or ".." names; no drive letter ' +
  `such as "C:"; each name at most ${MAX_PREFIX_NAME_BYTES} bytes)`;
/** Names AWS keeps for its own features (access point aliases, Object Lambda, Multi-Region, directory and table buckets...). */
const RESERVED_S3_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'] as const;
const RESERVED_S3_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'] as const;
const S3_BUCKET_RULE =
  'an S3 bucket name: 3-63 characters, lowercase letters, digits, "." and "-", starting and ending with a letter or ' +
  `digit, no "..", not an IP address, not starting with ${orList(RESERVED_S3_PREFIXES)}, not ending with ${orList(RESERVED_S3_SUFFIXES)}`;
/** AWS's own form (`eu-west-1`, `us-gov-west-1`); without an endpoint the region also becomes part of a host name. */
const AWS_REGION_FORM = /^(?=.{1,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;
/**
 * S3-compatible servers name their regions freely (`garage`, `fr-par`), but the AWS SDK takes only a host name label:
 * letters, digits and inner "-" (it refuses `US_WEST` at the first request, as "cannot be reached").
 */
const COMPATIBLE_REGION_FORM = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const ENDPOINT_RULE = 'scheme://host[:port] with at most a path (such as http://localhost:9000)';
const R2_BUCKET_RULE = 'an R2 bucket name: 3-63 characters, lowercase letters, digits and "-", starting and ending with a letter or digit';

/**
 * Decides where run workspaces live (spec 10). A remote backend's variables are checked here, so that a missing
 * bucket or a malformed endpoint fails at config load with every problem listed; secrets are never quoted.
 */
export function resolveWorkspaceConfig(settings: WorkspaceSettings, env: WorkspaceEnvironment): WorkspaceConfig {
  const problems: string[] = [];
  const config = resolve(settings, env, problems);
  if (problems.length > 0 || config === null) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** The problems `resolveWorkspaceConfig` would throw, for a loader that collects them with others. */
export function workspaceConfigProblems(settings: WorkspaceSettings, env: WorkspaceEnvironment): string[] {
  const problems: string[] = [];
  resolve(settings, env, problems);
  return problems;
}

function resolve(settings: WorkspaceSettings, env: WorkspaceEnvironment, problems: string[]): WorkspaceConfig | null {
  const prefix = settings.workspacePrefix.replace(/^\/+|\/+$/g, '');
  const remote = settings.workspaceBackend === 's3' || settings.workspaceBackend === 'r2';
  // Only remote backends use the prefix; a bad one would put run files outside it, or where no listing finds them.
  const prefixFlaw = remote ? prefixProblem(prefix) : null;
  if (prefixFlaw !== null) {
    problems.push(`OMNICOREAGENT_WORKSPACE_PREFIX must be ${PREFIX_RULE}; got ${describeValue(settings.workspacePrefix)}: it has ${prefixFlaw}`);
  }
  switch (settings.workspaceBackend) {
    case 'local':
      return { backend: 'local', directory: settings.workspaceDir };
    case 's3':
      return resolveS3(env, prefix, problems);
    case 'r2':
      return resolveR2(env, prefix, problems);
    default:
      problems.push(`OMNICOREAGENT_WORKSPACE_BACKEND must be one of: local, s3, r2, got ${describeValue(settings.workspaceBackend)}`);
      return null;
  }
}

function resolveS3(env: WorkspaceEnvironment, prefix: string, problems: string[]): RemoteWorkspaceConfig | null {
  const bucket = env.AWS_S3_BUCKET;
  if (bucket === undefined) {
    problems.push('AWS_S3_BUCKET is required when OMNICOREAGENT_WORKSPACE_BACKEND=s3: set it to the bucket that keeps run workspaces');
  }
  const bucketFlaw = bucket === undefined ? null : bucketNameProblem(bucket, true);
  if (bucket !== undefined && bucketFlaw !== null) problems.push(`AWS_S3_BUCKET must be ${S3_BUCKET_RULE}; got ${describeValue(bucket)}: ${bucketFlaw}`);
  const endpoint = env.AWS_ENDPOINT_URL ?? null;
  if (endpoint !== null && !isHttpUrl(endpoint)) {
    problems.push(`AWS_ENDPOINT_URL must be an http:// or https:// URL (such as http://localhost:9000), got ${describeValue(maskUrlSecrets(endpoint))}`);
  } else if (endpoint !== null) {
    const flaw = endpointProblem(endpoint);
    if (flaw !== null) problems.push(`AWS_ENDPOINT_URL must be ${ENDPOINT_RULE}, got ${describeValue(maskUrlSecrets(endpoint))}: it has ${flaw}`);
  }
  const region = env.AWS_REGION;
  if (region !== undefined && endpoint === null && !AWS_REGION_FORM.test(region)) {
    problems.push(
      'AWS_REGION must be an AWS region name such as eu-west-1 (lowercase letters and digits in groups joined by "-", at most 63 ' +
        `characters), got ${describeValue(region)}`,
    );
  }
  if (region !== undefined && endpoint !== null && !COMPATIBLE_REGION_FORM.test(region)) {
    problems.push(
      'AWS_REGION must be a region name such as eu-west-1, or the one the S3-compatible server at AWS_ENDPOINT_URL expects ' +
        `(letters, digits and "-", starting and ending with a letter or digit, at most 63 characters), got ${describeValue(region)}`,
    );
  }
  const keyId = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if ((keyId === undefined) !== (secret === undefined)) {
    const [set, unset] = keyId === undefined ? ['AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID'] : ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
    problems.push(`${unset} is required when ${set} is set: set both, or neither to use the AWS SDK default credential chain`);
  }
  if (env.AWS_SESSION_TOKEN !== undefined && keyId === undefined && secret === undefined) {
    problems.push('AWS_SESSION_TOKEN is set without AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: set all three');
  }
  if (bucket === undefined || problems.length > 0) return null;
  const credentials = keyId !== undefined && secret !== undefined
    ? { accessKeyId: keyId, secretAccessKey: secret, ...(env.AWS_SESSION_TOKEN === undefined ? {} : { sessionToken: env.AWS_SESSION_TOKEN }) }
    : null;
  return {
    backend: 's3',
    bucket,
    region: region ?? DEFAULT_AWS_REGION,
    endpoint,
    forcePathStyle: endpoint !== null,
    credentials,
    prefix,
    variables: {
      bucket: 'AWS_S3_BUCKET',
      endpoint: endpoint === null ? null : 'AWS_ENDPOINT_URL',
      credentials: credentials === null ? [] : ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
    },
  };
}

function resolveR2(env: WorkspaceEnvironment, prefix: string, problems: string[]): RemoteWorkspaceConfig | null {
  const needed = ['R2_BUCKET_NAME', 'R2_ACCOUNT_ID', 'R2_ACCESS_KEY_ID', 'R2_SECRET_ACCESS_KEY'] as const;
  const missing = needed.filter((name) => env[name] === undefined);
  if (missing.length > 0) {
    problems.push(
      `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} required when OMNICOREAGENT_WORKSPACE_BACKEND=r2: ` +
        'R2 needs the bucket name, the Cloudflare account id and an R2 API token (access key id and secret)',
    );
  }
  const account = env.R2_ACCOUNT_ID;
  if (account !== undefined && !ACCOUNT_ID.test(account)) {
    problems.push(`R2_ACCOUNT_ID must be the account id shown in the Cloudflare dashboard (letters, digits, "-"), got ${describeValue(account)}`);
  }
  const { R2_BUCKET_NAME: bucket, R2_ACCESS_KEY_ID: keyId, R2_SECRET_ACCESS_KEY: secret } = env;
  const bucketFlaw = bucket === undefined ? null : bucketNameProblem(bucket, false);
  if (bucket !== undefined && bucketFlaw !== null) problems.push(`R2_BUCKET_NAME must be ${R2_BUCKET_RULE}; got ${describeValue(bucket)}: ${bucketFlaw}`);
  if (problems.length > 0 || bucket === undefined || account === undefined || keyId === undefined || secret === undefined) return null;
  return {
    backend: 'r2',
    bucket,
    region: 'auto',
    endpoint: `https://${account}.r2.cloudflarestorage.com`,
    forcePathStyle: true,
    credentials: { accessKeyId: keyId, secretAccessKey: secret },
    prefix,
    variables: { bucket: 'R2_BUCKET_NAME', endpoint: 'R2_ACCOUNT_ID', credentials: ['R2_ACCESS_KEY_ID', 'R2_SECRET_ACCESS_KEY'] },
  };
}

/** What is wrong with a key prefix (already without outer `/`), or null; the same rules as a workspace path's. */
function prefixProblem(prefix: string): string | null {
  if (prefix === '') return null;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(prefix)) return 'a control character';
  if (prefix.includes('\\')) return 'a backslash';
  if (/^[A-Za-z]:/.test(prefix)) return 'a drive letter';
  for (const name of prefix.split('/')) {
    if (name === '') return 'an empty name';
    if (name === '.' || name === '..') return `a ${JSON.stringify(name)} name`;
    const bytes = Buffer.byteLength(name, 'utf8');
    if (bytes > MAX_PREFIX_NAME_BYTES) return `a name of ${bytes} bytes`;
  }
  return null;
}

/**
 * What breaks the bucket naming rules (AWS S3's general purpose buckets; R2 also refuses dots), or null. Checked at
 * config load because a bad name otherwise surfaces as a 400 or a DNS failure at start-up, far from its cause.
 */
function bucketNameProblem(name: string, dots: boolean): string | null {
  if (name.length < 3 || name.length > 63) return `it has ${name.length} character${name.length === 1 ? '' : 's'}`;
  if (!(dots ? /^[a-z0-9.-]+$/ : /^[a-z0-9-]+$/).test(name)) {
    return `it has a character other than a-z, 0-9${dots ? ', "." and "-"' : ' and "-"'}`;
  }
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return `it starts or ends with ${dots ? '"." or "-"' : '"-"'}`;
  if (name.includes('..')) return 'it has ".."';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'it is an IP address';
  if (!dots) return null;
  const prefix = RESERVED_S3_PREFIXES.find((reserved) => name.startsWith(reserved));
  if (prefix !== undefined) return `it starts with ${JSON.stringify(prefix)}, which AWS reserves`;
  const suffix = RESERVED_S3_SUFFIXES.find((reserved) => name.endsWith(reserved));
  if (suffix !== undefined) return `it ends with ${JSON.stringify(suffix)}, which AWS reserves`;
  return null;
}

function orList(items: readonly string[]): string {
  return `${items.slice(0, -1).join(', ')} or ${items.at(-1) ?? ''}`;
}

function isHttpUrl(text: string): boolean {
  try {
    const { protocol, hostname } = new URL(text);
    return (protocol === 'http:' || protocol === 'https:') && hostname !== '';
  } catch {
    return false;
  }
}

/**
 * What an http(s) endpoint has besides scheme, host, port and path, or null. A path is allowed: some S3-compatible
 * gateways serve under one. The raw text is searched too, since the URL parser drops a bare `?` or `#`.
 */
function endpointProblem(endpoint: string): string | null {
  const url = new URL(endpoint);
  const afterAuthority = endpoint.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  if (url.username !== '' || url.password !== '') {
    return 'user info ("user:password@"): requests are signed with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, so set the keys there';
  }
  if (url.search !== '' || /^[^#]*\?/.test(afterAuthority)) {
    return 'a query ("?..."): S3 requests carry their own signed query string, so this one would be dropped or break the signature';
  }
  if (url.hash !== '' || afterAuthority.includes('#')) return 'a fragment ("#..."), which is never sent to a server';
  return null;
}

