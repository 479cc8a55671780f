#!/bin/bash
# The database's ceiling for a booking of a known slot, as the service sends it when its copy of
# the consultant is current: change_booking alone (src/bookings/engine/booking-writer.sql), one statement, autocommitted (-M extended, as
# pg sends it). The data has the side-by-side comparison's shape: 50 consultants × 400 half-hour
# one-time slots, every booking a different slot, spread over the consultants.
#   npm run build && bash bench/booking-ceiling.sh [USERS [CLIENTS [SECONDS]]]
# USERS (default 1): the users booking, drawn at random; with 1, every booking queues on that
# user's row lock, as the comparison's one user does. Prints pgbench's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${1:-1}; CLIENTS=${2:-50}; SECONDS_=${3:-10}
PG=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
db=cc_ceiling_$$
psql -q "$PG/postgres" -c "CREATE DATABASE $db"
trap 'psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
DATABASE_URL="$PG/$db" node_modules/.bin/typeorm -d dist/ormconfig.js migration:run >/dev/null
t0=$(date -u -d 'tomorrow 08:00' +%s)
psql -q "$PG/$db" <<SQL
INSERT INTO consultants (first_name, last_name, api_token_hash)
  SELECT 'C', 'X', encode(sha256(c::text::bytea), 'hex') FROM generate_series(1, 50) c;
INSERT INTO users (first_name, last_name, api_token_hash)
  SELECT 'U', 'X', encode(sha256(('u' || u)::bytea), 'hex') FROM generate_series(1, $USERS) u;
INSERT INTO availabilities (id, consultant_id, start_at, end_at) OVERRIDING SYSTEM VALUE
  SELECT (c - 1) * 400 + m + 1, c, to_timestamp($t0 + m * 3600), to_timestamp($t0 + m * 3600 + 1800)
    FROM generate_series(1, 50) c, generate_series(0, 399) m;
ANALYZE;
SQL
# The booking.created event's data as the service sends it (change_booking sets the id and created_at).
event='{"id":0,"consultant_id":1,"user_id":1,"availability_id":1,"recurring_id":null,"date":"2030-01-01","start_time":"08:00:00","end_time":"08:30:00","start":"2030-01-01T08:00:00.000Z","end":"2030-01-01T08:30:00.000Z","status":"confirmed","created_at":"1970-01-01T00:00:00.000Z"}'
script=$(mktemp)
# Client n's k-th booking: consultant 1 + (n + k) % 50, its slot k: no two clients book one slot.
cat >"$script" <<'PGB'
\set k :k + 1
\set c 1 + (:client_id + :k) % 50
\set id (:c - 1) * 400 + :k + 1
\set u random(1, :users)
\set s :t0 + :k * 3600
SELECT outcome, booking_id AS "bookingId", created_at AS "createdAt", expires_at AS "expiresAt"
  FROM change_booking('create'::text, NULL::int, NULL::text, NULL::int, :c::int, 0::int, :u::int, :id::int, NULL::int,
                      to_timestamp(:s)::timestamptz, to_timestamp(:s + 1800)::timestamptz, to_timestamp(:s)::timestamptz,
                      to_timestamp(:s + 1800)::timestamptz, 100000::int, NULL::int, NULL::timestamptz, NULL::timestamptz,
                      NULL::int, 'booking.created'::text, :event::jsonb);
PGB
pgbench -n -M extended -c "$CLIENTS" -j 2 -T "$SECONDS_" -D k=-1 -D users="$USERS" -D t0="$t0" -D event="$event" -f "$script" "$PG/$db" 2>&1 \
  | grep -E '^(number of (transactions actually processed|failed)|latency average|tps)'
psql -qtA "$PG/$db" -c "SELECT 'placed: ' || count(*) FILTER (WHERE status = 'confirmed') || ', slots flagged: ' || (SELECT count(*) FROM availabilities WHERE is_booked) FROM bookings"
rm -f "$script"
