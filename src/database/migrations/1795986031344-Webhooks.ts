import { MigrationInterface, QueryRunner } from 'typeorm';

/** Webhook subscriptions and their deliveries (src/webhooks/), as the entities declare them. */
export class Webhooks1795986031344 implements MigrationInterface {
  name = 'Webhooks1795986031344';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "webhook_subscriptions" ("id" integer GENERATED ALWAYS AS IDENTITY NOT NULL, "consultant_id" integer NOT NULL, "url" text NOT NULL, "event_types" text array NOT NULL, "secret" text NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "failing_since" TIMESTAMP WITH TIME ZONE, "disabled_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_bf631ae77d39849d599817fb6f4" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "webhook_subscriptions_consultant_idx" ON "webhook_subscriptions"  ("consultant_id", "id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "webhook_deliveries" ("id" integer GENERATED ALWAYS AS IDENTITY NOT NULL, "subscription_id" integer NOT NULL, "event_id" uuid NOT NULL, "consultant_id" integer NOT NULL, "sequence" integer NOT NULL, "event" jsonb NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'pending', "attempts" jsonb NOT NULL DEFAULT '[]', "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "retry_until" TIMESTAMP WITH TIME ZONE NOT NULL, "lease_until" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "webhook_deliveries_subscription_event_key" UNIQUE ("subscription_id", "event_id"), CONSTRAINT "PK_535dd409947fb6d8fc6dfc0112a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "webhook_deliveries_list_idx" ON "webhook_deliveries"  ("subscription_id", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "webhook_deliveries_pending_idx" ON "webhook_deliveries"  ("subscription_id", "consultant_id", "sequence") WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `ALTER TABLE "webhook_subscriptions" ADD CONSTRAINT "webhook_subscriptions_consultant_id_fkey" FOREIGN KEY ("consultant_id") REFERENCES "consultants"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "webhook_subscriptions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "webhook_deliveries_subscription_id_fkey"`,
    );
    await queryRunner.query(
      `ALTER TABLE "webhook_subscriptions" DROP CONSTRAINT "webhook_subscriptions_consultant_id_fkey"`,
    );
    await queryRunner.query(`DROP INDEX "public"."webhook_deliveries_pending_idx"`);
    await queryRunner.query(`DROP INDEX "public"."webhook_deliveries_list_idx"`);
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP INDEX "public"."webhook_subscriptions_consultant_idx"`);
    await queryRunner.query(`DROP TABLE "webhook_subscriptions"`);
  }
}
