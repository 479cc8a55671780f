import {
  type ClientOptions,
  type NatsOptions,
  type RedisOptions,
  type RmqOptions,
  type TcpClientOptions,
  Transport,
} from '@nestjs/microservices';
import type { ConnectionOptions } from 'node:tls';
import { DEFAULT_PORTS, overTls, type TransportTarget } from './transport-url';

/** The RabbitMQ queue every instance of the service consumes (competing consumers). */
const QUEUE = 'consultant-calendar';

const port = (target: TransportTarget): number => Number(target.url.port || DEFAULT_PORTS[target.kind]);
const host = (target: TransportTarget): string => target.url.hostname.replace(/^\[(.*)\]$/, '$1');

/** A NATS URL's servers and credentials, as every NATS connection of either end takes them. */
export function natsConnection(target: TransportTarget): { servers: string[]; user?: string; pass?: string } {
  const { url } = target;
  return {
    servers: [`${host(target)}:${port(target)}`],
    ...(url.username && { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }),
  };
}

/**
 * What both ends of one transport are given: the broker's address and the shared names. The
 * service listens with these options and CalendarClient connects with them, so the two agree.
 * `tls` is a client's, for a tls:// port (a private CA, a client certificate).
 */
export function transportOptions(target: TransportTarget, tls?: ConnectionOptions): ClientOptions {
  const { url } = target;
  switch (target.kind) {
    case 'tcp':
      return {
        transport: Transport.TCP,
        // Over TLS, a client checks the port's certificate against the system's CAs unless given its own `ca`.
        options: { host: host(target), port: port(target), ...(overTls(target) && { tlsOptions: { ...tls } }) },
      } satisfies TcpClientOptions;
    case 'nats':
      return { transport: Transport.NATS, options: natsConnection(target) } satisfies NatsOptions;
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
