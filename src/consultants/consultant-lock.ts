import type { EntityManager } from 'typeorm';
import { notFound } from '../common/errors';
import { selectAs, sqlNames } from '../database/sql-names';
import type { BookingPolicy } from '../scheduling';
import { Consultant } from './entities/consultant.entity';
import { POLICY_FIELDS, toPolicy } from './policy.mapper';

/**
 * What a write under the lock changes, and so which of the consultant's versions it bumps:
 * - `schedule`: what can be booked (slots, rules, overrides). `schedule_version`, which a booking
 *   decided outside the lock compares under it (change_booking, src/bookings/engine/), and
 *   `calendar_version`.
 * - `bookings`: bookings or holds. `calendar_version`, which says whether a view computed
 *   earlier still holds (src/calendar/).
 */
export type ConsultantChange = 'schedule' | 'bookings';

/**
 * Locks the consultant's row for the rest of the transaction and returns its zone and booking
 * policy. Every write to a consultant's slots, rules, overrides or bookings takes this lock
 * first, naming what it changes: writers of one consultant queue here instead of deadlocking
 * further in, and different consultants never wait on each other. With a change the lock is the
 * UPDATE that bumps the versions; the change rolls back with them if it fails.
 */
export async function lockConsultant(
  manager: EntityManager,
  consultantId: number,
  change?: ConsultantChange,
): Promise<{ timezone: string; policy: BookingPolicy }> {
  const c = sqlNames<Consultant>(manager.connection.getMetadata(Consultant));
  const returning = `${c.timezone} AS timezone, ${selectAs(c, POLICY_FIELDS)}`;
  const bumps = [`${c.calendarVersion} = ${c.calendarVersion} + 1`];
  if (change === 'schedule') bumps.push(`${c.scheduleVersion} = ${c.scheduleVersion} + 1`);
  const [row] = await manager.query<({ timezone: string } & BookingPolicy)[]>(
    change
      ? // In a WITH, so that the answer is rows, as a SELECT's is (TypeORM answers an UPDATE with [rows, count]).
        `WITH bumped AS (UPDATE ${c.table} SET ${bumps.join(', ')} WHERE ${c.id} = $1 RETURNING ${returning}) SELECT * FROM bumped`
      : `SELECT ${returning} FROM ${c.table} WHERE ${c.id} = $1 FOR UPDATE`,
    [consultantId],
  );
  if (!row) throw notFound(`Consultant ${consultantId}`);
  return { timezone: row.timezone, policy: toPolicy(row) };
}
