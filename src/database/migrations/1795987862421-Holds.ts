import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Holds (issue 13): rows of `bookings` with status `held` and an expiry, so that the exclusion
 * constraint that keeps bookings apart keeps live holds apart from them too. Generated, then
 * completed by hand: TypeORM compares CHECK and EXCLUDE constraints by name only, so the new
 * status values and the constraint's wider WHERE were not in what it generated.
 */
export class Holds1795987862421 implements MigrationInterface {
  name = 'Holds1795987862421';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "bookings" ADD "expires_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "bookings" DROP CONSTRAINT "bookings_status_check"`);
    await q.query(
      `ALTER TABLE "bookings" ADD CONSTRAINT "bookings_status_check" CHECK (status IN ('confirmed', 'cancelled', 'held', 'expired'))`,
    );
    await q.query(
      `ALTER TABLE "bookings" ADD CONSTRAINT "bookings_hold_expiry" CHECK ((status IN ('held', 'expired')) = (expires_at IS NOT NULL))`,
    );
    await q.query(`ALTER TABLE "bookings" DROP CONSTRAINT "bookings_blocked_no_overlap"`);
    await q.query(
      `ALTER TABLE "bookings" ADD CONSTRAINT "bookings_blocked_no_overlap" EXCLUDE USING gist (consultant_id WITH =, tstzrange(blocked_start_at, blocked_end_at, '[)') WITH &&) WHERE (status IN ('confirmed', 'held'))`,
    );
    await q.query(
      `CREATE INDEX "bookings_held_idx" ON "bookings" ("consultant_id", "expires_at") WHERE status = 'held'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM "bookings" WHERE status IN ('held', 'expired')`);
    await q.query(`DROP INDEX "bookings_held_idx"`);
    await q.query(`ALTER TABLE "bookings" DROP CONSTRAINT "bookings_blocked_no_overlap"`);
    await q.query(
      `ALTER TABLE "bookings" ADD CONSTRAINT "bookings_blocked_no_overlap" EXCLUDE USING gist (consultant_id WITH =, tstzrange(blocked_start_at, blocked_end_at, '[)') WITH &&) WHERE (status = 'confirmed')`,
    );
    await q.query(`ALTER TABLE "bookings" DROP CONSTRAINT "bookings_hold_expiry"`);
    await q.query(`ALTER TABLE "bookings" DROP CONSTRAINT "bookings_status_check"`);
    await q.query(
      `ALTER TABLE "bookings" ADD CONSTRAINT "bookings_status_check" CHECK (status IN ('confirmed', 'cancelled'))`,
    );
    await q.query(`ALTER TABLE "bookings" DROP COLUMN "expires_at"`);
  }
}
