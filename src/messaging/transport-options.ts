import { transportOptions, type TransportTarget, underNamespace } from '@consultant-calendar/client/wire';
import {
  type BaseRpcContext,
  type CustomStrategy,
  type OutgoingResponse,
  type ReadPacket,
  ServerNats,
  ServerRedis,
  ServerRMQ,
  type ServerTCP,
  type TcpSocket,
} from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import type { TlsOptions } from 'node:tls';
import { AppConfig } from '../config/configuration';
import { LimitedTcpServer, type MessagePortLimits, portLimits } from './message-port';
import { guardedDeserializer, RefusedPacket } from './packet-guard';

/** The NATS queue group of the service's instances: each request is handled by one of them. */
const QUEUE = 'consultant-calendar';

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
 * not answer (packet-guard.ts) with a problem, and to log an unknown event's pattern short.
 */
export function serverStrategy(
  target: TransportTarget,
  tcpPort?: { limits: MessagePortLimits; tls?: TlsOptions },
): CustomStrategy {
  const { options } = transportOptions(target) as { options: Record<string, unknown> };
  // Typed as one of them: the four share the base class whose methods are overridden.
  const Base = SERVERS[target.kind] as unknown as new (options: Record<string, unknown>) => ServerTCP;
  const Guarded = class extends underNamespace(Base, target) {
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
    nats: { queue: QUEUE, name: QUEUE },
    // Reconnect after an outage; the first connection fails start-up instead (Redis rejects it).
    redis: { retryAttempts: Number.MAX_SAFE_INTEGER, retryDelay: 1000 },
    // One attempt at start-up, so a broker that is down stops the service with its error.
    rmq: { maxConnectionAttempts: 1 },
  };
  return { strategy: new Guarded({ ...options, ...serverOnly[target.kind] }) as CustomStrategy['strategy'] };
}
