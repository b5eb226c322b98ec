import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';

export interface ClientAddressOptions {
  /** IPs or CIDR ranges (IPv4 or IPv6) of the proxies whose `X-Forwarded-For` is believed. */
  readonly trustedProxies: readonly string[];
}

/** The address a request is attributed to, from its peer address and headers. */
export type ClientAddress = (peer: string | undefined, headers: IncomingHttpHeaders) => string;

/**
 * An address in one spelling per client: brackets and port dropped, lower case, IPv4-mapped IPv6 (`::ffff:1.2.3.4`)
 * as plain IPv4. Returns '' for anything that is not an IP address.
 */
export function normalizeAddress(text: string): string {
  let address = text.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed?.[1] !== undefined) address = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  if (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4) address = address.slice(7);
  return isIP(address) === 0 ? '' : address;
}

function familyOf(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 4 ? 'ipv4' : 'ipv6';
}

/**
 * Who is asking (spec 7.2): the peer address, unless the peer is a trusted proxy. Then the right-most
 * `X-Forwarded-For` hop that is not itself a trusted proxy (hops to its left were written by the client and prove
 * nothing), else `X-Real-IP`, else the peer. A hop that is not an IP address is not believed either: the request is
 * then attributed to the proxy. Never trusting forwarded headers from anyone else closes the spoofing hole of the
 * reference's older versions (spec 13.1).
 */
export function createClientAddress(options: ClientAddressOptions): ClientAddress {
  const trusted = new BlockList();
  for (const entry of options.trustedProxies) {
    const [address = '', bits] = entry.split('/');
    const normalized = normalizeAddress(address);
    if (normalized === '') throw new TypeError(`Not an IP address or CIDR range: ${JSON.stringify(entry)}`);
    const family = familyOf(normalized);
    if (bits === undefined) trusted.addAddress(normalized, family);
    else trusted.addSubnet(normalized, Number(bits) - (family === 'ipv4' && isIP(address) === 6 ? 96 : 0), family);
  }
  const isTrusted = (address: string) => address !== '' && trusted.check(address, familyOf(address));
  if (options.trustedProxies.length === 0) return (peer) => normalizeAddress(peer ?? '') || 'unknown';

  return (peer, headers) => {
    const peerAddress = normalizeAddress(peer ?? '');
    if (!isTrusted(peerAddress)) return peerAddress || 'unknown';
    const forwarded = headers['x-forwarded-for'];
    const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',');
    for (let i = hops.length - 1; i >= 0; i -= 1) {
      const hop = hops[i]?.trim() ?? '';
      if (hop === '') continue;
      const address = normalizeAddress(hop);
      if (address === '') return peerAddress;
      if (!isTrusted(address)) return address;
    }
    const realIp = headers['x-real-ip'];
    const real = normalizeAddress(Array.isArray(realIp) ? (realIp[0] ?? '') : (realIp ?? ''));
    return real || peerAddress;
  };
}
