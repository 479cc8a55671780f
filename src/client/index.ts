// The typed client a sibling service imports (README "Internal messages").
export { CalendarClient, type CalendarClientOptions, type CalendarPrincipal } from './calendar-client';
export { CalendarClientError, CalendarTransportError } from './calendar-client.errors';
export { CalendarClientModule } from './calendar-client.module';
export {
  calendarEvents,
  type CalendarEvent,
  type CalendarEventsOptions,
  EVENT_TYPES,
  type EventType,
} from './calendar-events';
export type { BookingDto } from '../bookings/dto/booking.dto';
export type { PooledSlotDto, PooledViewDto, PooledViewQuery } from '../calendar/dto/calendar.dto';
