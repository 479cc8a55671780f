import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  type CustomStrategy,
  type CustomTransportStrategy,
  NatsContext,
  type RedisOptions,
  Server,
  ServerRedis,
} from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { ensureEventStream } from './event-stream';
import type { CalendarEvent } from './event-types';
import { natsConnection, transportOptions } from './transport-options';
import { parseTransportUrl, type TransportTarget, underNamespace } from './transport-url';

export interface CalendarEventsOptions {
  /** The calendar's MICROSERVICE_URL, namespace included: `nats://…` (durable) or `redis://…` (not durable). */
  url: string;
  /**
   * NATS, required: the durable consumer's name, one per subscribing service (`crm`): letters,
   * digits, `_` and `-`. The stream keeps each event for the consumer until it is acknowledged,
   * so events published while the service was away arrive when it is back; its instances share
   * the consumer, each event reaching one of them.
   */
  consumer?: string;
  /** NATS: where a consumer created now starts: `new` (the default) or `all` that the stream still holds. */
  from?: 'new' | 'all';
  /**
   * NATS: how many times an event is handed to a handler that throws (default 10) before it is
   * logged as given up and skipped, so that one event the service cannot take does not hold up
   * every later one until the stream's retention drops them.
   */
  maxDeliveries?: number;
}

const CONSUMER_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** A redelivery waits this long after the handler threw; the consumer's later events wait behind it. */
const RETRY_AFTER_MS = 1_000;
/**
 * An event not acknowledged this long after its delivery (a subscriber that died handling it) is
 * delivered again; a handler still at work says so every half of it, so it is never handled twice at once.
 */
const ACK_WAIT_MS = 30_000;
const DEFAULT_MAX_DELIVERIES = 10;

/**
 * The listening end a sibling service attaches (`app.connectMicroservice(calendarEvents({ url,
 * consumer }))`) to receive the calendar's events in its `@EventPattern('booking.created')`
 * handlers, each a CalendarEvent, at least once: drop a repeated `id`.
 */
export function calendarEvents(options: CalendarEventsOptions): CustomStrategy {
  const target = parseTransportUrl(options.url);
  if (target?.kind === 'nats') {
    if (!options.consumer || !CONSUMER_NAME.test(options.consumer))
      throw new Error('calendarEvents on NATS needs a consumer name of 1 to 64 letters, digits, _ or -');
    const maxDeliveries = options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
    if (!Number.isInteger(maxDeliveries) || maxDeliveries < 1)
      throw new Error('calendarEvents: maxDeliveries must be a whole number of at least 1');
    return { strategy: new JetStreamEvents(target, options.consumer, options.from ?? 'new', maxDeliveries) };
  }
  if (target?.kind === 'redis') return { strategy: redisEvents(target) };
  throw new Error('The calendar emits its events on NATS (JetStream) and Redis only: give its nats:// or redis:// URL');
}

/**
 * A Nest transport that reads the calendar's event stream through one durable JetStream
 * consumer. One event at a time (`max_ack_pending: 1`) and acknowledged once its handler has
 * finished, so each consultant's events are handled in `sequence` order, across restarts and
 * across the instances sharing the consumer; a handler that throws gets the event again a
 * second later, up to `maxDeliveries` times. An event type without a handler is acknowledged and skipped.
 */
class JetStreamEvents extends Server implements CustomTransportStrategy {
  private connection?: NatsConnection;
  private messages?: ConsumerMessages;
  private consuming?: Promise<void>;

  constructor(
    private readonly target: TransportTarget,
    private readonly consumer: string,
    private readonly from: 'new' | 'all',
    private readonly maxDeliveries: number,
  ) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      this.connection = await connect({
        ...natsConnection(this.target),
        name: this.consumer,
        maxReconnectAttempts: -1,
      });
      const jsm = await jetstreamManager(this.connection);
      const stream = await ensureEventStream(jsm, this.target);
      await this.ensureConsumer(jsm, stream);
      const consumer = await jetstream(this.connection).consumers.get(stream, this.consumer);
      const messages = await consumer.consume();
      this.messages = messages;
      // Ends when close() stops it; an error past the handlers (the connection closed under it) is logged, never thrown away.
      this.consuming = this.consume(messages).catch((error: unknown) =>
        this.logger.error(`Stopped reading the calendar's events: ${String(error)}`),
      );
      callback();
    } catch (error) {
      await this.connection?.close();
      callback(error);
    }
  }

  /** Stops taking events, lets the one in hand finish and its acknowledgement reach the server. */
  async close(): Promise<void> {
    await this.messages?.close();
    await this.consuming;
    await this.connection?.flush().catch(() => undefined);
    await this.connection?.close();
  }

  on(): never {
    throw new Error('JetStreamEvents reports no status events');
  }

  unwrap<T>(): T {
    if (!this.connection) throw new Error('Not listening yet');
    return this.connection as T;
  }

  /** The consumer as it is, or a new one: explicit acknowledgement, one event in flight. */
  private async ensureConsumer(jsm: JetStreamManager, stream: string): Promise<void> {
    try {
      await jsm.consumers.info(stream, this.consumer);
    } catch (error) {
      if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.ConsumerNotFound) throw error;
      await jsm.consumers.add(stream, {
        durable_name: this.consumer,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: this.from === 'all' ? DeliverPolicy.All : DeliverPolicy.New,
        max_ack_pending: 1,
        ack_wait: nanos(ACK_WAIT_MS),
      });
    }
  }

  private async consume(messages: ConsumerMessages): Promise<void> {
    for await (const message of messages) await this.handle(message);
  }

  private async handle(message: JsMsg): Promise<void> {
    const prefix = this.target.namespace ? `${this.target.namespace}.` : '';
    const handler = this.getHandlerByPattern(message.subject.slice(prefix.length));
    if (!handler) return message.ack();
    let event: CalendarEvent;
    try {
      event = message.json<CalendarEvent>();
    } catch {
      this.logger.error(`Dropped a message on ${message.subject} that is not JSON`);
      return message.term('not JSON');
    }
    const stillWorking = setInterval(() => message.working(), ACK_WAIT_MS / 2);
    try {
      const result = await handler(event, new NatsContext([message.subject, message.headers]));
      await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
      message.ack();
    } catch (error) {
      const attempt = message.info.deliveryCount;
      if (attempt >= this.maxDeliveries) {
        this.logger.error(
          `The handler of ${message.subject} failed on event ${event.id} ${attempt} times; given up, the next events go on: ${String(error)}`,
        );
        // Acknowledged as handled: a term (+TERM) left the consumer's next events undelivered
        // on the NATS these tests run against.
        message.ack();
      } else {
        this.logger.error(`The handler of ${message.subject} failed on event ${event.id}; retrying: ${String(error)}`);
        message.nak(RETRY_AFTER_MS);
      }
    } finally {
      clearInterval(stillWorking);
    }
  }
}

/**
 * Nest's Redis transport, subscribed under the namespace. Redis pub/sub stores nothing: an event
 * published while no listener was subscribed is not received (use NATS for that).
 */
const redisEvents = (target: TransportTarget): CustomTransportStrategy =>
  new (underNamespace(ServerRedis, target))((transportOptions(target) as RedisOptions).options!);
