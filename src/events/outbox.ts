import type { EntityManager } from 'typeorm';
import type { EventType } from '@consultant-calendar/client';

/** What a change reports: its type, whose it is, and what a subscriber is told. */
export interface NewEvent {
  type: EventType;
  consultantId: number;
  data: object;
}

/**
 * Records an event in the caller's transaction, the one that makes the change: it is delivered
 * if and only if the change commits. Call it after the change's writes, under the consultant's
 * row lock (lockConsultant) like every write of a consultant's data.
 *
 * One round trip: outbox_record (migration LeanBooking) takes the sequence from the consultant's
 * row (`last_event_sequence`) and inserts the event. That row's lock orders one consultant's
 * events as their transactions commit; a rolled-back change takes its number back with it.
 * The booking engine's writer (change_booking) takes its events' numbers the same way.
 */
export async function recordEvent(manager: EntityManager, event: NewEvent): Promise<void> {
  if (!manager.queryRunner?.isTransactionActive)
    throw new Error(`recordEvent(${event.type}) outside a transaction: the event must commit with its change`);
  await manager.query(`SELECT outbox_record($1, $2, $3::jsonb)`, [
    event.consultantId,
    event.type,
    JSON.stringify(event.data),
  ]);
}
