import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' && pkg.version !== '' ? pkg.version : '0+unknown';
  } catch {
    return '0+unknown';
  }
}

/** The installed package version, or `0+unknown` when package.json cannot be read. */
export const PACKAGE_VERSION: string = readVersion();
