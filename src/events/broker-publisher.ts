import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import type { AppConfig } from '../config/configuration';
import { clientOptions } from '../messaging/transport-options';
import { parseTransportUrl, type TransportTarget, wirePattern } from '../messaging/transport-url';
import { EventSinks } from './event-sinks';
import type { CalendarEvent } from './event-types';

/** A broker that does not take an event in this time fails the batch, which is retried. */
const EMIT_TIMEOUT_MS = 5_000;

/**
 * Emits each event on the MICROSERVICE_URL broker, `emit(type, event)` under the namespace, for
 * siblings subscribed with `@EventPattern(type)`. NATS and Redis are publish/subscribe, so
 * every subscribed service gets every event. TCP has no broker to publish on (it is a
 * connection to this service), and RabbitMQ's transport is one queue that this service consumes
 * itself: on those two no event is emitted (webhooks still carry them).
 */
@Injectable()
export class BrokerPublisher implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('BrokerPublisher');
  private target?: TransportTarget;
  private proxy?: ClientProxy;

  constructor(
    private readonly config: ConfigService<AppConfig, true>,
    private readonly sinks: EventSinks,
  ) {}

  onModuleInit(): void {
    const target = parseTransportUrl(this.config.get('MICROSERVICE_URL', { infer: true }));
    if (!target) return;
    if (target.kind !== 'nats' && target.kind !== 'redis') {
      this.logger.log(`events are not emitted on ${target.kind}: only NATS and Redis carry them to subscribers`);
      return;
    }
    this.target = target;
    this.proxy = ClientProxyFactory.create(clientOptions(target));
    this.sinks.add((_manager, events) => this.publish(events));
  }

  /** Emits the events one by one in order; resolves once the broker has them all. */
  async publish(events: CalendarEvent[]): Promise<void> {
    const { proxy, target } = this;
    if (!proxy || !target) return;
    for (const event of events)
      await firstValueFrom(proxy.emit(wirePattern(target, event.type), event).pipe(timeout(EMIT_TIMEOUT_MS)), {
        defaultValue: undefined,
      });
    // NATS buffers a publish in the client: flush, so that the batch is on the server before the
    // relay marks it delivered (a crash right after the commit would otherwise lose it).
    if (target.kind === 'nats') await proxy.unwrap<{ flush(): Promise<void> }>().flush();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.proxy?.close();
  }
}
