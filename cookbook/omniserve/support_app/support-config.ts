import { resolve } from 'node:path';
import { fixedDayClock, isCalendarDay, systemClock, type SupportClock } from './support-clock.ts';

export interface SupportConfig {
  /** Absolute path of the SQLite file; created from seed.sql on first use. */
  readonly dbPath: string;
  readonly clock: SupportClock;
}

/** Where the database goes when SUPPORT_DB_PATH is not set, relative to the directory the server starts in. */
export const DEFAULT_DB_PATH = '.omnicoreagent/support.db';

/**
 * The support app's settings, read once from the environment (this cookbook's own variables, not the server's):
 *
 * - SUPPORT_DB_PATH: the SQLite file, default `.omnicoreagent/support.db` in the current directory.
 * - SUPPORT_TODAY: pin "today" to a YYYY-MM-DD date (demos and tests); unset means the machine's clock.
 *
 * An empty variable counts as unset; a malformed SUPPORT_TODAY throws, which stops the server at start.
 */
export function readSupportConfig(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): SupportConfig {
  const path = env['SUPPORT_DB_PATH']?.trim() || DEFAULT_DB_PATH;
  const today = env['SUPPORT_TODAY']?.trim();
  if (today && !isCalendarDay(today)) throw new Error(`SUPPORT_TODAY must be a real date as YYYY-MM-DD, such as 2025-06-16; got "${today}"`);
  return { dbPath: resolve(cwd, path), clock: today ? fixedDayClock(today) : systemClock };
}
