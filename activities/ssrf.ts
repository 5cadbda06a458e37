// SSRF guard for requests a graph (that is, a user) can aim anywhere: the http node and
// AI providers configured through a team credential. A destination is refused when its scheme
// is not http(s) or when the host, or any address it resolves to, is loopback, link-local
// (cloud metadata included), private, carrier-grade NAT, unique-local, unspecified, multicast or
// reserved — IPv4-mapped/translated/compatible/NAT64/6to4 IPv6 forms of those too, Teredo and the
// discard prefix — unless the operator's allow-list (TRELLIS_HTTP_ALLOWLIST: hostnames, `*.suffix`,
// IPs, CIDRs) permits it. Cloud metadata names (metadata.google.internal …) are refused before any
// DNS query. A port outside TRELLIS_HTTP_PORTS (default 80, 443 and 1024-65535) is refused
// everywhere, allow-listed hosts included: a URL must not turn the node into an SMTP or SSH client.
//
// The check returns the vetted address and the connection is made to exactly that address
// (`pinnedLookup`), so a DNS answer that changes between the check and the connect (rebinding)
// cannot redirect the request.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { FailureType, nonRetryable, retryable } from './failures.ts';

// ---------------------------------------------------------------------------------------------
// Addresses

export interface ParsedIp {
  family: 4 | 6;
  value: bigint;
}

/** Parses a textual IPv4 or IPv6 address (brackets and a zone id tolerated); undefined if not one. */
export function parseIp(text: string): ParsedIp | undefined {
  let address = text.trim();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const zone = address.indexOf('%');
  if (zone !== -1) address = address.slice(0, zone);
  const family = isIP(address);
  if (family === 4) {
    return { family: 4, value: address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n) };
  }
  if (family !== 6) return undefined;
  let groups: number[];
  const parseGroups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const v4 = parseIp(piece);
        if (!v4) return [];
        out.push(Number((v4.value >> 16n) & 0xffffn), Number(v4.value & 0xffffn));
      } else {
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const doubleColon = address.indexOf('::');
  if (doubleColon === -1) {
    groups = parseGroups(address);
  } else {
    const head = parseGroups(address.slice(0, doubleColon));
    const tail = parseGroups(address.slice(doubleColon + 2));
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  if (groups.length !== 8) return undefined;
  return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n) };
}

