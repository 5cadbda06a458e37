// The "network" a client address belongs to, for limits keyed per client: an IPv4 address as it
// is (one NAT, one office), an IPv6 address by its /64 (what one subscriber or host is given, so
// rotating through it buys nothing). IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as the IPv4 address.
import { isIPv4, isIPv6 } from 'node:net';

/** The 8 16-bit groups of a valid IPv6 address (zone removed, embedded IPv4 expanded). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const front = parse(head);
  const back = parse(tail);
  return tail === undefined ? front : [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/** `203.0.113.7`, `2001:db8:1:2::/64`, or the input itself (bounded) when it is no address. */
export function networkOf(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const address = ip.trim().replace(/%.*$/, '');
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address.slice(0, 64);
  const groups = ipv6Groups(address.toLowerCase());
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`;
}
