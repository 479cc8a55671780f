import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox (src/events/): events, each consultant's sequence counter, and a
 * statement trigger that NOTIFYs the relays listening on `outbox_events` when a transaction
 * that wrote events commits (PostgreSQL delivers a notification only on commit).
 */
export class Outbox1795985368673 implements MigrationInterface {
  name = 'Outbox1795985368673';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "outbox_events" ("id" uuid NOT NULL, "type" character varying(64) NOT NULL, "consultant_id" integer NOT NULL, "sequence" integer NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "data" jsonb NOT NULL, "delivered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "outbox_events_consultant_sequence_key" UNIQUE ("consultant_id", "sequence"), CONSTRAINT "PK_6689a16c00d09b8089f6237f1d2" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "outbox_events_delivered_idx" ON "outbox_events"  ("delivered_at") WHERE delivered_at IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "outbox_events_undelivered_idx" ON "outbox_events"  ("consultant_id", "sequence") WHERE delivered_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "outbox_sequences" ("consultant_id" integer NOT NULL, "last_sequence" integer NOT NULL, CONSTRAINT "PK_0cb4e781b15dd08af4cf6c41f31" PRIMARY KEY ("consultant_id"))`,
    );
    await queryRunner.query(
      `CREATE FUNCTION outbox_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('outbox_events', ''); RETURN NULL; END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER outbox_events_notify AFTER INSERT ON "outbox_events" FOR EACH STATEMENT EXECUTE FUNCTION outbox_events_notify()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER outbox_events_notify ON "outbox_events"`);
    await queryRunner.query(`DROP FUNCTION outbox_events_notify()`);
    await queryRunner.query(`DROP TABLE "outbox_sequences"`);
    await queryRunner.query(`DROP INDEX "public"."outbox_events_undelivered_idx"`);
    await queryRunner.query(`DROP INDEX "public"."outbox_events_delivered_idx"`);
    await queryRunner.query(`DROP TABLE "outbox_events"`);
  }
}
