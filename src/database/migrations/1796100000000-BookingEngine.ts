import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { OneStatementBooking1796000000000 } from './1796000000000-OneStatementBooking';

/**
 * The booking engine's one writer (issue 24): `change_booking`, every change of a booking or hold
 * in one function whose source is src/bookings/engine/booking-writer.sql, beside the engine that
 * calls it. It replaces `place_booking` and the booking service's own statements for converting,
 * rescheduling, cancelling and releasing. The text it loads is the file as this migration left it
 * (booking-writer.1796100000000.sql); a later migration loads a later text.
 */
export class BookingEngine1796100000000 implements MigrationInterface {
  name = 'BookingEngine1796100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      readFileSync(join(__dirname, '..', '..', 'bookings', 'engine', 'booking-writer.1796100000000.sql'), 'utf8'),
    );
    await q.query(`DROP FUNCTION place_booking`);
  }

  /** Back to place_booking, created by the migration before's own statement (only that one of its statements runs). */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION change_booking`);
    const placeBookingOnly = {
      query: (sql: string) => (sql.includes('CREATE FUNCTION place_booking') ? q.query(sql) : Promise.resolve()),
    } as QueryRunner;
    await new OneStatementBooking1796000000000().up(placeBookingOnly);
  }
}
