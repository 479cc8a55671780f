import type { EntityManager } from 'typeorm';
import { notFound } from '../common/http/problem';

/**
 * Locks the consultant's row for the rest of the transaction and returns its zone. Every write
 * to a consultant's slots, rules or bookings takes this lock first: writers of one consultant
 * queue here instead of deadlocking further in, and different consultants never wait on each other.
 */
export async function lockConsultant(manager: EntityManager, consultantId: number): Promise<{ timezone: string }> {
  const [row] = await manager.query<{ timezone: string }[]>(
    `SELECT timezone FROM consultants WHERE id = $1 FOR UPDATE`,
    [consultantId],
  );
  if (!row) throw notFound(`Consultant ${consultantId}`);
  return row;
}
