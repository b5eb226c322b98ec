/**
 * The one masking of secrets for everything the server shows a person (`config --show`, start-up errors, error
 * answers): tokens and keys, and the passwords URLs carry.
 */

/** How many trailing characters a long secret keeps, so a user can tell which one is configured. */
const SECRET_TAIL = 4;
/** Below this length even the tail would give away too large a share of the secret. */
const SECRET_MIN_LENGTH_FOR_TAIL = 16;

/** The one masking rule for every secret shown: `****` plus the last 4 characters of a long one, else `****` alone. */
export function maskToken(token: string | null): string {
  if (token === null) return 'null';
  return token.length >= SECRET_MIN_LENGTH_FOR_TAIL ? `****${token.slice(-SECRET_TAIL)}` : '****';
}

const URL_AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i;
/** Query parameters that drivers accept credentials in (`?password=`, `?authToken=`, `?sslkey=`...). */
const SECRET_QUERY_PARAM = /([?&][^=&#]*(?:pass|pwd|secret|token|key|authmechanismproperties)[^=&#]*=)([^&#]*)/gi;

/**
 * Store URLs often carry a password (`redis://:secret@host`, `?password=`); the rest of the URL is what a reader
 * needs. The user info ends at the last `@` of the authority, since a password may itself hold an `@`.
 */
export function maskUrlSecrets(text: string): string {
  const masked = text.replace(URL_AUTHORITY, (whole, scheme: string, authority: string) => {
    const at = authority.lastIndexOf('@');
    const colon = authority.indexOf(':');
    if (at < 0 || colon < 0 || colon > at) return whole;
    return `${scheme}${authority.slice(0, colon)}:${maskToken(authority.slice(colon + 1, at))}${authority.slice(at)}`;
  });
  return masked.replace(SECRET_QUERY_PARAM, (_whole, key: string, value: string) => `${key}${maskToken(value)}`);
}
