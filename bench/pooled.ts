/**
 * `npm run bench:pooled`: pooled booking (issue 27) beside the single-consultant routes, in one
 * run on one server: the pooled view and pooled bookings of a pool of `--pool` consultants (50),
 * the time-range view and bookings of one consultant of it. A database of its own,
 * `pooled_bench` (dropped first and after): the pool's consultants in twelve time zones, each open
 * 07:00–19:00 local every day, `--users` (200) users. Per route, autocannon at `--connections`
 * (50) for `--warmup` (3) then `--duration` (10) seconds, requests drawn with a seeded generator:
 * - `single-view`, `pooled-view`: one local day (a random one of 2031), 30-minute slots; the
 *   pooled one in Europe/Berlin;
 * - `single-booking`: half hours of the consultants' own windows, consultant by consultant;
 * - `pooled-booking`: the pooled view's slots of other days, each asked for as many times as it
 *   has free consultants, in a shuffled order.
 * Prints a table for bench/RESULTS.md. `--routes=pooled-view,…` runs a subset; `--profile=DIR`
 * writes a CPU profile of the server's whole run there (bench/profile-summary.ts reads it).
 */
import { cpus, release, totalmem } from 'node:os';
import { databaseUrl, flags, fmt, hammer, type HttpRequest, LOAD_ENV, prng, startServer, withClient } from './common';
import { TIME_ZONES } from './generate-data';

const args = flags();
const POOL = Number(args.get('pool') ?? 50);
const USERS = Number(args.get('users') ?? 200);
const DURATION = Number(args.get('duration') ?? 10);
const WARMUP = Number(args.get('warmup') ?? 3);
const CONNECTIONS = Number(args.get('connections') ?? 50);
/** A subset of the routes, comma-separated (default all). */
const ONLY = typeof args.get('routes') === 'string' ? (args.get('routes') as string).split(',') : null;
/** A V8 CPU profile of the server (the whole run) into this folder. */
const PROFILE_DIR = typeof args.get('profile') === 'string' ? (args.get('profile') as string) : null;
const DATABASE = 'pooled_bench';
const SPECIALIZATION = 'cardiology';
const DAY_MS = 86_400_000;

