// The typed clients a sibling service installs (README, "A client package"): internal
// messages, events and HTTP, on one set of types.
export { CalendarClient, type CalendarClientOptions, type CalendarPrincipal } from './calendar-client';
export { CalendarClientError, CalendarTransportError } from './calendar-client.errors';
export { CalendarClientModule } from './calendar-client.module';
export { calendarEvents, type CalendarEventsOptions } from './calendar-events';
export { type CalendarEvent, EVENT_TYPES, type EventType } from './event-types';
export { type CalendarHttpClient, calendarHttpClient, type CalendarHttpOptions } from './http-client';
export type { components, operations, paths } from './openapi';
export type { FieldError, Problem } from './problem';
export type * from './schemas';
