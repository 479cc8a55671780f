import { Injectable } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/** Why an address may not be a webhook target, or undefined when it is a public unicast one. */
export function forbiddenAddress(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is.
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  // ipaddr.js calls the deprecated IPv4-compatible ::/96 (http://[::127.0.0.1]/ is ::7f00:1)
  // unicast, yet a host may still route it to the IPv4 address inside: none is a public target.
  if (range === 'unicast')
    return parsed.kind() === 'ipv6' && parsed.match(IPV4_COMPATIBLE) ? 'an IPv4-compatible address (::/96)' : undefined;
  const names: Record<string, string> = {
    loopback: 'a loopback address',
    private: 'a private address',
    uniqueLocal: 'a private address',
    linkLocal: 'a link-local address (cloud metadata among them)',
    carrierGradeNat: 'a shared (carrier-grade NAT) address',
    unspecified: 'the unspecified address',
  };
  return names[range] ?? `a special-purpose address (${range})`;
}

/** The host of a URL as an address or a name: without IPv6's brackets. */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Resolves a webhook host's name, for the check at creation and the connection at delivery.
 * A provider of its own so that tests can make a name resolve elsewhere later.
 */
@Injectable()
export class WebhookResolver {
  async resolve(hostname: string): Promise<{ address: string; family: number }[]> {
    if (isIP(hostname)) return [{ address: hostname, family: isIP(hostname) }];
    return lookup(hostname, { all: true, verbatim: true });
  }
}

/**
 * Why a target is refused, as the caller is told: a category, never the addresses a name
 * resolved to, nor the resolver's error (together they would let a caller map hosts). The
 * message says more, for the service's own log.
 */
export type TargetRefusal = 'private-address' | 'unresolved';

export class ForbiddenTargetError extends Error {
  constructor(
    readonly refusal: TargetRefusal,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The addresses a host resolves to, every one allowed, or a ForbiddenTargetError: a name that
 * does not resolve, or with one private address among public ones, is refused.
 */
export async function checkedAddresses(
  resolver: WebhookResolver,
  hostname: string,
  allowPrivate: boolean,
): Promise<{ address: string; family: number }[]> {
  let addresses: { address: string; family: number }[];
  try {
    addresses = await resolver.resolve(hostname);
  } catch (error) {
    throw new ForbiddenTargetError('unresolved', `${hostname} does not resolve: ${(error as Error).message}`);
  }
  if (!addresses.length) throw new ForbiddenTargetError('unresolved', `${hostname} resolves to no address`);
  if (!allowPrivate)
    for (const { address } of addresses) {
      const why = forbiddenAddress(address);
      if (why) throw new ForbiddenTargetError('private-address', `${hostname} is ${address}, ${why}`);
    }
  return addresses;
}
