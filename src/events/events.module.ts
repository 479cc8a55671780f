import { Global, Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { BrokerPublisher } from './broker-publisher';
import { EventSinks } from './event-sinks';
import { OutboxRelay } from './outbox-relay';

/**
 * The outbox's delivery side: the relay and the broker. Writers need nothing from here but
 * `recordEvent` (events/outbox.ts), a function called in their own transaction.
 */
@Global()
@Module({
  imports: [DatabaseModule],
  providers: [EventSinks, OutboxRelay, BrokerPublisher],
  exports: [EventSinks, OutboxRelay],
})
export class EventsModule {}
