import type { EntityManager } from 'typeorm';
import { notFound } from '../common/http/problem';
import { selectAs, sqlNames } from '../database/sql-names';
import type { BookingPolicy } from '../scheduling';
import { Consultant } from './entities/consultant.entity';
import { POLICY_FIELDS, toPolicy } from './policy.mapper';

/**
 * Locks the consultant's row for the rest of the transaction and returns its zone and booking
 * policy. Every write to a consultant's slots, rules or bookings takes this lock first: writers
 * of one consultant queue here instead of deadlocking further in, and different consultants never
 * wait on each other. A plain statement: it is one of the five of POST /bookings
 * (bench/RESULTS.md), which reads the policy here rather than in a statement of its own.
 */
export async function lockConsultant(
  manager: EntityManager,
  consultantId: number,
): Promise<{ timezone: string; policy: BookingPolicy }> {
  const c = sqlNames<Consultant>(manager.connection.getMetadata(Consultant));
  const [row] = await manager.query<({ timezone: string } & BookingPolicy)[]>(
    `SELECT ${c.timezone} AS timezone, ${selectAs(c, POLICY_FIELDS)} FROM ${c.table} WHERE ${c.id} = $1 FOR UPDATE`,
    [consultantId],
  );
  if (!row) throw notFound(`Consultant ${consultantId}`);
  return { timezone: row.timezone, policy: toPolicy(row) };
}
