import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 22's bounds on what one client can take: the policy's longest booking and a client's
 * share of a consultant's upcoming time, both defaulting to a limit (existing consultants get
 * them too, which is the point), and the client address each booking was asked from, by which
 * the share is counted across accounts.
 */
export class ClientShare1796050000000 implements MigrationInterface {
  name = 'ClientShare1796050000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "consultants" ADD "max_booking_minutes" integer DEFAULT '120'`);
    await q.query(`ALTER TABLE "consultants" ADD "max_client_share_minutes" integer DEFAULT '240'`);
    await q.query(`ALTER TABLE "consultants" DROP CONSTRAINT "consultants_policy_check"`);
    await q.query(
      `ALTER TABLE "consultants" ADD CONSTRAINT "consultants_policy_check" CHECK (minimum_notice_minutes BETWEEN 0 AND 525600 AND (booking_horizon_days IS NULL OR booking_horizon_days BETWEEN 1 AND 3650) AND buffer_before_minutes BETWEEN 0 AND 1440 AND buffer_after_minutes BETWEEN 0 AND 1440 AND (slot_minutes IS NULL OR slot_minutes BETWEEN 5 AND 1440) AND (max_bookings_per_day IS NULL OR max_bookings_per_day BETWEEN 1 AND 1000) AND (max_booking_minutes IS NULL OR max_booking_minutes BETWEEN 5 AND 1440) AND (max_client_share_minutes IS NULL OR max_client_share_minutes BETWEEN 5 AND 525600))`,
    );
    await q.query(`ALTER TABLE "bookings" ADD "client_address" inet`);
    await q.query(
      `CREATE INDEX "bookings_consultant_client_idx" ON "bookings" ("consultant_id", "client_address", "start_at") WHERE client_address IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."bookings_consultant_client_idx"`);
    await q.query(`ALTER TABLE "bookings" DROP COLUMN "client_address"`);
    await q.query(`ALTER TABLE "consultants" DROP CONSTRAINT "consultants_policy_check"`);
    await q.query(
      `ALTER TABLE "consultants" ADD CONSTRAINT "consultants_policy_check" CHECK (minimum_notice_minutes BETWEEN 0 AND 525600 AND (booking_horizon_days IS NULL OR booking_horizon_days BETWEEN 1 AND 3650) AND buffer_before_minutes BETWEEN 0 AND 1440 AND buffer_after_minutes BETWEEN 0 AND 1440 AND (slot_minutes IS NULL OR slot_minutes BETWEEN 5 AND 1440) AND (max_bookings_per_day IS NULL OR max_bookings_per_day BETWEEN 1 AND 1000))`,
    );
    await q.query(`ALTER TABLE "consultants" DROP COLUMN "max_client_share_minutes"`);
    await q.query(`ALTER TABLE "consultants" DROP COLUMN "max_booking_minutes"`);
  }
}
