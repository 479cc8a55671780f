import { isIP } from 'node:net';

/** What Fastify's `trustProxy` is given: nothing trusted, a hop count, or the proxies' addresses. */
export type TrustProxy = false | ((address: string, hop: number) => boolean) | string[];

/** proxy-addr's names for the loopback, link-local and private ranges. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrRange(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY as Fastify takes it, or undefined when the text is not valid. Off (unset, `false`,
 * `0`): the socket's address is the client's and X-Forwarded-For is ignored. A hop count `n`:
 * the n-th address from the right of X-Forwarded-For is the client's. Fastify 5 no longer
 * honours a numeric trustProxy (it trusts nothing), so the count is given as proxy-addr's trust
 * function. A comma list of addresses, CIDR ranges or proxy-addr's names: those are proxies and
 * the first address from the right that is not one is the client's. `true` (believe any
 * X-Forwarded-For) is refused: a client would choose its own address, and its own budgets.
 */
export function parseTrustProxy(text: string | undefined): TrustProxy | undefined {
  const value = (text ?? '').trim();
  if (value === '' || value === 'false' || value === '0') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return hops <= 100 ? (_address, hop) => hop < hops : undefined;
  }
  const entries = value.split(',').map((entry) => entry.trim());
  return entries.every(isAddressOrRange) ? entries : undefined;
}
