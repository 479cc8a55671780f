import { validateConfig } from './configuration';
import { parseTrustProxy } from './trust-proxy';

describe('parseTrustProxy', () => {
  it('is off when unset, empty, false or 0', () => {
    for (const text of [undefined, '', ' ', 'false', '0']) expect(parseTrustProxy(text)).toBe(false);
  });

  it('takes a hop count as a trust function: the socket and the next hops - 1 addresses are proxies', () => {
    const trust = parseTrustProxy('2') as (address: string, hop: number) => boolean;
    expect(typeof trust).toBe('function');
    expect([0, 1, 2, 3].map((hop) => trust('203.0.113.1', hop))).toEqual([true, true, false, false]);
  });

  it('takes a comma list of addresses, CIDR ranges and proxy-addr names', () => {
    expect(parseTrustProxy(' 10.0.0.0/8, 192.0.2.1 ,::1, fd00::/8, loopback, uniquelocal')).toEqual([
      '10.0.0.0/8',
      '192.0.2.1',
      '::1',
      'fd00::/8',
      'loopback',
      'uniquelocal',
    ]);
  });

  it('refuses true, bad addresses and prefixes, and an absurd hop count', () => {
    for (const text of ['true', '10.0.0.0/33', '::1/129', '10.0.0.256', 'proxy.example', '10.0.0.0/8/1', '1,', '101'])
      expect(parseTrustProxy(text)).toBeUndefined();
  });
});

describe('validateConfig: the abuse limits', () => {
  it('has the documented defaults', () => {
    expect(validateConfig({})).toMatchObject({
      SIGNUPS_PER_IP_PER_HOUR: 10,
      FAILED_AUTH_PER_IP_PER_MINUTE: 30,
      BOOKINGS_PER_IP_PER_HOUR: 60,
      TRUST_PROXY: 'false',
      MAX_SLOTS_PER_RESPONSE: 5000,
    });
  });

  it('refuses a bad value with one line naming it', () => {
    for (const [name, value] of [
      ['SIGNUPS_PER_IP_PER_HOUR', '0'],
      ['FAILED_AUTH_PER_IP_PER_MINUTE', 'many'],
      ['BOOKINGS_PER_IP_PER_HOUR', '-1'],
      ['MAX_SLOTS_PER_RESPONSE', '2.5'],
      ['TRUST_PROXY', 'true'],
    ])
      expect(() => validateConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name}=`));
  });
});
