import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Date overrides (issue 13): one per consultant and local date, its windows as a JSON array. Generated, then reviewed. */
export class DateOverrides1795987133668 implements MigrationInterface {
  name = 'DateOverrides1795987133668';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "date_overrides" ("id" integer GENERATED ALWAYS AS IDENTITY NOT NULL, "consultant_id" integer NOT NULL, "date" date NOT NULL, "windows" jsonb NOT NULL DEFAULT '[]', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "date_overrides_consultant_date_key" UNIQUE ("consultant_id", "date"), CONSTRAINT "date_overrides_windows_array" CHECK (jsonb_typeof(windows) = 'array'), CONSTRAINT "date_overrides_pkey" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `ALTER TABLE "date_overrides" ADD CONSTRAINT "date_overrides_consultant_id_fkey" FOREIGN KEY ("consultant_id") REFERENCES "consultants"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "date_overrides"`);
  }
}
