// The hosts a credential may be sent to (docs/decisions/021-credential-hosts.md). Whoever may
// edit a graph may point an http node anywhere; a credential's secret goes only to the hosts its
// creator (or a team admin) named: `api.example.com` (that host), `*.example.com` (any subdomain,
// not the apex), or an IP address. Pure: the API validates with it, activities check with it.

/** Most patterns one credential may carry. */
export const MAX_ALLOWED_HOSTS = 50;

/** The URL-parser form of a hostname or IP (lower case, punycode, IPv6 in brackets), or undefined when it is not one. */
function canonicalHost(text: string): string | undefined {
  const ipv6 = text.includes(':');
  if (ipv6 ? !/^\[?[0-9a-f:.]+\]?$/i.test(text) : /[^\p{L}\p{N}._-]/u.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(`http://${ipv6 && !text.startsWith('[') ? `[${text}]` : text}/`);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/\.$/, '');
  return host === '' || host.length > 253 ? undefined : host;
}

const isIp = (host: string) => host.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(host);

/**
 * A host pattern in canonical form, or an error message for it: a hostname, `*.` and a domain
 * of at least two labels, or an IP address. No scheme, port, path or bare `*`.
 */
export function parseHostPattern(raw: string): { pattern: string } | { error: string } {
  const text = raw.trim().toLowerCase();
  if (text === '') return { error: 'is empty' };
  if (text.includes('://') || text.includes('/')) return { error: 'must be a host name, without scheme or path (e.g. api.example.com)' };
  const wildcard = text.startsWith('*.');
  const host = canonicalHost(wildcard ? text.slice(2) : text);
  if (!host || host.includes('*')) return { error: 'must be a host name (api.example.com), a wildcard (*.example.com) or an IP address' };
  if (!wildcard) return { pattern: host };
  if (isIp(host) || !host.includes('.')) return { error: 'a wildcard must cover a domain of two labels or more (*.example.com)' };
  return { pattern: `*.${host}` };
}

/** Canonical patterns, or the problems naming each bad entry (`allowedHosts.<i>`). */
export function parseAllowedHosts(entries: readonly string[]): { patterns: string[]; problems: { path: string; message: string }[] } {
  const patterns: string[] = [];
  const problems: { path: string; message: string }[] = [];
  if (entries.length > MAX_ALLOWED_HOSTS) problems.push({ path: 'allowedHosts', message: `at most ${MAX_ALLOWED_HOSTS} hosts` });
  entries.forEach((entry, index) => {
    const parsed = parseHostPattern(entry);
    if ('error' in parsed) problems.push({ path: `allowedHosts.${index}`, message: `"${entry.slice(0, 100)}" ${parsed.error}` });
    else if (!patterns.includes(parsed.pattern)) patterns.push(parsed.pattern);
  });
  return { patterns, problems };
}

/** True when the URL's host is one of the patterns (an exact host or IP, or a subdomain of a `*.` pattern). */
export function hostAllowedFor(patterns: readonly string[] | null | undefined, url: URL): boolean {
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host === '') return false;
  return (patterns ?? []).some((pattern) => (pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern));
}