async function main(): Promise<void> {
  await withClient(databaseUrl('postgres'), async (db) => {
    await db.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await db.query(`CREATE DATABASE ${DATABASE}`);
  });
  const server = await startServer(
    { ...LOAD_ENV, DATABASE_URL: databaseUrl(DATABASE), MIGRATIONS_RUN: 'true', MICROSERVICE_URL: 'off' },
    { nodeArgs: ['--max-old-space-size=160', ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [])] },
  );
  try {
    const call = async (method: string, path: string, body?: unknown, token = LOAD_ENV.ADMIN_TOKEN): Promise<any> => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const consultants: number[] = [];
    for (let i = 0; i < POOL; i++) {
      const timezone = TIME_ZONES[i % TIME_ZONES.length];
      const c = await call('POST', '/consultants', {
        first_name: 'Pool',
        last_name: `No ${i}`,
        timezone,
        specialization: SPECIALIZATION,
      });
      const availability = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].map((day) => ({
        day,
        start_time: '07:00',
        end_time: '19:00',
      }));
      await call('PUT', `/consultants/${c.id}/weekly-schedule`, { availability });
      // Every booking comes from one address, a user's many times at each consultant.
      await call('PUT', `/consultants/${c.id}/policy`, { max_client_share_minutes: null });
      consultants.push(c.id);
    }
    const tokens: string[] = [];
    for (let i = 0; i < USERS; i++)
      tokens.push((await call('POST', '/users', { first_name: 'U', last_name: `${i}` })).api_token);

    const random = prng(27);
    const day = (from: string, days: number) =>
      new Date(Date.parse(from) + Math.floor(random() * days) * DAY_MS).toISOString().slice(0, 10);
    // Bookings: the pooled ones in 2032's first half, the single ones in its second, so they never meet.
    const pooledTargets: { start: string; end: string }[] = [];
    for (let d = 0; pooledTargets.length < 40_000; d++) {
      const date = new Date(Date.parse('2032-01-01') + d * DAY_MS).toISOString().slice(0, 10);
      const view = await call(
        'GET',
        `/availabilities/pooled?specialization=${SPECIALIZATION}&start=${date}&end=${date}&slot_minutes=30`,
      );
      for (const s of view.slots as { start: string; end: string; free_consultants: number }[])
        for (let k = 0; k < s.free_consultants; k++) pooledTargets.push({ start: s.start, end: s.end });
    }
    for (let i = pooledTargets.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [pooledTargets[i], pooledTargets[j]] = [pooledTargets[j], pooledTargets[i]];
    }
    const singleTargets: { consultant_id: number; start: string; end: string }[] = [];
    for (let d = 0; singleTargets.length < 40_000; d++) {
      const date = new Date(Date.parse('2032-07-01') + d * DAY_MS).toISOString().slice(0, 10);
      for (const id of consultants) {
        const view = await call(
          'GET',
          `/availabilities/timerange?consultant_id=${id}&start=${date}&end=${date}&slot_minutes=30`,
        );
        for (const s of view.data[0].slots as { start: string; end: string }[])
          singleTargets.push({ consultant_id: id, start: s.start, end: s.end });
      }
    }
    // Consultant by consultant: concurrent requests meet different consultants, as the pooled ones may not.
    singleTargets.sort((a, b) => a.start.localeCompare(b.start) || a.consultant_id - b.consultant_id);

    const routes: { key: string; request: (i: number) => HttpRequest }[] = [
      {
        key: 'single-view',
        request: () => {
          const date = day('2031-01-01', 365);
          const id = consultants[Math.floor(random() * POOL)];
          return {
            method: 'GET',
            path: `/availabilities/timerange?consultant_id=${id}&start=${date}&end=${date}&slot_minutes=30`,
          };
        },
      },
      {
        key: 'pooled-view',
        request: () => {
          const date = day('2031-01-01', 365);
          return {
            method: 'GET',
            path: `/availabilities/pooled?specialization=${SPECIALIZATION}&start=${date}&end=${date}&slot_minutes=30&timezone=Europe/Berlin`,
          };
        },
      },
      {
        key: 'single-booking',
        request: (i) => ({
          method: 'POST',
          path: '/bookings',
          body: JSON.stringify(singleTargets[i]),
          token: tokens[i % USERS],
        }),
      },
      {
        key: 'pooled-booking',
        request: (i) => ({
          method: 'POST',
          path: '/bookings',
          body: JSON.stringify({ specialization: SPECIALIZATION, ...pooledTargets[i] }),
          token: tokens[i % USERS],
        }),
      },
    ];

    console.log(
      `pool of ${POOL} consultants, ${USERS} users; ${CONNECTIONS} connections, ${WARMUP} s warm-up, ${DURATION} s measured; ` +
        `${cpus().length} × ${cpus()[0]?.model}, ${fmt(totalmem() / 2 ** 30, 1)} GB, Linux ${release()}, Node ${process.version}`,
    );
    console.log('| route | req/s | p50 ms | p99 ms | answers |\n|---|---|---|---|---|');
    for (const route of routes.filter((r) => ONLY === null || ONLY.includes(r.key))) {
      let i = 0;
      const next = () => route.request(i++);
      if (WARMUP > 0) await hammer(server.url, next, WARMUP, CONNECTIONS);
      const result = await hammer(server.url, next, DURATION, CONNECTIONS);
      const codes = Object.entries(result.statusCodeStats ?? {})
        .map(([code, { count }]) => `${count} × ${code}`)
        .join(', ');
      console.log(
        `| ${route.key} | ${fmt(result.requests.total / result.duration)} | ${fmt(result.latency.p50, 1)} | ${fmt(result.latency.p99, 1)} | ${codes}${result.errors ? `, ${result.errors} errors` : ''} |`,
      );
    }
  } finally {
    await server.stop();
    await withClient(databaseUrl('postgres'), (db) => db.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`));
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
