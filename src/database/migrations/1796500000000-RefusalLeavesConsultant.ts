import type { MigrationInterface, QueryRunner } from 'typeorm';
import { writer } from './1796300000000-LeanBooking';

/**
 * A change the writer refuses changes nothing: change_booking took back the event's sequence and
 * the user's count but kept its bump of the consultant's calendar_version (so every refusal made
 * the consultant's views and their ETags new) and a refused hold's mark on holds_until. It now
 * takes the version back too, and marks holds_until only for a hold it made.
 */
export class RefusalLeavesConsultant1796500000000 implements MigrationInterface {
  name = 'RefusalLeavesConsultant1796500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(writer('booking-writer.sql'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(writer('booking-writer.1796300000000.sql'));
  }
}
