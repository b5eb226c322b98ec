/**
 * What a build context should keep out of the image: secrets (`.env` files, `.npmrc`, which often holds registry
 * tokens), host-built modules that would replace the image's own `npm ci`, history and local state. Secrets get a
 * leading `**` segment, because a `.dockerignore` pattern without one matches only at the context root.
 */
const RECOMMENDED = ['node_modules', '.git', '**/.env', '**/.env.*', '**/.npmrc', '.omnicoreagent'] as const;
/** Useful but harmless to copy, so an existing file is not warned about them. */
const EXTRA = ['*.log', 'workspace', 'Dockerfile', '.dockerignore'] as const;

/** Written only when the project has none. */
export function renderDockerignore(): string {
  return [...RECOMMENDED, ...EXTRA, ''].join('\n');
}

// However an entry is anchored (a leading `/` or `**` segment, a trailing `/`), it excludes the same name.
function entryName(line: string): string {
  return line.trim().replace(/^(\*\*\/|\/)+/, '').replace(/\/+$/, '');
}

/**
 * The recommended entries (by name, e.g. `.npmrc`) that an existing `.dockerignore` lacks. A file that ignores
 * everything (`*`, then `!` for what to send) is an allow-list its author chose, so it lacks nothing.
 */
export function missingDockerignoreEntries(existing: string): string[] {
  const names = new Set(existing.split('\n').filter((line) => !/^\s*[#!]/.test(line)).map(entryName));
  if (names.has('*') || names.has('**')) return [];
  return RECOMMENDED.map(entryName).filter((name) => !names.has(name));
}
