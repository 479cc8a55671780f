#!/usr/bin/env bash
# Three instances of the service, HAProxy in front and a Redis for their shared limits, all on
# loopback, from a built checkout (npm ci && npm run build):
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/consultant_calendar deploy/loopback.sh start
#   curl http://127.0.0.1:8080/health/ready
#   deploy/loopback.sh stop
# Ports (each can be changed in the environment): HAProxy LB_PORT (8080), its status page
# STATS_PORT (8404), the instances LB_PORT+1…+3, their metrics METRICS_BASE+1…+3 (9180), Redis
# REDIS_PORT (6380). PIDs, logs and the admin token are kept in RUN_DIR (./.loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR=${RUN_DIR:-$PWD/.loopback}
LB_PORT=${LB_PORT:-8080}
STATS_PORT=${STATS_PORT:-8404}
METRICS_BASE=${METRICS_BASE:-9180}
REDIS_PORT=${REDIS_PORT:-6380}
INSTANCES=(1 2 3)

# Waits until a URL answers 2xx, or gives up after a minute naming the log to read.
wait_for() {
  for _ in $(seq 600); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "no answer from $1; see $2" >&2
  return 1
}

start() {
  : "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL database (the embedded one serves one process)}"
  [ -f dist/src/main.js ] || { echo "dist/src/main.js is missing: run npm ci && npm run build" >&2; exit 1; }
  command -v haproxy >/dev/null || { echo "haproxy is not installed (apt-get install haproxy)" >&2; exit 1; }
  command -v redis-server >/dev/null || { echo "redis-server is not installed (apt-get install redis-server)" >&2; exit 1; }
  mkdir -p "$RUN_DIR"
  [ -s "$RUN_DIR/admin-token" ] || echo "cc_a_$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >"$RUN_DIR/admin-token"

  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >"$RUN_DIR/redis.log" 2>&1 &
  echo $! >"$RUN_DIR/redis.pid"

  for i in "${INSTANCES[@]}"; do
    # The first instance migrates; the others start once it is ready, so that only one does.
    [ "$i" -eq 1 ] && migrate=true || migrate=false
    env DATABASE_URL="$DATABASE_URL" REDIS_URL="redis://127.0.0.1:$REDIS_PORT" \
      ADMIN_TOKEN="$(cat "$RUN_DIR/admin-token")" HOST=127.0.0.1 PORT=$((LB_PORT + i)) \
      METRICS_PORT=$((METRICS_BASE + i)) MICROSERVICE_URL=off TRUST_PROXY=loopback \
      SHUTDOWN_DRAIN_MS=2000 MIGRATIONS_RUN=$migrate \
      node --max-old-space-size=160 dist/src/main.js >"$RUN_DIR/instance-$i.log" 2>&1 &
    echo $! >"$RUN_DIR/instance-$i.pid"
    [ "$i" -eq 1 ] && wait_for "http://127.0.0.1:$((LB_PORT + 1))/health/ready" "$RUN_DIR/instance-1.log"
  done
  for i in "${INSTANCES[@]}"; do wait_for "http://127.0.0.1:$((LB_PORT + i))/health/ready" "$RUN_DIR/instance-$i.log"; done

  env CC_LISTEN="127.0.0.1:$LB_PORT" CC_STATS="127.0.0.1:$STATS_PORT" \
    CC_INSTANCE_1="127.0.0.1:$((LB_PORT + 1))" CC_INSTANCE_2="127.0.0.1:$((LB_PORT + 2))" \
    CC_INSTANCE_3="127.0.0.1:$((LB_PORT + 3))" \
    haproxy -f deploy/haproxy.cfg -db >"$RUN_DIR/haproxy.log" 2>&1 &
  echo $! >"$RUN_DIR/haproxy.pid"
  wait_for "http://127.0.0.1:$LB_PORT/health/ready" "$RUN_DIR/haproxy.log"
  echo "serving on http://127.0.0.1:$LB_PORT (HAProxy status: http://127.0.0.1:$STATS_PORT/stats)"
  echo "admin token: $(cat "$RUN_DIR/admin-token")"
}

stop() {
  # HAProxy first, then the instances (each drains for SHUTDOWN_DRAIN_MS), Redis last.
  for name in haproxy instance-1 instance-2 instance-3 redis; do
    pidfile="$RUN_DIR/$name.pid"
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill -TERM "$pid" 2>/dev/null; then
      for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
  echo "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