export function formatIp(ip: ParsedIp): string {
  if (ip.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 0xffn)).join('.');
  }
  const groups = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((ip.value >> shift) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

interface Cidr {
  family: 4 | 6;
  base: bigint;
  bits: number;
}

function parseCidr(text: string): Cidr | undefined {
  const [addressPart, bitsPart, extra] = text.split('/');
  if (extra !== undefined || addressPart === undefined) return undefined;
  const ip = parseIp(addressPart);
  if (!ip) return undefined;
  const width = ip.family === 4 ? 32 : 128;
  const bits = bitsPart === undefined ? width : /^\d{1,3}$/.test(bitsPart) ? Number(bitsPart) : NaN;
  if (!Number.isInteger(bits) || bits < 0 || bits > width) return undefined;
  const shift = BigInt(width - bits);
  return { family: ip.family, base: (ip.value >> shift) << shift, bits };
}

function inCidr(ip: ParsedIp, cidr: Cidr): boolean {
  if (ip.family !== cidr.family) return false;
  const shift = BigInt((ip.family === 4 ? 32 : 128) - cidr.bits);
  return ip.value >> shift === cidr.base >> shift;
}

const range = (text: string): Cidr => {
  const cidr = parseCidr(text);
  if (!cidr) throw new Error(`bad built-in range ${text}`);
  return cidr;
};

/** Refused IPv4 ranges, most specific first (the first match names the reason). */
const BLOCKED_V4: { cidr: Cidr; text: string; reason: string }[] = [
  ['169.254.169.254/32', 'a cloud metadata address'],
  // Azure's WireServer and Alibaba Cloud's metadata service sit outside link-local.
  ['168.63.129.16/32', 'a cloud metadata address'],
  ['100.100.100.200/32', 'a cloud metadata address'],
  ['127.0.0.0/8', 'a loopback address'],
  ['169.254.0.0/16', 'a link-local address'],
  ['10.0.0.0/8', 'a private address'],
  ['172.16.0.0/12', 'a private address'],
  ['192.168.0.0/16', 'a private address'],
  ['100.64.0.0/10', 'a carrier-grade NAT (shared) address'],
  ['0.0.0.0/8', 'an unspecified ("this network") address'],
  ['192.0.0.0/24', 'a reserved (IETF protocol assignment) address'],
  ['192.88.99.0/24', 'a reserved (deprecated 6to4 relay anycast) address'],
  ['198.18.0.0/15', 'a reserved (benchmarking) address'],
  ['224.0.0.0/4', 'a multicast address'],
  ['240.0.0.0/4', 'a reserved address'],
].map(([text, reason]) => ({ cidr: range(text!), text: text!, reason: reason! }));

const BLOCKED_V6: { cidr: Cidr; text: string; reason: string }[] = [
  ['fd00:ec2::254/128', 'a cloud metadata address'],
  ['::1/128', 'a loopback address'],
  ['::/128', 'an unspecified address'],
  ['fe80::/10', 'a link-local address'],
  ['fc00::/7', 'a unique-local (private) address'],
  ['fec0::/10', 'a site-local (private) address'],
  ['ff00::/8', 'a multicast address'],
  ['64:ff9b:1::/48', 'a local-use NAT64 address'],
  ['100::/64', 'a discard-only address'],
  // The client's IPv4 address is obfuscated in Teredo addresses and the tunnel is deprecated: all refused.
  ['2001::/32', 'a Teredo tunnelling address'],
  ['2001:db8::/32', 'a reserved (documentation) address'],
].map(([text, reason]) => ({ cidr: range(text!), text: text!, reason: reason! }));

/** IPv6 forms that embed an IPv4 address, checked as that IPv4 address. */
const EMBEDDING_V6: { cidr: Cidr; extract: (value: bigint) => bigint; name: string }[] = [
  { cidr: range('::ffff:0:0/96'), extract: (v) => v & 0xffffffffn, name: 'IPv4-mapped' },
  { cidr: range('::ffff:0:0:0/96'), extract: (v) => v & 0xffffffffn, name: 'IPv4-translated' },
  { cidr: range('::/96'), extract: (v) => v & 0xffffffffn, name: 'IPv4-compatible' },
  { cidr: range('64:ff9b::/96'), extract: (v) => v & 0xffffffffn, name: 'NAT64' },
  { cidr: range('2002::/16'), extract: (v) => (v >> 80n) & 0xffffffffn, name: '6to4' },
];

/** Why an address is refused ("a loopback address (127.0.0.0/8)"), or undefined when it is public. */
export function blockedReason(address: string | ParsedIp): string | undefined {
  const ip = typeof address === 'string' ? parseIp(address) : address;
  if (!ip) return 'not an IP address';
  if (ip.family === 4) {
    const hit = BLOCKED_V4.find((entry) => inCidr(ip, entry.cidr));
    return hit ? `${hit.reason} (${hit.text})` : undefined;
  }
  const hit = BLOCKED_V6.find((entry) => inCidr(ip, entry.cidr));
  if (hit) return `${hit.reason} (${hit.text})`;
  for (const embedding of EMBEDDING_V6) {
    if (!inCidr(ip, embedding.cidr)) continue;
    const v4: ParsedIp = { family: 4, value: embedding.extract(ip.value) };
    const reason = blockedReason(v4);
    if (reason) return `an ${embedding.name} IPv6 address for ${formatIp(v4)}, ${reason}`;
  }
  return undefined;
}

/** The IPv4 address an IPv4-mapped or -translated IPv6 address stands for (so allow-list entries match it). */
function unmapped(ip: ParsedIp): ParsedIp {
  if (ip.family === 6 && EMBEDDING_V6.slice(0, 2).some((embedding) => inCidr(ip, embedding.cidr))) {
    return { family: 4, value: ip.value & 0xffffffffn };
  }
  return ip;
}

/** Cloud metadata services by name: refused before DNS, whatever a resolver answers for them. */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

// ---------------------------------------------------------------------------------------------
// Ports

export const DEFAULT_HTTP_PORTS = '80,443,1024-65535';

/** Allowed ports as inclusive ranges. */
export type PortPolicy = [number, number][];

/**
 * Parses TRELLIS_HTTP_PORTS: comma-separated ports and ranges (`80,443,1024-65535`). Throws
 * naming the first invalid entry, so a typo fails the worker at start.
 */
export function parsePortPolicy(spec: string): PortPolicy {
  const policy: PortPolicy = [];
  for (const raw of spec.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(entry);
    const low = Number(match?.[1]);
    const high = match?.[2] === undefined ? low : Number(match[2]);
    if (!match || low < 1 || high > 65535 || low > high) {
      throw new Error(`TRELLIS_HTTP_PORTS: "${entry}" is not a port (1-65535) or a range of ports (low-high)`);
    }
    policy.push([low, high]);
  }
  if (policy.length === 0) throw new Error('TRELLIS_HTTP_PORTS: no port is allowed');
  return policy;
}

/** The URL's port, the scheme's default when it names none. */
export function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

// ---------------------------------------------------------------------------------------------
// Allow-list

export interface Allowlist {
  hosts: Set<string>;
  suffixes: string[];
  ranges: Cidr[];
}

function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h.replace(/\.$/, '');
}

