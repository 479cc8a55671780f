import type { MessageHandler } from '@nestjs/microservices';

/**
 * Where internal messages travel, from one URL that the service (MICROSERVICE_URL) and its
 * callers (CalendarClientModule) share, so both ends always agree on every broker-side name:
 * `tcp://host:port` (or `tls://host:port`: the same over TLS), `nats://[user:pass@]host[:port]`, `redis[s]://[[user]:pass@]host[:port][/db]`
 * or `amqp[s]://[user:pass@]host[:port][/vhost]`. `?namespace=` prefixes every subject, channel
 * and queue this service uses, so several deployments (or test runs) can share one broker.
 */
export interface TransportTarget {
  kind: 'tcp' | 'nats' | 'redis' | 'rmq';
  url: URL;
  namespace: string | undefined;
}

const KINDS: Record<string, TransportTarget['kind']> = {
  'tcp:': 'tcp',
  'tls:': 'tcp',
  'nats:': 'nats',
  'redis:': 'redis',
  'rediss:': 'redis',
  'amqp:': 'rmq',
  'amqps:': 'rmq',
};
export const DEFAULT_PORTS: Record<TransportTarget['kind'], number> = { tcp: 3001, nats: 4222, redis: 6379, rmq: 5672 };
const NAMESPACE = /^[A-Za-z0-9_-]{1,64}$/;
/** amqplib reads these from the URL's query; every other transport takes only `namespace`. */
const AMQP_PARAMS = new Set(['heartbeat', 'frameMax', 'channelMax', 'locale']);

/** Why a MICROSERVICE_URL cannot be used, or undefined when it can (`off` included). */
export function transportUrlProblem(text: unknown): string | undefined {
  try {
    parseTransportUrl(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The transport a URL names, or null for `off`; throws with the reason otherwise. */
export function parseTransportUrl(text: unknown): TransportTarget | null {
  if (text === 'off') return null;
  const usage = 'must be off, or a tcp://, tls://, nats://, redis://, rediss://, amqp:// or amqps:// URL';
  if (typeof text !== 'string') throw new Error(usage);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(usage);
  }
  const kind = KINDS[url.protocol];
  if (!kind || !url.hostname) throw new Error(usage);
  const namespace = url.searchParams.get('namespace') ?? undefined;
  if (namespace !== undefined && !NAMESPACE.test(namespace))
    throw new Error('has a namespace that is not 1 to 64 letters, digits, _ or -');
  for (const key of url.searchParams.keys())
    if (key !== 'namespace' && !(kind === 'rmq' && AMQP_PARAMS.has(key)))
      throw new Error(`has an unknown option ${key}`);
  if (kind === 'tcp' && (url.username || url.password || (url.pathname !== '' && url.pathname !== '/')))
    throw new Error(`must be ${url.protocol}//host:port, with nothing else`);
  if (kind === 'redis' && !/^\/?\d*$/.test(url.pathname)) throw new Error('has a Redis database that is not a number');
  url.searchParams.delete('namespace');
  return { kind, url, namespace };
}

/** Whether the TCP port speaks TLS (`tls://`). */
export const overTls = (target: TransportTarget): boolean => target.url.protocol === 'tls:';

/** The URL as logs may show it: without its password. */
export function describeTarget(target: TransportTarget): string {
  const shown = new URL(target.url);
  if (shown.password) shown.password = '***';
  if (target.namespace) shown.searchParams.set('namespace', target.namespace);
  return shown.toString();
}

/** The name a message pattern travels under (a NATS subject, a Redis channel, the packet's pattern). */
export const wirePattern = (target: TransportTarget, pattern: string): string =>
  target.namespace ? `${target.namespace}.${pattern}` : pattern;

// A mixin's base must be constructible with any arguments (TS2545).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ServerClass = new (...args: any[]) => {
  addHandler(pattern: unknown, callback: MessageHandler, isEventHandler?: boolean, extras?: object): void;
};

/** A Nest transport server that registers each handler's pattern under its wire name. */
export function underNamespace<Base extends ServerClass>(Base: Base, target: TransportTarget): Base {
  return class extends Base {
    override addHandler(
      pattern: unknown,
      callback: MessageHandler,
      isEventHandler?: boolean,
      extras?: Record<string, unknown>,
    ): void {
      super.addHandler(wirePattern(target, String(pattern)), callback, isEventHandler, extras);
    }
  };
}
