import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { OneStatementBooking1796000000000 } from './1796000000000-OneStatementBooking';

/** A text of the booking engine's writer (change_booking), as the migration that loads it names it. */
export const writer = (file: string) => readFileSync(join(__dirname, '..', '..', 'bookings', 'engine', file), 'utf8');

/**
 * A booking that costs PostgreSQL less (issue 25, bench/RESULTS.md has the per-statement table
 * before and after). The consultant's row, which every booking updates anyway, carries what
 * other rows carried:
 * - `last_event_sequence`, each consultant's last event sequence, replaces the outbox_sequences
 *   table: an event takes its number in the UPDATE of the consultant's row, whose lock orders the
 *   consultant's events as their commits, with no row of its own to upsert;
 * - `holds_until`, at or after the expiry of every hold of the consultant still `held` (null:
 *   none is), so a booking at a consultant without holds runs no hold expiry.
 * change_booking is loaded again (booking-writer.1796300000000.sql), and the tables whose rows a booking
 * updates (consultants, users, availabilities, none of them on an indexed column) leave room on
 * each page, so that those updates stay on the page (HOT) and write no index entries.
 */
export class LeanBooking1796300000000 implements MigrationInterface {
  name = 'LeanBooking1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "consultants" ADD "last_event_sequence" integer NOT NULL DEFAULT '0'`);
    await q.query(`ALTER TABLE "consultants" ADD "holds_until" TIMESTAMP WITH TIME ZONE`);
    await q.query(
      `UPDATE consultants c SET last_event_sequence = s.last_sequence FROM outbox_sequences s WHERE s.consultant_id = c.id`,
    );
    await q.query(
      `UPDATE consultants c SET holds_until = h.until FROM (SELECT consultant_id, max(expires_at) AS until FROM bookings WHERE status = 'held' GROUP BY consultant_id) h WHERE h.consultant_id = c.id`,
    );
    // PL/pgSQL, so that its insert's plan is kept between calls (a SQL function is planned at each call).
    await q.query(`
      CREATE OR REPLACE FUNCTION outbox_record(p_consultant integer, p_type text, p_data jsonb) RETURNS void
      LANGUAGE plpgsql AS $$
      DECLARE
        next integer;
      BEGIN
        UPDATE consultants c SET last_event_sequence = c.last_event_sequence + 1 WHERE c.id = p_consultant
        RETURNING c.last_event_sequence INTO next;
        IF NOT FOUND THEN RAISE foreign_key_violation USING MESSAGE = format('no consultant %s for its event', p_consultant); END IF;
        INSERT INTO outbox_events (id, consultant_id, type, sequence, data)
        VALUES (gen_random_uuid(), p_consultant, p_type, next, p_data);
      END $$`);
    await q.query(`DROP TABLE "outbox_sequences"`);
    await q.query(writer('booking-writer.1796300000000.sql'));
    for (const [table, fillfactor] of [
      ['consultants', 50],
      ['users', 80],
      ['availabilities', 80],
    ] as const)
      await q.query(`ALTER TABLE "${table}" SET (fillfactor = ${fillfactor})`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['consultants', 'users', 'availabilities'])
      await q.query(`ALTER TABLE "${table}" RESET (fillfactor)`);
    await q.query(
      `CREATE TABLE "outbox_sequences" ("consultant_id" integer NOT NULL, "last_sequence" integer NOT NULL, CONSTRAINT "PK_0cb4e781b15dd08af4cf6c41f31" PRIMARY KEY ("consultant_id"))`,
    );
    await q.query(
      `INSERT INTO outbox_sequences (consultant_id, last_sequence) SELECT id, last_event_sequence FROM consultants WHERE last_event_sequence > 0`,
    );
    // outbox_record as migration OneStatementBooking made it (only that one of its statements runs).
    await q.query(`DROP FUNCTION outbox_record`);
    const outboxRecordOnly = {
      query: (sql: string) => (sql.includes('CREATE FUNCTION outbox_record') ? q.query(sql) : Promise.resolve()),
    } as QueryRunner;
    await new OneStatementBooking1796000000000().up(outboxRecordOnly);
    await q.query(writer('booking-writer.1796100000000.sql'));
    await q.query(`ALTER TABLE "consultants" DROP COLUMN "holds_until"`);
    await q.query(`ALTER TABLE "consultants" DROP COLUMN "last_event_sequence"`);
  }
}