/**
 * Parses allow-list entries: `localhost`, `api.internal`, `*.corp.example` (any subdomain),
 * `127.0.0.1`, `::1`, `10.0.0.0/8`, `fd00::/8`. Throws naming the first invalid entry, so a typo
 * in TRELLIS_HTTP_ALLOWLIST fails the worker at start rather than refusing requests later.
 */
export function parseAllowlist(entries: readonly string[]): Allowlist {
  const allowlist: Allowlist = { hosts: new Set(), suffixes: [], ranges: [] };
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (entry.includes('/') || parseIp(entry)) {
      const cidr = parseCidr(entry.replace(/^\[|\](?=\/|$)/g, ''));
      if (!cidr) throw new Error(`TRELLIS_HTTP_ALLOWLIST: "${entry}" is not a valid IP address or CIDR range`);
      allowlist.ranges.push(cidr);
      continue;
    }
    const host = normalizeHost(entry);
    const wildcard = host.startsWith('*.') ? host.slice(1) : host.startsWith('.') ? host : undefined;
    const name = wildcard ? wildcard.slice(1) : host;
    if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(name)) {
      throw new Error(`TRELLIS_HTTP_ALLOWLIST: "${entry}" is not a hostname, IP address or CIDR range`);
    }
    if (wildcard) allowlist.suffixes.push(wildcard);
    else allowlist.hosts.add(host);
  }
  return allowlist;
}

function hostAllowed(allowlist: Allowlist, host: string): boolean {
  const h = normalizeHost(host);
  return allowlist.hosts.has(h) || allowlist.suffixes.some((suffix) => h.endsWith(suffix));
}

function addressAllowed(allowlist: Allowlist, ip: ParsedIp): boolean {
  const candidates = [ip, unmapped(ip)];
  return allowlist.ranges.some((cidr) => candidates.some((candidate) => inCidr(candidate, cidr)));
}

// ---------------------------------------------------------------------------------------------
// The guard

export interface VettedTarget {
  /** The URL's hostname without IPv6 brackets. */
  host: string;
  /** The first address to connect to (every address was checked). */
  address: string;
  family: 4 | 6;
  /** All vetted addresses, in resolver order (for Happy Eyeballs fallback between them). */
  addresses: { address: string; family: 4 | 6 }[];
}

