import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Availability1763700100000 implements MigrationInterface {
  name = 'Availability1763700100000';

  async up(q: QueryRunner): Promise<void> {
    // Instants are the truth for one-time slots; local date and times are derived from the
    // consultant's zone when read, so they stay right if the zone is corrected later.
    await q.query(`
      CREATE TABLE availabilities (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        consultant_id integer NOT NULL REFERENCES consultants (id) ON DELETE CASCADE,
        start_at timestamptz NOT NULL,
        end_at timestamptz NOT NULL,
        during tstzrange GENERATED ALWAYS AS (tstzrange(start_at, end_at, '[)')) STORED,
        is_booked boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT availabilities_positive CHECK (end_at > start_at),
        CONSTRAINT availabilities_no_overlap EXCLUDE USING gist (consultant_id WITH =, during WITH &&)
      )`);
    await q.query(`CREATE INDEX availabilities_consultant_start_idx ON availabilities (consultant_id, start_at, id)`);
    // Rules are local wall-clock windows; end_time < start_time crosses midnight.
    await q.query(`
      CREATE TABLE recurring_rules (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        consultant_id integer NOT NULL REFERENCES consultants (id) ON DELETE CASCADE,
        day_of_week smallint NOT NULL CHECK (day_of_week BETWEEN 0 AND 6),
        start_time time NOT NULL,
        end_time time NOT NULL,
        is_active boolean NOT NULL DEFAULT true,
        valid_from date,
        valid_until date,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT recurring_rules_nonempty CHECK (start_time <> end_time),
        CONSTRAINT recurring_rules_validity CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_from <= valid_until)
      )`);
    await q.query(
      `CREATE INDEX recurring_rules_consultant_idx ON recurring_rules (consultant_id, day_of_week, start_time, id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE recurring_rules`);
    await q.query(`DROP TABLE availabilities`);
  }
}
