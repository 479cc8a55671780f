import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The service never accepts a booking over 24 hours; saying so in the schema lets the calendar
 * views find a range's bookings on the (consultant_id, start_at) B-tree, exactly.
 */
export class BookingLength1763700300000 implements MigrationInterface {
  name = 'BookingLength1763700300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE bookings ADD CONSTRAINT bookings_at_most_a_day CHECK (end_at - start_at <= interval '24 hours')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE bookings DROP CONSTRAINT bookings_at_most_a_day`);
  }
}
