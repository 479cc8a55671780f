/** Every event the service publishes (docs/MESSAGES.md, "Events"). */
export const EVENT_TYPES = [
  'booking.created',
  'booking.rescheduled',
  'booking.cancelled',
  'availability.changed',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** An event as every subscriber receives it: a broker's message and a webhook's body. */
export interface CalendarEvent<T = unknown> {
  /** UUID; a redelivery carries the same one. */
  id: string;
  type: EventType;
  /** ISO 8601, UTC: when the transaction that made the change began. */
  occurred_at: string;
  consultant_id: number;
  /** 1, 2, 3… per consultant, in the order the changes committed. */
  sequence: number;
  data: T;
}
