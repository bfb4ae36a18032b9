/** Query parameters whose values are secrets, by name (case-insensitive, with - or _ or nothing between words). */
const SECRET_QUERY_KEY =
  /^(?:.*[-_])?(?:key|api[-_]?key|token|access[-_]?token|secret|password|passwd|pwd|sig|signature|auth|authorization|credential|credentials)$/i;

export const REDACTED = '***';

export function isSecretQueryKey(name: string): boolean {
  return SECRET_QUERY_KEY.test(name);
}

/**
 * A URL as logs, messages, caches and reports may show it: no user name or password (`https://***@host/...`),
 * and the values of secret-looking query parameters (key, api-key, token, sig, ...) replaced by ***.
 * Text that is not a URL is not shown at all: it may be a secret pasted in the wrong variable.
 */
export function urlForDisplay(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(not a URL)';
  }
  const hadCredentials = parsed.username !== '' || parsed.password !== '';
  parsed.username = '';
  parsed.password = '';
  // URLSearchParams re-encodes every value it writes back, so the query is rebuilt only when it holds a secret.
  const secret = [...parsed.searchParams.keys()].some(isSecretQueryKey);
  if (secret) {
    const params = [...parsed.searchParams].map(
      ([name, value]) => `${encodeURIComponent(name)}=${isSecretQueryKey(name) ? REDACTED : encodeURIComponent(value)}`,
    );
    parsed.search = params.join('&');
  }
  const shown = parsed.href;
  return hadCredentials ? shown.replace(/^([a-z][a-z0-9+.-]*:\/\/)/i, `$1${REDACTED}@`) : shown;
}

/** The secret parts of a URL: its password, user name and secret-looking query values, to redact from any text. */
export function secretsOfUrl(url: string | URL): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const out = [parsed.password, parsed.username, decodedUrlPart(parsed.password), decodedUrlPart(parsed.username)];
  for (const [name, value] of parsed.searchParams) if (isSecretQueryKey(name)) out.push(value, encodeURIComponent(value));
  return out.filter((s) => s.length >= 4);
}

/**
 * `text` with every occurrence of each secret replaced by `[label]`. Longest first, so that a secret containing
 * another is replaced whole. Secrets shorter than 4 characters are left alone: they would redact ordinary words.
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[], label = 'redacted'): string {
  const usable = [...new Set(secrets.filter((s): s is string => s !== undefined && s.length >= 4))].sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of usable) out = out.replaceAll(secret, `[${label}]`);
  return out;
}

/** A percent-encoded part of a URL (user name, password), decoded; as it is when its escapes are malformed. */
export function decodedUrlPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
