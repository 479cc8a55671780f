import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Bookings1763700200000 implements MigrationInterface {
  name = 'Bookings1763700200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE bookings (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        consultant_id integer NOT NULL REFERENCES consultants (id) ON DELETE CASCADE,
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        availability_id integer REFERENCES availabilities (id) ON DELETE SET NULL,
        recurring_id integer REFERENCES recurring_rules (id) ON DELETE SET NULL,
        start_at timestamptz NOT NULL,
        end_at timestamptz NOT NULL,
        during tstzrange GENERATED ALWAYS AS (tstzrange(start_at, end_at, '[)')) STORED,
        status text NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed', 'cancelled')),
        sequence integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT bookings_positive CHECK (end_at > start_at),
        -- The guarantee: two confirmed bookings of one consultant never overlap, whatever runs.
        CONSTRAINT bookings_no_overlap EXCLUDE USING gist (consultant_id WITH =, during WITH &&) WHERE (status = 'confirmed')
      )`);
    await q.query(`CREATE INDEX bookings_consultant_start_idx ON bookings (consultant_id, start_at, id)`);
    await q.query(`CREATE INDEX bookings_user_start_idx ON bookings (user_id, start_at, id)`);
    await q.query(
      `CREATE INDEX bookings_availability_idx ON bookings (availability_id) WHERE availability_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX bookings_recurring_idx ON bookings (recurring_id) WHERE recurring_id IS NOT NULL`);
    // A replayable answer per caller and Idempotency-Key; rows older than 24 hours are void.
    await q.query(`
      CREATE TABLE idempotency_keys (
        principal text NOT NULL,
        key text NOT NULL,
        fingerprint char(64) NOT NULL,
        status_code smallint NOT NULL,
        response jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (principal, key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE bookings`);
  }
}
