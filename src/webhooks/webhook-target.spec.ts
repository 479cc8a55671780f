import { retryDelayMs } from './webhook-dispatcher';
import { forbiddenAddress } from './webhook-target';

describe('forbiddenAddress', () => {
  it.each(['8.8.8.8', '93.184.215.14', '2606:4700:4700::1111', '2a00:1450:4001:82b::200e'])('allows public %s', (a) =>
    expect(forbiddenAddress(a)).toBeUndefined(),
  );

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['10.0.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fd00:ec2::254', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['100.64.0.1', 'shared'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'special-purpose'],
    ['255.255.255.255', 'special-purpose'],
    ['2002:7f00:1::1', 'special-purpose'], // 6to4 wrapping 127.0.0.1
    ['64:ff9b::a00:1', 'special-purpose'], // NAT64 of 10.0.0.1
    ['192.0.2.1', 'special-purpose'], // documentation
  ])('refuses %s as %s', (address, kind) => expect(forbiddenAddress(address)).toContain(kind));

  it('refuses what is not an address', () => expect(forbiddenAddress('localhost')).toBe('not an IP address'));
});

describe('retryDelayMs', () => {
  it('doubles from the first delay up to an hour, each between half and all of its step', () => {
    for (const n of [1, 2, 3, 10, 20]) {
      const step = Math.min(3_600_000, 5000 * 2 ** (n - 1));
      expect(retryDelayMs(5000, n, 0)).toBe(step / 2);
      expect(retryDelayMs(5000, n, 1)).toBe(step);
    }
    // Equal jitter: the shortest next gap is as long as the longest one before it.
    expect(retryDelayMs(5000, 3, 0)).toBe(retryDelayMs(5000, 2, 1));
  });
});
