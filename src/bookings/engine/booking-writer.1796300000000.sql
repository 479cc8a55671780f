-- The booking engine's one writer (src/bookings/engine/): every change of a booking or hold is
-- one call of change_booking, autocommitted (one round trip) or inside an Idempotency-Key's
-- transaction. The engine decides in Node, on reads made before the call (a copy of the
-- consultant's schedule, the booking's row); this function applies the decision under the locks,
-- where each rule below is written once for every change kind:
--   create, hold          a new confirmed booking, a new hold
--   convert               a hold becomes a confirmed booking (same id)
--   reschedule            a confirmed booking moves (same id)
--   cancel                a confirmed booking is cancelled
--   release               a hold (live or expired) is deleted
-- A read the decision relied on that no longer holds answers 'stale' (the schedule's version, or
-- the booking's status and sequence), and the engine reads and decides again. An overlap, buffers
-- included, is the exclusion constraint bookings_blocked_no_overlap's to refuse. Each statement of
-- a PL/pgSQL function takes a new snapshot after the locks above it, so the counts are exact.
-- What it costs PostgreSQL (issue 25, bench/RESULTS.md): the consultant's row is locked by the
-- one UPDATE that also bumps its calendar_version, takes the event's sequence and says whether it
-- may have a live hold; the user's row by the UPDATE of its count; a booked slot's by the UPDATE
-- of its flag; the event is inserted here, with no separate counter row.
-- Loaded by the newest migration that names it (LeanBooking); the text an earlier migration
-- loaded stays beside it as booking-writer.<that migration's timestamp>.sql.
CREATE OR REPLACE FUNCTION change_booking(
  p_kind text, p_booking integer, p_expect_status text, p_expect_sequence integer,
  p_consultant integer, p_schedule_version integer, p_user integer, p_slot integer, p_recurring integer,
  p_start timestamptz, p_end timestamptz, p_blocked_start timestamptz, p_blocked_end timestamptz,
  p_cap integer, p_daily_limit integer, p_day_start timestamptz, p_day_end timestamptz,
  p_hold_minutes integer, p_event_type text, p_event jsonb, p_share_minutes integer, p_client_address inet,
  OUT outcome text, OUT booking_id integer, OUT created_at text, OUT expires_at text)
LANGUAGE plpgsql AS $$
DECLARE
  version integer;
  holds timestamptz;
  event_sequence integer;
  expires timestamptz := clock_timestamp() + make_interval(mins => p_hold_minutes);
  counted boolean := false;
  made integer;
  taken numeric;
  was bookings%ROWTYPE;
  now_row bookings%ROWTYPE;
BEGIN
  -- The consultant's row lock, which every write of its slots, rules, overrides and bookings
  -- takes first; a decision made on a copy of an older schedule is made again. One UPDATE locks
  -- it and makes the change's bumps: what the calendar views show (src/calendar/) changes, the
  -- event's sequence (its lock orders the consultant's events as their commits), and a hold's
  -- expiry. A refusal is answered, not raised, so it takes back what must not stay (below).
  UPDATE consultants c
     SET calendar_version = c.calendar_version + 1,
         last_event_sequence = c.last_event_sequence + (p_event_type IS NOT NULL)::int,
         holds_until = CASE WHEN p_kind = 'hold' THEN greatest(c.holds_until, expires) ELSE c.holds_until END
   WHERE c.id = p_consultant
  RETURNING c.schedule_version, c.last_event_sequence, c.holds_until INTO version, event_sequence, holds;
  IF NOT FOUND THEN outcome := 'no-consultant'; RETURN; END IF;

  -- Every refusal leaves this block with its outcome set.
  <<checks>>
  BEGIN
  IF p_schedule_version IS NOT NULL AND version <> p_schedule_version THEN outcome := 'stale'; EXIT checks; END IF;

  -- Hold expiry: a hold past its expires_at stops blocking, with no background job. holds_until
  -- is at or after every expires_at of the consultant's holds still 'held' (null: none is), so
  -- a consultant without holds skips it; once it has passed, every hold is marked and it goes.
  IF holds IS NOT NULL THEN
    UPDATE bookings b SET status = 'expired'
     WHERE b.consultant_id = p_consultant AND b.status = 'held' AND b.expires_at <= clock_timestamp();
    IF holds <= clock_timestamp() THEN UPDATE consultants c SET holds_until = NULL WHERE c.id = p_consultant; END IF;
  END IF;

  -- The booking or hold changed, as the decision read it.
  IF p_booking IS NOT NULL THEN
    SELECT * INTO was FROM bookings b WHERE b.id = p_booking AND b.consultant_id = p_consultant FOR UPDATE;
    IF NOT FOUND THEN outcome := 'gone'; EXIT checks; END IF;
    IF was.status <> p_expect_status OR was.sequence <> p_expect_sequence THEN outcome := 'stale'; EXIT checks; END IF;
  END IF;

  -- A one-time slot is booked once: by a confirmed booking other than the one moving onto it.
  IF p_slot IS NOT NULL AND p_slot IS DISTINCT FROM was.availability_id THEN
    PERFORM 1 FROM availabilities a WHERE a.id = p_slot AND a.is_booked FOR UPDATE;
    IF FOUND THEN outcome := 'slot-taken'; EXIT checks; END IF;
  END IF;

  -- The policy's daily limit: confirmed bookings and live holds starting on the local day.
  IF p_daily_limit IS NOT NULL THEN
    PERFORM 1 FROM bookings b
     WHERE b.consultant_id = p_consultant AND b.status IN ('confirmed', 'held')
       AND b.start_at >= p_day_start AND b.start_at < p_day_end AND b.id IS DISTINCT FROM p_booking
    OFFSET p_daily_limit - 1 LIMIT 1;
    IF FOUND THEN outcome := 'daily-limit'; EXIT checks; END IF;
  END IF;

  -- The policy's client share: the upcoming time (buffers included) that confirmed bookings and
  -- live holds of this user, or asked from this client address, block, with this change's. Under
  -- the consultant's lock, so concurrent requests of one client cannot pass it together.
  IF p_share_minutes IS NOT NULL THEN
    SELECT COALESCE(sum(EXTRACT(epoch FROM b.blocked_end_at - b.blocked_start_at)), 0) / 60 INTO taken
      FROM bookings b
     WHERE b.consultant_id = p_consultant AND b.status IN ('confirmed', 'held') AND b.id IS DISTINCT FROM p_booking
       AND b.start_at > now() - interval '1 day' AND b.end_at > now()
       AND (b.user_id = p_user OR b.client_address = p_client_address);
    IF taken + EXTRACT(epoch FROM p_blocked_end - p_blocked_start) / 60 > p_share_minutes THEN
      outcome := 'client-share'; EXIT checks;
    END IF;
  END IF;

  -- The per-user caps. The user's row lock queues one user's bookings at every consultant (after
  -- the consultant's lock, so the two cannot deadlock), so the count sees each one committed
  -- before. As late as it can be: the queue moves at the pace of what follows, commit included.
  IF p_cap IS NOT NULL THEN
    IF p_hold_minutes IS NULL THEN
      -- A confirmed booking more (create, convert): the lock and the count's new value in one
      -- UPDATE, taken back by a refusal. Upcoming confirmed bookings; under the cap in all
      -- (confirmed_bookings) is under it in these.
      UPDATE users u SET confirmed_bookings = u.confirmed_bookings + 1 WHERE u.id = p_user
      RETURNING u.confirmed_bookings - 1 INTO made;
      counted := true;
      PERFORM 1 FROM bookings b WHERE made >= p_cap
         AND b.user_id = p_user AND b.status = 'confirmed' AND b.end_at > now() OFFSET p_cap - 1 LIMIT 1;
    ELSE
      PERFORM 1 FROM users u WHERE u.id = p_user FOR UPDATE;
      PERFORM 1 FROM bookings b
       WHERE b.user_id = p_user AND b.status = 'held' AND b.expires_at > clock_timestamp() OFFSET p_cap - 1 LIMIT 1;
    END IF;
    IF FOUND THEN outcome := 'cap'; EXIT checks; END IF;
  END IF;
  END checks;
  IF outcome IS NOT NULL THEN
    -- A consultant's events are numbered without gaps, and the user's count is of what is made.
    IF p_event_type IS NOT NULL THEN
      UPDATE consultants c SET last_event_sequence = c.last_event_sequence - 1 WHERE c.id = p_consultant;
    END IF;
    IF counted THEN UPDATE users u SET confirmed_bookings = made WHERE u.id = p_user; END IF;
    RETURN;
  END IF;

  -- The change itself. A new booking flags its slot first, in the UPDATE that locks it, so that
  -- the booking's foreign key check finds the row locked already.
  IF p_kind = 'create' AND p_slot IS NOT NULL THEN
    UPDATE availabilities a SET is_booked = true WHERE a.id = p_slot;
  END IF;
  CASE p_kind
    WHEN 'create', 'hold' THEN
      INSERT INTO bookings AS b (consultant_id, user_id, client_address, availability_id, recurring_id, start_at,
                                 end_at, blocked_start_at, blocked_end_at, status, expires_at)
      VALUES (p_consultant, p_user, p_client_address, p_slot, p_recurring, p_start, p_end, p_blocked_start, p_blocked_end,
              CASE p_kind WHEN 'create' THEN 'confirmed' ELSE 'held' END,
              expires)
      RETURNING * INTO now_row;
    WHEN 'convert' THEN
      UPDATE bookings b SET status = 'confirmed', expires_at = NULL, updated_at = now()
       WHERE b.id = p_booking RETURNING * INTO now_row;
    WHEN 'reschedule' THEN
      UPDATE bookings b SET start_at = p_start, end_at = p_end, blocked_start_at = p_blocked_start,
                            blocked_end_at = p_blocked_end, availability_id = p_slot, recurring_id = p_recurring,
                            sequence = b.sequence + 1, updated_at = now()
       WHERE b.id = p_booking RETURNING * INTO now_row;
    WHEN 'cancel' THEN
      UPDATE bookings b SET status = 'cancelled', sequence = b.sequence + 1, updated_at = now()
       WHERE b.id = p_booking RETURNING * INTO now_row;
    WHEN 'release' THEN
      DELETE FROM bookings b WHERE b.id = p_booking;
  END CASE;

  -- What a confirmed booking holds, kept from its before and after: the slot's flag is "a
  -- confirmed booking holds this slot", the user's count moves by the confirmed bookings it adds
  -- (a new booking's slot, and a counted user's count, were set above).
  IF p_kind <> 'create' AND (was.status = 'confirmed' OR now_row.status = 'confirmed') THEN
    UPDATE availabilities a
       SET is_booked = EXISTS (SELECT 1 FROM bookings b WHERE b.availability_id = a.id AND b.status = 'confirmed')
     WHERE a.id IN (was.availability_id, now_row.availability_id);
  END IF;
  IF NOT counted AND (was.status = 'confirmed' OR now_row.status = 'confirmed') THEN
    UPDATE users u
       SET confirmed_bookings = u.confirmed_bookings
                              + (now_row.status IS NOT DISTINCT FROM 'confirmed')::int
                              - (was.status IS NOT DISTINCT FROM 'confirmed')::int
     WHERE u.id = COALESCE(now_row.user_id, was.user_id)
       AND (now_row.status IS NOT DISTINCT FROM 'confirmed') <> (was.status IS NOT DISTINCT FROM 'confirmed');
  END IF;

  booking_id := COALESCE(now_row.id, was.id);
  created_at := to_char(COALESCE(now_row.created_at, was.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
  expires_at := to_char(now_row.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
  IF p_event_type IS NOT NULL THEN
    -- The caller wakes the relays after the commit (OutboxRelay.announce), not the NOTIFY trigger.
    -- outbox_record's insert, with the sequence taken above.
    PERFORM set_config('outbox.caller_announces', 'on', true);
    INSERT INTO outbox_events (id, consultant_id, type, sequence, data)
    VALUES (gen_random_uuid(), p_consultant, p_event_type, event_sequence,
            p_event || jsonb_build_object('id', booking_id, 'created_at', created_at));
    PERFORM set_config('outbox.caller_announces', 'off', true);
  END IF;
  outcome := 'done';
END $$;
