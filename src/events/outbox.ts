import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { sqlNames } from '../database/sql-names';
import { OutboxEvent } from './entities/outbox-event.entity';
import { OutboxSequence } from './entities/outbox-sequence.entity';
import type { EventType } from './event-types';

/** What a change reports: its type, whose it is, and what a subscriber is told. */
export interface NewEvent {
  type: EventType;
  consultantId: number;
  data: object;
}

const statements = new WeakMap<object, string>();

/**
 * The event's insert, with its sequence taken from the consultant's counter in the same
 * statement: one round trip per event. The counter's row lock orders one consultant's events
 * as their transactions commit; a rolled-back change takes its number back with it.
 */
function insertSql(manager: EntityManager): string {
  const connection = manager.connection;
  let sql = statements.get(connection);
  if (sql) return sql;
  const e = sqlNames<OutboxEvent>(connection.getMetadata(OutboxEvent));
  const s = sqlNames<OutboxSequence>(connection.getMetadata(OutboxSequence));
  sql = `WITH next AS (INSERT INTO ${s.table} AS s (${s.consultantId}, ${s.lastSequence}) VALUES ($2, 1)
                        ON CONFLICT (${s.consultantId}) DO UPDATE SET ${s.lastSequence} = s.${s.lastSequence} + 1
                        RETURNING ${s.lastSequence} AS sequence)
         INSERT INTO ${e.table} (${e.id}, ${e.consultantId}, ${e.type}, ${e.sequence}, ${e.data})
         SELECT $1, $2, $3, next.sequence, $4::jsonb FROM next`;
  statements.set(connection, sql);
  return sql;
}

/**
 * Records an event in the caller's transaction, the one that makes the change: it is delivered
 * if and only if the change commits. Call it after the change's writes, under the consultant's
 * row lock (lockConsultant) like every write of a consultant's data.
 */
export async function recordEvent(manager: EntityManager, event: NewEvent): Promise<void> {
  if (!manager.queryRunner?.isTransactionActive)
    throw new Error(`recordEvent(${event.type}) outside a transaction: the event must commit with its change`);
  await manager.query(insertSql(manager), [randomUUID(), event.consultantId, event.type, JSON.stringify(event.data)]);
}
