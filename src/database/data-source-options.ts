import type { DataSourceOptions } from 'typeorm';
import { Availability } from '../availability/entities/availability.entity';
import { Booking } from '../bookings/entities/booking.entity';
import { IdempotencyKey } from '../bookings/entities/idempotency-key.entity';
import { Consultant } from '../consultants/entities/consultant.entity';
import { OutboxEvent } from '../events/entities/outbox-event.entity';
import { DateOverride } from '../recurring/entities/date-override.entity';
import { RecurringRule } from '../recurring/entities/recurring-rule.entity';
import { User } from '../users/entities/user.entity';
import { WebhookDelivery } from '../webhooks/entities/webhook-delivery.entity';
import { WebhookSubscription } from '../webhooks/entities/webhook-subscription.entity';
import { MIGRATIONS } from './migrations';

/** Every table's entity. Listed, not globbed, for the same reason as MIGRATIONS. */
export const ENTITIES = [
  Consultant,
  User,
  Availability,
  RecurringRule,
  DateOverride,
  Booking,
  IdempotencyKey,
  OutboxEvent,
  WebhookSubscription,
  WebhookDelivery,
];

/** One definition of the connection for the app, the tests and the TypeORM CLI. */
export function dataSourceOptions(url: string, poolSize: number): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
    synchronize: false,
    // A request should fail fast with a 503 rather than queue forever on a dead database.
    extra: { max: poolSize, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30000 },
  };
}
