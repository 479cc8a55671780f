import {
  type BaseRpcContext,
  type ClientOptions,
  type CustomStrategy,
  type MessageHandler,
  type NatsOptions,
  type OutgoingResponse,
  type ReadPacket,
  type RedisOptions,
  type RmqOptions,
  ServerNats,
  ServerRedis,
  ServerRMQ,
  type ServerTCP,
  type TcpClientOptions,
  type TcpSocket,
  Transport,
} from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import { AppConfig } from '../config/configuration';
import { LimitedTcpServer, type MessagePortLimits, portLimits } from './message-port';
import { guardedDeserializer, RefusedPacket } from './packet-guard';
import { DEFAULT_PORTS, overTls, type TransportTarget, wirePattern } from './transport-url';

/** The RabbitMQ queue every instance of the service consumes (competing consumers). */
const QUEUE = 'consultant-calendar';

const port = (target: TransportTarget): number => Number(target.url.port || DEFAULT_PORTS[target.kind]);
const host = (target: TransportTarget): string => target.url.hostname.replace(/^\[(.*)\]$/, '$1');

/** What both ends of one transport are given: the broker's address and the shared names. */
function commonOptions(target: TransportTarget, tls?: ConnectionOptions): ClientOptions {
  const { url } = target;
  switch (target.kind) {
    case 'tcp':
      return {
        transport: Transport.TCP,
        // Over TLS, a client checks the port's certificate against the system's CAs unless given its own `ca`.
        options: { host: host(target), port: port(target), ...(overTls(target) && { tlsOptions: { ...tls } }) },
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

/** The options a client of the service (CalendarClient) connects with; `tls` for a tls:// port (a private CA, a client certificate). */
export const clientOptions = (target: TransportTarget, tls?: ConnectionOptions): ClientOptions =>
  commonOptions(target, tls);

/**
 * Nest's RabbitMQ server, but a reply the broker refuses is logged instead of ending the process.
 * Nest drops the promise of each reply it sends; a caller's bogus `replyTo` (a made-up direct
 * reply-to name) makes RabbitMQ close the connection, which rejects every unconfirmed reply.
 */
class ServerRMQCaughtReplies extends ServerRMQ {
  override sendMessage<T>(message: T, replyTo: string, correlationId: string): void {
    const { options, ...packet } = this.serializer.serialize(message as OutgoingResponse) as {
      options?: Record<string, unknown>;
    };
    this.channel
      ?.sendToQueue(replyTo, Buffer.from(JSON.stringify(packet)), { correlationId, ...options })
      .catch((error: Error) =>
        this.logger.warn(`A reply to ${String(replyTo).slice(0, 100)} was not delivered: ${error.message}`),
      );
  }
}

const DEFAULTS = new AppConfig();
const SERVERS = { tcp: LimitedTcpServer, nats: ServerNats, redis: ServerRedis, rmq: ServerRMQCaughtReplies };

/** How each transport answers a packet the guard refused, from its handleMessage's arguments (none without a reply route). */
const answerRefused: Record<TransportTarget['kind'], (server: unknown, args: unknown[], reply: object) => void> = {
  tcp: (_server, [socket], reply) => (socket as TcpSocket).sendMessage(reply),
  nats: (_server, [, message], reply) => {
    const { reply: replyTo, respond } = message as { reply?: string; respond: (data: string) => boolean };
    if (replyTo) respond.call(message, JSON.stringify(reply));
  },
  redis: (server, [, , pub, channel], reply) =>
    void (pub as Redis)
      .publish((server as ServerRedis).getReplyPattern(channel as string), JSON.stringify(reply))
      .catch(() => undefined),
  rmq: (server, [message], reply) => {
    const { replyTo, correlationId } = (message as { properties: Record<string, string | undefined> }).properties;
    if (replyTo) (server as ServerRMQCaughtReplies).sendMessage(reply, replyTo, correlationId!);
  },
};

/**
 * The service's listening end, as a Nest transport strategy: the transport's own server,
 * taught to register each pattern under its namespaced wire name, to refuse a packet it could
 * not answer (packet-guard.ts) with a problem, and to log an unknown event's pattern short. On NATS, the instances
 * listening under one `natsQueue` share the messages (each is handled once); `null` gives
 * each listener every message.
 */
export function serverStrategy(
  target: TransportTarget,
  natsQueue: string | null = QUEUE,
  tcpPort?: { limits: MessagePortLimits; tls?: TlsOptions },
): CustomStrategy {
  const { options } = commonOptions(target) as { options: Record<string, unknown> };
  // Typed as one of them: the four share the base class whose addHandler is overridden.
  const Base = SERVERS[target.kind] as unknown as new (options: Record<string, unknown>) => ServerTCP;
  const Guarded = class extends Base {
    override addHandler(
      pattern: unknown,
      callback: MessageHandler,
      isEventHandler?: boolean,
      extras?: Record<string, unknown>,
    ): void {
      super.addHandler(wirePattern(target, String(pattern)), callback, isEventHandler, extras);
    }

    protected override initializeDeserializer(options: Parameters<ServerTCP['initializeDeserializer']>[0]): void {
      super.initializeDeserializer(options);
      // NATS and Redis route by subject or channel, which only the service's patterns are subscribed to.
      const routesByPacket = target.kind === 'tcp' || target.kind === 'rmq';
      this.deserializer = guardedDeserializer(
        this.deserializer,
        routesByPacket ? (pattern) => this.getHandlerByPattern(pattern) !== null : undefined,
      );
    }

    /** The transport's own handling, but for a packet the guard refused: answered on the caller's reply route. */
    override async handleMessage(...args: unknown[]): Promise<void> {
      try {
        await (super.handleMessage as (...all: unknown[]) => Promise<unknown>).apply(this, args);
      } catch (error) {
        if (!(error instanceof RefusedPacket)) throw error;
        answerRefused[target.kind](this, args, error.reply);
      }
    }

    /** An event nobody listens to is logged by its pattern, which a caller chooses: never whole. */
    override handleEvent(pattern: string, packet: ReadPacket, context: BaseRpcContext): Promise<void> {
      if (this.getHandlerByPattern(pattern)) return super.handleEvent(pattern, packet, context);
      this.logger.warn(`No event handler for pattern ${String(pattern).slice(0, 100)}`);
      return Promise.resolve();
    }
  };
  const serverOnly: Record<TransportTarget['kind'], Record<string, unknown>> = {
    // The port's limits (message-port.ts); a frame within them but over 100 KB is answered with
    // a payload-too-large problem. Over TLS, its certificate and key (message-tls.ts).
    tcp: { limits: tcpPort?.limits ?? portLimits((key) => DEFAULTS[key]), tlsOptions: tcpPort?.tls },
    // Instances of the service share the subjects as one queue group: each request is handled once.
    nats: natsQueue === null ? {} : { queue: natsQueue, name: natsQueue },
    // Reconnect after an outage; the first connection fails start-up instead (Redis rejects it).
    redis: { retryAttempts: Number.MAX_SAFE_INTEGER, retryDelay: 1000 },
    // One attempt at start-up, so a broker that is down stops the service with its error.
    rmq: { maxConnectionAttempts: 1 },
  };
  return { strategy: new Guarded({ ...options, ...serverOnly[target.kind] }) as CustomStrategy['strategy'] };
}
