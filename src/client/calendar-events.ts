import type { CustomStrategy } from '@nestjs/microservices';
import { serverStrategy } from '../messaging/transport-options';
import { parseTransportUrl } from '../messaging/transport-url';

export type { CalendarEvent, EventType } from '../events/event-types';
export { EVENT_TYPES } from '../events/event-types';

export interface CalendarEventsOptions {
  /** The calendar's MICROSERVICE_URL, namespace included: `nats://…` or `redis://…`. */
  url: string;
  /**
   * NATS only: the instances of one subscribing service share a queue group, so each event
   * reaches one of them; a service of its own takes a queue of its own. Left out, every
   * instance gets every event.
   */
  queue?: string;
}

/**
 * The listening end a sibling service attaches (`app.connectMicroservice(calendarEvents({ url }))`)
 * to receive the calendar's events in its `@EventPattern('booking.created')` handlers. Events are
 * emitted on NATS and Redis; each is a CalendarEvent, delivered at least once: drop a repeated `id`.
 */
export function calendarEvents(options: CalendarEventsOptions): CustomStrategy {
  const target = parseTransportUrl(options.url);
  if (target?.kind !== 'nats' && target?.kind !== 'redis')
    throw new Error('The calendar emits its events on NATS and Redis only: give its nats:// or redis:// URL');
  return serverStrategy(target, options.queue ?? null);
}
