import type { CalendarEvent } from '@consultant-calendar/client';
import {
  EventStreamPublisher,
  parseTransportUrl,
  transportOptions,
  type TransportTarget,
  wirePattern,
} from '@consultant-calendar/client/wire';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import type { AppConfig } from '../config/configuration';
import { EventSinks } from './event-sinks';

/** A broker that does not take an event in this time fails the batch, which is retried. */
const EMIT_TIMEOUT_MS = 5_000;

/**
 * Hands each event to the MICROSERVICE_URL broker, for siblings subscribed with the client's
 * `calendarEvents` and `@EventPattern(type)`; the relay marks a batch delivered once this resolves.
 * - NATS: stored in the calendar's JetStream stream, resolved once JetStream acknowledged every
 *   event as stored; each subscribing service reads the stream through a durable consumer.
 * - Redis: `emit(type, event)` on pub/sub, which stores nothing: a subscriber away misses it.
 * - TCP (a connection to this service) and RabbitMQ (one queue this service consumes): none.
 * Webhooks carry every event whatever the transport.
 */
@Injectable()
export class BrokerPublisher implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('BrokerPublisher');
  private target?: TransportTarget;
  private proxy?: ClientProxy;
  private stream?: EventStreamPublisher;

  constructor(
    private readonly config: ConfigService<AppConfig, true>,
    private readonly sinks: EventSinks,
  ) {}

  onModuleInit(): void {
    const target = parseTransportUrl(this.config.get('MICROSERVICE_URL', { infer: true }));
    if (!target) return;
    if (target.kind === 'nats') {
      // The stream keeps events as long as the outbox keeps them delivered.
      const days = this.config.get('OUTBOX_RETENTION_DAYS', { infer: true });
      this.stream = new EventStreamPublisher(target, days, EMIT_TIMEOUT_MS);
    } else if (target.kind === 'redis') {
      this.target = target;
      this.proxy = ClientProxyFactory.create(transportOptions(target));
    } else {
      this.logger.log(`events are not emitted on ${target.kind}: NATS (JetStream) and Redis carry them to subscribers`);
      return;
    }
    this.sinks.add((_manager, events) => this.publish(events));
  }

  /** Resolves once the broker has every event: stored, on JetStream; sent, on Redis. */
  async publish(events: CalendarEvent[]): Promise<void> {
    if (this.stream) return this.stream.publish(events);
    const { proxy, target } = this;
    if (!proxy || !target) return;
    for (const event of events)
      await firstValueFrom(proxy.emit(wirePattern(target, event.type), event).pipe(timeout(EMIT_TIMEOUT_MS)), {
        defaultValue: undefined,
      });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.proxy?.close();
    await this.stream?.close();
  }
}
