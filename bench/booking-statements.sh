#!/bin/bash
# What each statement of a booking costs PostgreSQL, per pg_stat_statements, under the side-by-side
# booking load (issue 25). pg_stat_statements needs shared_preload_libraries, which the machine's
# server does not load (changing it means restarting a server others use), so this starts a
# private PostgreSQL with it, the machine server's memory settings and synchronous_commit on, and
# runs side-by-side.sh against that server; the statistics are reset just before the booking
# route and read right after it, nested statements of change_booking included (track = all).
#   bench/booking-statements.sh <side-by-side.sh>      from the project's root (or PROJECT=folder)
# side-by-side.sh is the comparison with the seed's design, kept outside this repository with its
# peer beside it (../peers from its own folder).
# Prints side-by-side's table, then one table per side: calls, total ms, shared blocks, WAL bytes.
set -eu
sbs=${1:?usage: bench/booking-statements.sh <path of side-by-side.sh>}
[ -f "$sbs" ] || { echo "side-by-side.sh not found at $sbs"; exit 1; }
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d)
chown postgres "$work" 2>/dev/null || true
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
port=$((20000 + RANDOM % 10000))
as_pg "$bin/initdb" -A trust -U postgres -D "$work/data" >/dev/null
as_pg "$bin/pg_ctl" -D "$work/data" -l "$work/pg.log" -w start -o "-p $port -k $work -c listen_addresses=127.0.0.1 \
  -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c shared_buffers=128MB \
  -c synchronous_commit=on -c max_connections=200" >/dev/null
trap 'as_pg "$bin/pg_ctl" -D "$work/data" -m fast stop >/dev/null; rm -rf "$work"' EXIT
export PGPORT=$port PEER_DB_PORT=$port
psql -qh 127.0.0.1 -U postgres -c 'create extension pg_stat_statements' >/dev/null

# side-by-side.sh, on this server's port, with the peer beside it as it expects (../peers)
mkdir -p "$work/sbs/bench"
ln -s "$(dirname "$sbs")/../peers" "$work/sbs/peers"
cat >"$work/statements.sql" <<'SQL'
select d.datname as db, s.calls, round(s.total_exec_time::numeric, 1) as total_ms,
       round(s.total_exec_time::numeric / s.calls, 3) as ms_per_call,
       s.shared_blks_hit + s.shared_blks_read as shared_blocks, s.shared_blks_dirtied as dirtied,
       s.wal_bytes, round(s.wal_bytes / s.calls) as wal_per_call, left(regexp_replace(s.query, '\s+', ' ', 'g'), 110) as statement
  from pg_stat_statements s join pg_database d on d.oid = s.dbid
 where s.calls > 50 order by d.datname, s.total_exec_time desc limit 40
SQL
sed -e "s/127.0.0.1:5432/127.0.0.1:$port/" \
  -e "/^read -r gr gp ge gca gcd < <(run g-book/i psql -qh 127.0.0.1 -U postgres -c 'select pg_stat_statements_reset()' >/dev/null" \
  -e "/^line \"book a slot/a psql -h 127.0.0.1 -U postgres -P pager=off -f $work/statements.sql >$work/statements.txt" \
  "$sbs" >"$work/sbs/bench/side-by-side.sh"
bash "$work/sbs/bench/side-by-side.sh"
echo
cat "$work/statements.txt"
