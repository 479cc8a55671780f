import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A booking in one round trip, and views that know when they still hold (issue 17). The
 * consultant's `schedule_version` and `calendar_version` (their entity says what bumps them), and
 * two functions:
 *
 * - `outbox_record`: the outbox insert with its per-consultant sequence, one statement, shared by
 *   recordEvent (src/events/outbox.ts) and place_booking.
 * - `place_booking`: the writing half of POST /bookings and POST /holds. The service decides in
 *   Node, from a copy of the consultant's schedule read earlier, whether the time is bookable
 *   (zones, weekly windows, the policy); this function then does, under the consultant's row lock,
 *   what must see the latest committed data: it answers 'stale' if the schedule changed since the
 *   copy was read, marks expired holds, checks the slot, the daily limit and the user's cap, and
 *   writes the booking, the slot's flag, the user's count and the event, without the NOTIFY
 *   trigger: its caller wakes the relays after the commit (OutboxRelay.announce). The user's row lock
 *   queues one user's bookings; its `confirmed_bookings` spares counting the upcoming ones of a
 *   user far under the cap, which keeps that queue short. Each statement of a PL/pgSQL function takes
 *   a new snapshot after the locks above it, so the counts are exact; an overlap is the exclusion
 *   constraint's to refuse. Autocommit makes it one round trip; with an Idempotency-Key it runs
 *   inside that key's transaction.
 */
export class OneStatementBooking1796000000000 implements MigrationInterface {
  name = 'OneStatementBooking1796000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "consultants" ADD "schedule_version" integer NOT NULL DEFAULT '0'`);
    await q.query(`ALTER TABLE "consultants" ADD "calendar_version" integer NOT NULL DEFAULT '0'`);
    await q.query(`ALTER TABLE "users" ADD "confirmed_bookings" integer NOT NULL DEFAULT '0'`);
    await q.query(
      `UPDATE users u SET confirmed_bookings = c.n FROM (SELECT user_id, count(*) AS n FROM bookings WHERE status = 'confirmed' GROUP BY user_id) c WHERE c.user_id = u.id`,
    );
    await q.query(`
      CREATE FUNCTION outbox_record(p_consultant integer, p_type text, p_data jsonb) RETURNS void LANGUAGE sql AS $$
        WITH next AS (INSERT INTO outbox_sequences AS s (consultant_id, last_sequence) VALUES (p_consultant, 1)
                      ON CONFLICT (consultant_id) DO UPDATE SET last_sequence = s.last_sequence + 1
                      RETURNING last_sequence)
        INSERT INTO outbox_events (id, consultant_id, type, sequence, data)
        SELECT gen_random_uuid(), p_consultant, p_type, next.last_sequence, p_data FROM next
      $$`);
    await q.query(`
      CREATE OR REPLACE FUNCTION outbox_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF current_setting('outbox.caller_announces', true) IS DISTINCT FROM 'on' THEN
          PERFORM pg_notify('outbox_events', '');
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION place_booking(
        p_consultant integer, p_schedule_version integer, p_user integer, p_slot integer, p_recurring integer,
        p_start timestamptz, p_end timestamptz, p_blocked_start timestamptz, p_blocked_end timestamptz,
        p_cap integer, p_daily_limit integer, p_day_start timestamptz, p_day_end timestamptz,
        p_hold_minutes integer, p_event jsonb,
        OUT outcome text, OUT booking_id integer, OUT created_at text, OUT expires_at text)
      LANGUAGE plpgsql AS $$
      DECLARE
        version integer;
        made integer;
        booked boolean;
        created timestamptz;
        expires timestamptz;
      BEGIN
        SELECT c.schedule_version INTO version FROM consultants c WHERE c.id = p_consultant FOR UPDATE;
        IF NOT FOUND THEN outcome := 'no-consultant'; RETURN; END IF;
        IF version <> p_schedule_version THEN outcome := 'stale'; RETURN; END IF;
        UPDATE bookings b SET status = 'expired'
         WHERE b.consultant_id = p_consultant AND b.status = 'held' AND b.expires_at <= clock_timestamp();
        IF p_slot IS NOT NULL THEN
          SELECT a.is_booked INTO booked FROM availabilities a WHERE a.id = p_slot FOR UPDATE;
          IF booked THEN outcome := 'slot-taken'; RETURN; END IF;
        END IF;
        IF p_daily_limit IS NOT NULL THEN
          PERFORM 1 FROM bookings b
           WHERE b.consultant_id = p_consultant AND b.status IN ('confirmed', 'held')
             AND b.start_at >= p_day_start AND b.start_at < p_day_end
          OFFSET p_daily_limit - 1 LIMIT 1;
          IF FOUND THEN outcome := 'daily-limit'; RETURN; END IF;
        END IF;
        -- The user's bookings at every consultant queue here, after the consultant's lock as in
        -- every other booking write, so that the cap below counts each one committed before. As
        -- late as it can be: the queue moves at the pace of what follows, commit included.
        SELECT u.confirmed_bookings INTO made FROM users u WHERE u.id = p_user FOR UPDATE;
        IF p_hold_minutes IS NULL THEN
          -- Under the cap in all, so under it in upcoming ones: only a user near it is counted.
          PERFORM 1 FROM bookings b WHERE made >= p_cap
             AND b.user_id = p_user AND b.status = 'confirmed' AND b.end_at > now() OFFSET p_cap - 1 LIMIT 1;
        ELSE
          PERFORM 1 FROM bookings b WHERE b.user_id = p_user AND b.status = 'held' AND b.expires_at > clock_timestamp() OFFSET p_cap - 1 LIMIT 1;
        END IF;
        IF FOUND THEN outcome := 'cap'; RETURN; END IF;
        INSERT INTO bookings AS b (consultant_id, user_id, availability_id, recurring_id, start_at, end_at,
                                   blocked_start_at, blocked_end_at, status, expires_at)
        VALUES (p_consultant, p_user, p_slot, p_recurring, p_start, p_end, p_blocked_start, p_blocked_end,
                CASE WHEN p_hold_minutes IS NULL THEN 'confirmed' ELSE 'held' END,
                clock_timestamp() + make_interval(mins => p_hold_minutes))
        RETURNING b.id, b.created_at, b.expires_at INTO booking_id, created, expires;
        created_at := to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
        expires_at := to_char(expires AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
        UPDATE consultants SET calendar_version = calendar_version + 1 WHERE id = p_consultant;
        IF p_hold_minutes IS NULL THEN
          IF p_slot IS NOT NULL THEN UPDATE availabilities SET is_booked = true WHERE id = p_slot; END IF;
          UPDATE users SET confirmed_bookings = confirmed_bookings + 1 WHERE id = p_user;
          -- The caller wakes the relays after the commit (OutboxRelay.announce), not the trigger.
          PERFORM set_config('outbox.caller_announces', 'on', true);
          PERFORM outbox_record(p_consultant, 'booking.created',
                                p_event || jsonb_build_object('id', booking_id, 'created_at', created_at));
          PERFORM set_config('outbox.caller_announces', 'off', true);
        END IF;
        outcome := 'placed';
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION place_booking`);
    await q.query(`DROP FUNCTION outbox_record`);
    await q.query(
      `CREATE OR REPLACE FUNCTION outbox_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('outbox_events', ''); RETURN NULL; END $$`,
    );
    await q.query(`ALTER TABLE "users" DROP COLUMN "confirmed_bookings"`);
    await q.query(`ALTER TABLE "consultants" DROP COLUMN "calendar_version"`);
    await q.query(`ALTER TABLE "consultants" DROP COLUMN "schedule_version"`);
  }
}
