import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pooled booking (issue 27): each consultant's weight in a pool's fair assignment, and the pool's
 * key, the trimmed lower-case specialization, indexed with the id so that a pool is read in id
 * order from one index range.
 */
export class PooledBooking1796400000000 implements MigrationInterface {
  name = 'PooledBooking1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "consultants" ADD "pool_weight" integer NOT NULL DEFAULT '100'`);
    await q.query(
      `ALTER TABLE "consultants" ADD CONSTRAINT "consultants_pool_weight_check" CHECK (pool_weight BETWEEN 0 AND 1000)`,
    );
    await q.query(`DROP INDEX "consultants_specialization_idx"`);
    await q.query(`CREATE INDEX "consultants_specialization_idx" ON "consultants" (lower(btrim(specialization)), id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "consultants_specialization_idx"`);
    await q.query(`CREATE INDEX "consultants_specialization_idx" ON "consultants" (specialization, id)`);
    await q.query(`ALTER TABLE "consultants" DROP CONSTRAINT "consultants_pool_weight_check"`);
    await q.query(`ALTER TABLE "consultants" DROP COLUMN "pool_weight"`);
  }
}
