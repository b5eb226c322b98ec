export type SqlDialectName = 'sqlite' | 'postgres' | 'mysql';

export interface SqlTarget {
  readonly dialect: SqlDialectName;
  /** For sqlite: a file path or `:memory:`; otherwise the connection URL the driver takes. */
  readonly location: string;
}

/**
 * Reads a task-store URL: `sqlite:///relative.db`, `sqlite:////absolute.db`, `sqlite:///:memory:`,
 * `postgres://` or `postgresql://`, `mysql://` or `mariadb://`. A `+driver` suffix (`postgresql+asyncpg://`,
 * `mysql+pymysql://`), as written for the Python reference, is accepted and ignored.
 */
export function parseSqlUrl(url: string): SqlTarget | { error: string } {
  const match = /^([a-z0-9]+)(\+[a-z0-9_]+)?:\/\/(.*)$/i.exec(url.trim());
  if (match === null) return { error: 'is not a URL (expected sqlite:///path.db, postgres://... or mysql://...)' };
  const scheme = match[1]!.toLowerCase();
  const rest = match[3]!;
  if (scheme === 'sqlite') {
    if (!rest.startsWith('/')) return { error: 'must look like sqlite:///relative/path.db or sqlite:////absolute/path.db' };
    const path = rest.slice(1);
    if (path === '') return { error: 'has no database file path (sqlite:///path.db)' };
    return { dialect: 'sqlite', location: path };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') return { dialect: 'postgres', location: `postgres://${rest}` };
  if (scheme === 'mysql' || scheme === 'mariadb') return { dialect: 'mysql', location: `mysql://${rest}` };
  if (scheme === 'redis' || scheme === 'rediss') {
    return { error: `is a Redis URL, but the SQL store was selected: set OMNICOREAGENT_BACKGROUND_TASK_STORE=redis (a URL on its own selects sql)` };
  }
  return { error: `has an unsupported scheme "${scheme}" (use sqlite, postgres or postgresql, mysql or mariadb; for Redis set OMNICOREAGENT_BACKGROUND_TASK_STORE=redis)` };
}
