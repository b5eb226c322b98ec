import { describe, expect, it } from 'vitest';
import { createClientAddress, normalizeAddress } from './client-address.ts';

describe('normalizeAddress', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    [' 10.0.0.1 ', '10.0.0.1'],
    ['10.0.0.1:8080', '10.0.0.1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['[2001:DB8::1]', '2001:db8::1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['unknown', ''],
    ['', ''],
  ])('%j -> %j', (text, address) => {
    expect(normalizeAddress(text)).toBe(address);
  });
});

describe('createClientAddress', () => {
  const headers = (xff?: string, realIp?: string) => ({
    ...(xff === undefined ? {} : { 'x-forwarded-for': xff }),
    ...(realIp === undefined ? {} : { 'x-real-ip': realIp }),
  });

  it('uses the peer and ignores forwarding headers when no proxy is trusted', () => {
    const clientOf = createClientAddress({ trustedProxies: [] });
    expect(clientOf('203.0.113.9', headers('1.1.1.1', '2.2.2.2'))).toBe('203.0.113.9');
    expect(clientOf('::ffff:203.0.113.9', {})).toBe('203.0.113.9');
    expect(clientOf(undefined, {})).toBe('unknown');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy (spoofing)', () => {
    const clientOf = createClientAddress({ trustedProxies: ['10.0.0.0/8'] });
    expect(clientOf('203.0.113.9', headers('1.1.1.1'))).toBe('203.0.113.9');
  });

  it('takes the right-most hop that is not a trusted proxy, never a client-written one to its left', () => {
    const clientOf = createClientAddress({ trustedProxies: ['10.0.0.0/8', '192.168.1.5'] });
    expect(clientOf('10.1.2.3', headers('6.6.6.6, 198.51.100.7'))).toBe('198.51.100.7');
    expect(clientOf('10.1.2.3', headers('6.6.6.6, 198.51.100.7, 192.168.1.5, 10.9.9.9'))).toBe('198.51.100.7');
    expect(clientOf('10.1.2.3', headers('198.51.100.7:5555'))).toBe('198.51.100.7');
  });

  it('falls back to X-Real-IP, then the peer, when every hop is trusted or there is none', () => {
    const clientOf = createClientAddress({ trustedProxies: ['10.0.0.0/8'] });
    expect(clientOf('10.1.2.3', headers('10.2.2.2', '198.51.100.7'))).toBe('198.51.100.7');
    expect(clientOf('10.1.2.3', headers(undefined, '198.51.100.7'))).toBe('198.51.100.7');
    expect(clientOf('10.1.2.3', headers('10.2.2.2'))).toBe('10.1.2.3');
    expect(clientOf('10.1.2.3', {})).toBe('10.1.2.3');
  });

  it('attributes a request to the proxy when the deciding hop is not an IP address', () => {
    const clientOf = createClientAddress({ trustedProxies: ['10.0.0.0/8'] });
    expect(clientOf('10.1.2.3', headers('198.51.100.7, garbage'))).toBe('10.1.2.3');
  });

  it('matches IPv6 ranges and IPv4-mapped peers against IPv4 ranges', () => {
    const clientOf = createClientAddress({ trustedProxies: ['10.0.0.0/8', '2001:db8::/32', '::ffff:172.16.0.0/108'] });
    expect(clientOf('::ffff:10.0.0.1', headers('198.51.100.7'))).toBe('198.51.100.7');
    expect(clientOf('2001:db8::42', headers('2001:db9::1'))).toBe('2001:db9::1');
    expect(clientOf('2001:db9::42', headers('198.51.100.7'))).toBe('2001:db9::42');
    expect(clientOf('172.16.3.4', headers('198.51.100.7'))).toBe('198.51.100.7');
    expect(clientOf('172.32.0.1', headers('198.51.100.7'))).toBe('172.32.0.1');
  });

  it('reads X-Forwarded-For sent as several header lines', () => {
    const clientOf = createClientAddress({ trustedProxies: ['10.0.0.1'] });
    expect(clientOf('10.0.0.1', { 'x-forwarded-for': ['6.6.6.6', '198.51.100.7'] } as never)).toBe('198.51.100.7');
  });
});
