import {
  type ClientOptions,
  type CustomStrategy,
  type MessageHandler,
  type NatsOptions,
  type RedisOptions,
  type RmqOptions,
  ServerNats,
  ServerRedis,
  ServerRMQ,
  type ServerTCP,
  type TcpClientOptions,
  Transport,
} from '@nestjs/microservices';
import { AppConfig } from '../config/configuration';
import { LimitedTcpServer, type MessagePortLimits, portLimits } from './message-port';
import { DEFAULT_PORTS, type TransportTarget, wirePattern } from './transport-url';

/** The RabbitMQ queue every instance of the service consumes (competing consumers). */
const QUEUE = 'consultant-calendar';

const port = (target: TransportTarget): number => Number(target.url.port || DEFAULT_PORTS[target.kind]);
const host = (target: TransportTarget): string => target.url.hostname.replace(/^\[(.*)\]$/, '$1');

/** What both ends of one transport are given: the broker's address and the shared names. */
function commonOptions(target: TransportTarget): ClientOptions {
  const { url } = target;
  switch (target.kind) {
    case 'tcp':
      return {
        transport: Transport.TCP,
        options: { host: host(target), port: port(target) },
      } satisfies TcpClientOptions;
    case 'nats':
      return {
        transport: Transport.NATS,
        options: {
          servers: [`${host(target)}:${port(target)}`],
          ...(url.username && { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }),
        },
      } satisfies NatsOptions;
    case 'redis':
      return {
        transport: Transport.REDIS,
        options: {
          host: host(target),
          port: port(target),
          ...(url.username && { username: decodeURIComponent(url.username) }),
          ...(url.password && { password: decodeURIComponent(url.password) }),
          ...(url.pathname.length > 1 && { db: Number(url.pathname.slice(1)) }),
          ...(url.protocol === 'rediss:' && { tls: {} }),
        },
      } satisfies RedisOptions;
    case 'rmq':
      return {
        transport: Transport.RMQ,
        options: {
          urls: [url.toString()],
          queue: target.namespace ? `${target.namespace}.${QUEUE}` : QUEUE,
          // Requests are worth nothing once their caller has timed out: no queue or message
          // outlives the broker, and a queue left by a test run's namespace goes with its consumer.
          queueOptions: { durable: false, autoDelete: true },
          // amqp-connection-manager's 5 s heartbeat drops the connection whenever the event loop
          // stalls for ten (the embedded database under load can); a URL's ?heartbeat= still wins.
          socketOptions: { heartbeatIntervalInSeconds: 30, reconnectTimeInSeconds: 5 },
        },
      } satisfies RmqOptions;
  }
}

/** The options a client of the service (CalendarClient) connects with. */
export const clientOptions = (target: TransportTarget): ClientOptions => commonOptions(target);

const DEFAULTS = new AppConfig();
const SERVERS = { tcp: LimitedTcpServer, nats: ServerNats, redis: ServerRedis, rmq: ServerRMQ };

/**
 * The service's listening end, as a Nest transport strategy: the transport's own server,
 * taught to register each pattern under its namespaced wire name. On NATS, the instances
 * listening under one `natsQueue` share the messages (each is handled once); `null` gives
 * each listener every message.
 */
export function serverStrategy(
  target: TransportTarget,
  natsQueue: string | null = QUEUE,
  limits?: MessagePortLimits,
): CustomStrategy {
  const { options } = commonOptions(target) as { options: Record<string, unknown> };
  // Typed as one of them: the four share the base class whose addHandler is overridden.
  const Base = SERVERS[target.kind] as unknown as new (options: Record<string, unknown>) => ServerTCP;
  const Namespaced = class extends Base {
    override addHandler(
      pattern: unknown,
      callback: MessageHandler,
      isEventHandler?: boolean,
      extras?: Record<string, unknown>,
    ): void {
      super.addHandler(wirePattern(target, String(pattern)), callback, isEventHandler, extras);
    }
  };
  const serverOnly: Record<TransportTarget['kind'], Record<string, unknown>> = {
    // The port's limits (message-port.ts); a frame within them but over 100 KB is answered with
    // a payload-too-large problem.
    tcp: { limits: limits ?? portLimits((key) => DEFAULTS[key]) },
    // Instances of the service share the subjects as one queue group: each request is handled once.
    nats: natsQueue === null ? {} : { queue: natsQueue, name: natsQueue },
    // Reconnect after an outage; the first connection fails start-up instead (Redis rejects it).
    redis: { retryAttempts: Number.MAX_SAFE_INTEGER, retryDelay: 1000 },
    // One attempt at start-up, so a broker that is down stops the service with its error.
    rmq: { maxConnectionAttempts: 1 },
  };
  return { strategy: new Namespaced({ ...options, ...serverOnly[target.kind] }) as CustomStrategy['strategy'] };
}
