import type { EntityManager } from 'typeorm';
import { notFound } from '../common/http/problem';
import { selectAs, sqlNames } from '../database/sql-names';
import type { BookingPolicy } from '../scheduling';
import { Consultant } from './entities/consultant.entity';
import { POLICY_FIELDS, toPolicy } from './policy.mapper';

/**
 * Locks the consultant's row for the rest of the transaction and returns its zone and booking
 * policy. Every write to a consultant's slots, rules, overrides or bookings takes this lock
 * first: writers of one consultant queue here instead of deadlocking further in, and different
 * consultants never wait on each other.
 *
 * A write that changes what can be booked (slots, rules, overrides) says `schedule: 'change'`:
 * the lock is then an UPDATE that bumps the consultant's `schedule_version`, which a booking
 * read outside the lock compares under it (place_booking, src/bookings/).
 */
export async function lockConsultant(
  manager: EntityManager,
  consultantId: number,
  { schedule }: { schedule: 'read' | 'change' } = { schedule: 'read' },
): Promise<{ timezone: string; policy: BookingPolicy }> {
  const c = sqlNames<Consultant>(manager.connection.getMetadata(Consultant));
  const returning = `${c.timezone} AS timezone, ${selectAs(c, POLICY_FIELDS)}`;
  const [row] = await manager.query<({ timezone: string } & BookingPolicy)[]>(
    schedule === 'change'
      ? // In a WITH, so that the answer is rows, as a SELECT's is (TypeORM answers an UPDATE with [rows, count]).
        `WITH bumped AS (UPDATE ${c.table} SET ${c.scheduleVersion} = ${c.scheduleVersion} + 1 WHERE ${c.id} = $1 RETURNING ${returning}) SELECT * FROM bumped`
      : `SELECT ${returning} FROM ${c.table} WHERE ${c.id} = $1 FOR UPDATE`,
    [consultantId],
  );
  if (!row) throw notFound(`Consultant ${consultantId}`);
  return { timezone: row.timezone, policy: toPolicy(row) };
}
