import type { EntityManager } from 'typeorm';
import { notFound } from '../common/http/problem';
import { sqlNames } from '../database/sql-names';
import { Consultant } from './entities/consultant.entity';

/**
 * Locks the consultant's row for the rest of the transaction and returns its zone. Every write
 * to a consultant's slots, rules or bookings takes this lock first: writers of one consultant
 * queue here instead of deadlocking further in, and different consultants never wait on each other.
 * A plain statement: it is one of the five of POST /bookings (bench/RESULTS.md).
 */
export async function lockConsultant(manager: EntityManager, consultantId: number): Promise<{ timezone: string }> {
  const c = sqlNames<Consultant>(manager.connection.getMetadata(Consultant));
  const [row] = await manager.query<{ timezone: string }[]>(
    `SELECT ${c.timezone} AS timezone FROM ${c.table} WHERE ${c.id} = $1 FOR UPDATE`,
    [consultantId],
  );
  if (!row) throw notFound(`Consultant ${consultantId}`);
  return row;
}
