/**
 * The per-route counter's name part for a route template: runs of non-alphanumerics become one `_`, ends trimmed
 * (`/run/sync` -> `run_sync`, `/sessions/:session_id/history` -> `sessions_session_id_history`, `/` -> `root`).
 * Only templates come here, never a concrete path, so an id can never become part of a metric name. A request no
 * route matched (a 404, or a CORS preflight answered before routing) is `unmatched`.
 */
export function routeMetricName(template: string | undefined): string {
  if (template === undefined) return 'unmatched';
  if (template === '/') return 'root';
  const name = template.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return name === '' ? 'unmatched' : name;
}