export type LookupAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

export interface SsrfGuard {
  /** Checks a URL; resolves to the address to connect to, or throws a non-retryable ApplicationFailure. */
  vet(url: URL): Promise<VettedTarget>;
}

const defaultLookup: LookupAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

function refused(host: string, why: string): Error {
  return nonRetryable(
    FailureType.HttpDestinationRefused,
    `refused to connect to ${host}: ${why}. Requests to internal addresses are blocked; an operator can allow ` +
      'this destination with TRELLIS_HTTP_ALLOWLIST (hostnames, IPs or CIDR ranges)',
    { host },
  );
}

export function createSsrfGuard(options: { allowlist: readonly string[]; ports?: string; lookup?: LookupAll }): SsrfGuard {
  const allowlist = parseAllowlist(options.allowlist);
  const ports = parsePortPolicy(options.ports ?? DEFAULT_HTTP_PORTS);
  const lookup = options.lookup ?? defaultLookup;
  return {
    async vet(url) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw nonRetryable(
          FailureType.HttpDestinationRefused,
          `refused to request ${url.protocol}//${url.host}: only http: and https: URLs are allowed`,
          { host: url.hostname },
        );
      }
      const host = normalizeHost(url.hostname);
      if (host === '') throw nonRetryable(FailureType.HttpInvalidRequest, 'the URL has no host');
      const port = portOf(url);
      if (!ports.some(([low, high]) => port >= low && port <= high)) {
        throw nonRetryable(
          FailureType.HttpDestinationRefused,
          `refused to connect to ${host} on port ${port}: the allowed ports are ${options.ports ?? DEFAULT_HTTP_PORTS}; an operator can change them with TRELLIS_HTTP_PORTS`,
          { host, port },
        );
      }
      const hostIsAllowed = hostAllowed(allowlist, host);
      if (METADATA_NAMES.has(host) && !allowlist.hosts.has(host)) throw refused(host, `${host} is a cloud metadata service`);
      const literal = parseIp(host);
      if (literal) {
        const reason = blockedReason(literal);
        if (reason && !hostIsAllowed && !addressAllowed(allowlist, literal)) throw refused(host, `${host} is ${reason}`);
        const address = formatIp(literal);
        return { host, address, family: literal.family, addresses: [{ address, family: literal.family }] };
      }
      let addresses: { address: string; family: number }[];
      try {
        addresses = await lookup(host);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOTFOUND' || code === 'ENODATA') {
          throw nonRetryable(FailureType.HttpDnsError, `could not resolve host ${host} (${code}): check the URL`, { host });
        }
        throw retryable(FailureType.HttpDnsError, `resolving host ${host} failed (${code ?? 'error'}); will retry`, { details: { host } });
      }
      if (addresses.length === 0) {
        throw nonRetryable(FailureType.HttpDnsError, `could not resolve host ${host}: no addresses`, { host });
      }
      const vetted: { address: string; family: 4 | 6 }[] = [];
      for (const { address } of addresses) {
        const ip = parseIp(address);
        if (!ip) throw refused(host, `it resolves to ${address}, which is not an IP address`);
        const reason = blockedReason(ip);
        // Every address must pass: the connection could otherwise be steered to a refused one.
        if (reason && !hostIsAllowed && !addressAllowed(allowlist, ip)) {
          throw refused(host, `it resolves to ${address}, ${reason}`);
        }
        vetted.push({ address: formatIp(ip), family: ip.family });
      }
      return { host, address: vetted[0]!.address, family: vetted[0]!.family, addresses: vetted };
    },
  };
}

/** A `lookup` for node:net/http that answers with the vetted addresses only (no second DNS query). */
export function pinnedLookup(target: VettedTarget): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) {
      (callback as unknown as (err: null, addresses: { address: string; family: number }[]) => void)(null, target.addresses);
    } else {
      callback(null, target.address, target.family);
    }
  };
}
