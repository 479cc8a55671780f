/**
 * Fills a PostgreSQL database with a booking workload at scale, set-based (generate_series),
 * in seconds:
 *
 *   node dist/bench/generate-data.js            # cc_bench: 10,000 consultants, 1,000,000 bookings
 *   node dist/bench/generate-data.js --small    # cc_bench_small: 1/100 of that
 *   node dist/bench/generate-data.js --scale=0.1 --database=cc_bench_tenth
 *
 * The schema is the app's own: the built server is started once on the empty database with
 * MIGRATIONS_RUN=true, then the tables are filled with SQL. Per consultant (whatever the
 * scale): 5 weekly rules (Mon–Fri 09:00–17:00 local), 20 one-time Saturday slots (5 of them
 * booked), 100 bookings over one year (2030-01-07 … 2031-01-05; 95 inside the weekly windows,
 * one in twenty cancelled; 5 on the booked slots), and 5 users per consultant. Consultants
 * cycle through 12 time zones, including half- and quarter-hour offsets and both hemispheres'
 * daylight saving. Nothing overlaps, so every constraint holds: the rows go in under the
 * exclusion constraints, and the foreign keys, dropped for the load, are added back (re-checked).
 *
 * Tokens are known: consultant n is `cc_c_bench-n`, user n is `cc_u_bench-n`.
 */
import type { Client } from 'pg';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, databaseUrl, flags, fmt, serverMain, startServer, withClient } from './common';

export const TIME_ZONES = [
  'UTC',
  'Europe/London',
  'Europe/Berlin',
  'America/New_York',
  'America/Los_Angeles',
  'America/Sao_Paulo',
  'Asia/Kolkata',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Africa/Johannesburg',
  'Asia/Kathmandu',
  'America/St_Johns',
];
const SPECIALIZATIONS = ['cardiology', 'dermatology', 'psychology', 'nutrition', 'career', 'tax', 'legal', 'fitness'];

/** The first local day (a Monday) and the number of weeks the generated bookings span. */
export const DATA_START = '2030-01-07';
export const DATA_WEEKS = 52;

/** Bumped whenever the generated data changes shape, so older databases are regenerated. */
export const GENERATOR_VERSION = 2;

export const PER_CONSULTANT = { rules: 5, slots: 20, bookings: 100, users: 5 } as const;
export const FULL_CONSULTANTS = 10_000;

export interface DataSet {
  database: string;
  scale: number;
  consultants: number;
  users: number;
  rules: number;
  slots: number;
  bookings: number;
  seconds: number;
  /** Seconds per step, for the record. */
  steps: Record<string, number>;
  /** On-disk size of the database after the load. */
  bytes: number;
  generatedAt: string;
  version: number;
  /** Timestamps of the migrations the schema was built from. */
  migrations: number[];
  /** Every booking with a higher id was made by a bench run (and is deleted by the next). */
  maxBookingId: number;
}

export const defaultDatabase = (scale: number): string =>
  scale === 1 ? 'cc_bench' : scale === 0.01 ? 'cc_bench_small' : `cc_bench_${String(scale).replace('.', '_')}`;

export async function generateData(
  scale: number,
  database = defaultDatabase(scale),
  log: (line: string) => void = console.log,
): Promise<DataSet> {
  const consultants = Math.max(1, Math.round(FULL_CONSULTANTS * scale));
  const users = consultants * PER_CONSULTANT.users;
  const started = performance.now();
  const steps: Record<string, number> = {};
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const result = await work();
    steps[name] = (performance.now() - t) / 1000;
    log(`  ${name.padEnd(34)} ${steps[name].toFixed(1)} s`);
    return result;
  };
  log(`Generating ${database}: ${fmt(consultants)} consultants (scale ${scale})`);

  await step('create database', () =>
    withClient(databaseUrl('postgres'), async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await c.query(`CREATE DATABASE ${database}`);
    }),
  );
  // The app's migrations, run by the app itself, so the schema is whatever src/ says today.
  await step('schema (server, MIGRATIONS_RUN=true)', async () => {
    const server = await startServer({
      DATABASE_URL: databaseUrl(database),
      MIGRATIONS_RUN: 'true',
      ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
    });
    await server.stop();
  });

  const url = databaseUrl(database);
  const session = async (db: Client) => {
    await db.query(`SET maintenance_work_mem = '1GB'`);
    await db.query(`SET synchronous_commit = off`);
  };
  await withClient(url, async (db) => {
    await session(db);
    // Foreign keys are re-added (and so re-checked) after the load, plain indexes rebuilt in bulk.
    // The exclusion constraints stay: building one afterwards and probing every row costs more
    // than two sessions inserting under it side by side.
    const { rows: foreignKeys } = await db.query<{ table: string; name: string; def: string }>(
      `SELECT conrelid::regclass::text AS table, conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE contype = 'f' AND conrelid IN ('availabilities'::regclass, 'recurring_rules'::regclass, 'bookings'::regclass) ORDER BY conname`,
    );
    const { rows: indexes } = await db.query<{ name: string; def: string }>(
      `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
        WHERE i.indrelid IN ('availabilities'::regclass, 'recurring_rules'::regclass, 'bookings'::regclass)
          AND NOT i.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
    );
    await step('drop foreign keys and plain indexes', async () => {
      for (const c of foreignKeys) await db.query(`ALTER TABLE ${c.table} DROP CONSTRAINT ${c.name}`);
      for (const i of indexes) await db.query(`DROP INDEX ${i.name}`);
    });

    await step(`consultants (${fmt(consultants)})`, () =>
      db.query(
        `INSERT INTO consultants (id, first_name, last_name, timezone, specialization, api_token_hash) OVERRIDING SYSTEM VALUE
         SELECT g, 'Consultant', 'No ' || g, ($2::text[])[1 + g % cardinality($2::text[])], ($3::text[])[1 + g % cardinality($3::text[])],
                encode(sha256(convert_to('cc_c_bench-' || g, 'UTF8')), 'hex')
           FROM generate_series(1, $1::int) g`,
        [consultants, TIME_ZONES, SPECIALIZATIONS],
      ),
    );
    await step(`users (${fmt(users)})`, () =>
      db.query(
        `INSERT INTO users (id, first_name, last_name, api_token_hash) OVERRIDING SYSTEM VALUE
         SELECT g, 'User', 'No ' || g, encode(sha256(convert_to('cc_u_bench-' || g, 'UTF8')), 'hex') FROM generate_series(1, $1::int) g`,
        [users],
      ),
    );
    // Mon–Fri 09:00–17:00 local: rule id (c-1)*5 + day + 1.
    await step(`recurring_rules (${fmt(consultants * PER_CONSULTANT.rules)})`, () =>
      db.query(
        `INSERT INTO recurring_rules (id, consultant_id, day_of_week, start_time, end_time, is_active) OVERRIDING SYSTEM VALUE
         SELECT (c - 1) * 5 + d + 1, c, d, time '09:00', time '17:00', true FROM generate_series(1, $1::int) c, generate_series(0, 4) d`,
        [consultants],
      ),
    );
    // Two sessions, each filling half of the consultants, under the exclusion constraints.
    const halves = async (name: string, sql: string, params: unknown[]) =>
      step(name, () =>
        Promise.all(
          [0, 1].map((half) =>
            withClient(url, async (c) => {
              await session(c);
              await c.query(sql, [...params, half]);
            }),
          ),
        ),
      );
    // Halves by id range, so the two sessions fill different parts of each index.
    const half = (n: number) => `(c.id > ${Math.floor(consultants / 2)})::int = $${n}::int`;
    // 20 one-hour Saturday slots spread over the year (10:00–13:00 local, by consultant); every fourth is booked.
    await halves(
      `availabilities (${fmt(consultants * PER_CONSULTANT.slots)})`,
      `INSERT INTO availabilities (id, consultant_id, start_at, end_at, is_booked) OVERRIDING SYSTEM VALUE
       SELECT (c.id - 1) * 20 + k + 1, c.id,
              (day + make_time(10 + c.id % 3, 0, 0)) AT TIME ZONE c.timezone,
              (day + make_time(11 + c.id % 3, 0, 0)) AT TIME ZONE c.timezone,
              k % 4 = 0
         FROM consultants c, generate_series(0, 19) k, LATERAL (SELECT $1::date + 5 + 7 * ((k * $2::int) / 20) AS day) d
        WHERE ${half(3)}`,
      [DATA_START, DATA_WEEKS],
    );
    // 95 half-hour bookings per consultant on distinct weekdays of the year, inside the weekly window,
    // and one on each booked slot.
    await halves(
      `bookings (${fmt(consultants * PER_CONSULTANT.bookings)})`,
      `WITH weekly AS (
         INSERT INTO bookings (consultant_id, user_id, recurring_id, start_at, end_at, blocked_start_at, blocked_end_at, status)
         SELECT c.id, 1 + ((c.id::bigint * 7919 + j * 104729) % $3::int), (c.id - 1) * 5 + w % 5 + 1,
                (day + start_local) AT TIME ZONE c.timezone, (day + start_local + interval '30 minutes') AT TIME ZONE c.timezone,
                (day + start_local) AT TIME ZONE c.timezone, (day + start_local + interval '30 minutes') AT TIME ZONE c.timezone,
                CASE WHEN j % 20 = 19 THEN 'cancelled' ELSE 'confirmed' END
           FROM consultants c, generate_series(0, 94) j,
                LATERAL (SELECT (j * ($2::int * 5)) / 95 AS w) wd,
                LATERAL (SELECT $1::date + 7 * (w / 5) + w % 5 AS day, make_time(9 + (j * 3 + c.id) % 8, 30 * ((c.id + j) % 2), 0) AS start_local) t
          WHERE ${half(4)}
          ORDER BY c.id, j
         RETURNING 1)
       INSERT INTO bookings (consultant_id, user_id, availability_id, start_at, end_at, blocked_start_at, blocked_end_at)
       SELECT a.consultant_id, 1 + ((a.id::bigint * 31) % $3::int), a.id, a.start_at, a.end_at, a.start_at, a.end_at
         FROM availabilities a JOIN consultants c ON c.id = a.consultant_id WHERE a.is_booked AND ${half(4)} AND (SELECT count(*) FROM weekly) >= 0`,
      [DATA_START, DATA_WEEKS, users],
    );
    // Written by the service as it books (users.confirmed_bookings); here, for the bulk insert.
    await step("users' confirmed-booking counts", () =>
      db.query(
        `UPDATE users u SET confirmed_bookings = c.n FROM (SELECT user_id, count(*) AS n FROM bookings WHERE status = 'confirmed' GROUP BY user_id) c WHERE c.user_id = u.id`,
      ),
    );
    await step('identity sequences', async () => {
      for (const table of ['consultants', 'users', 'recurring_rules', 'availabilities']) {
        await db.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT max(id) FROM ${table}))`);
      }
    });
    await step('indexes', () =>
      Promise.all(
        [0, 1].map((lane) =>
          withClient(url, async (c) => {
            await session(c);
            for (const i of indexes.filter((_, n) => n % 2 === lane)) await c.query(i.def);
          }),
        ),
      ),
    );
    await step('foreign keys (re-checked)', async () => {
      for (const c of foreignKeys) await db.query(`ALTER TABLE ${c.table} ADD CONSTRAINT ${c.name} ${c.def}`);
    });
    await step('vacuum analyze', () => db.query('VACUUM (ANALYZE)'));
  });

  const seconds = (performance.now() - started) / 1000;
  const dataSet = await withClient(url, async (db) => {
    const { rows } = await db.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM consultants) AS consultants, (SELECT count(*) FROM users) AS users,
              (SELECT count(*) FROM recurring_rules) AS rules, (SELECT count(*) FROM availabilities) AS slots,
              (SELECT count(*) FROM bookings) AS bookings, (SELECT max(id) FROM bookings) AS max_booking_id, pg_database_size(current_database()) AS bytes`,
    );
    const counts = Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Number(v)]));
    const migrations = (
      await db.query<{ timestamp: string }>('SELECT timestamp FROM migrations ORDER BY timestamp')
    ).rows.map((r) => Number(r.timestamp));
    const set: DataSet = {
      database,
      scale,
      consultants: counts.consultants,
      users: counts.users,
      rules: counts.rules,
      slots: counts.slots,
      bookings: counts.bookings,
      seconds,
      steps,
      bytes: counts.bytes,
      generatedAt: new Date().toISOString(),
      version: GENERATOR_VERSION,
      migrations,
      maxBookingId: counts.max_booking_id,
    };
    // Kept with the database, so a later run knows what it holds without counting again.
    await db.query(`COMMENT ON DATABASE ${database} IS '${JSON.stringify(set).replace(/'/g, "''")}'`);
    return set;
  });
  log(
    `  done in ${seconds.toFixed(1)} s: ${fmt(dataSet.consultants)} consultants, ${fmt(dataSet.users)} users, ${fmt(dataSet.rules)} rules, ${fmt(dataSet.slots)} slots, ${fmt(dataSet.bookings)} bookings, ${fmt(dataSet.bytes / 2 ** 20)} MiB`,
  );
  return dataSet;
}

export interface Target {
  consultantId: number;
  start: string;
  end: string;
}

/**
 * Free half hours inside the generated weekly windows (Mon–Fri 09:00–17:00 local) of the data
 * year, among the consultant's existing bookings, as a booking client would find them. Request
 * i goes to consultant 1 + i mod N, so consecutive requests never wait on one consultant's
 * lock; the k-th time of a consultant (k from `offset`) is weekday (97·k mod 260) of the year,
 * half hour (k div 260 + id) mod 16 of the window, skipped when a generated booking has it.
 */
export async function bookingTargets(
  database: string,
  offset: number,
  count: number,
  consultants: number,
): Promise<Target[]> {
  return withClient(databaseUrl(database), async (db) => {
    const { rows } = await db.query<{ consultant_id: number; start_at: Date; end_at: Date }>(
      `SELECT c.id AS consultant_id, u.start_at, u.end_at
         FROM generate_series(0, $3::int - 1) i
         CROSS JOIN LATERAL (SELECT 1 + i % $4::int AS cid, $2::int + i / $4::int AS k) x
         JOIN consultants c ON c.id = x.cid
         CROSS JOIN LATERAL (SELECT (k * 97) % 260 AS d, (k / 260 + c.id) % 16 AS s) g
         CROSS JOIN LATERAL (SELECT $1::date + 7 * (d / 5) + d % 5 AS day, make_time(9 + s / 2, 30 * (s % 2), 0) AS slot) t
         CROSS JOIN LATERAL (SELECT (day + slot) AT TIME ZONE c.timezone AS start_at, (day + slot + interval '30 minutes') AT TIME ZONE c.timezone AS end_at) u
        WHERE NOT EXISTS (SELECT 1 FROM bookings b WHERE b.consultant_id = c.id AND b.start_at = u.start_at)
        ORDER BY i`,
      [DATA_START, offset, count, consultants],
    );
    return rows.map((r) => ({
      consultantId: r.consultant_id,
      start: r.start_at.toISOString(),
      end: r.end_at.toISOString(),
    }));
  });
}

/**
 * The data set of this scale, generated again only when the generator or the migrations
 * changed since (or when `regenerate`); a reused one loses the bookings earlier runs made.
 */
export async function ensureData(scale: number, regenerate = false): Promise<DataSet> {
  const database = defaultDatabase(scale);
  const migrationsDir = join(serverMain(), '..', 'database', 'migrations');
  const current = readdirSync(migrationsDir)
    .filter((f) => /^\d+-.*\.js$/.test(f))
    .map((f) => Number(f.split('-')[0]))
    .sort((a, b) => a - b);
  const existing = regenerate ? null : await readDataSet(database);
  if (
    existing &&
    existing.version === GENERATOR_VERSION &&
    existing.scale === scale &&
    JSON.stringify(existing.migrations) === JSON.stringify(current)
  ) {
    console.log(
      `Using ${database} generated ${existing.generatedAt} in ${existing.seconds.toFixed(1)} s (--regenerate to rebuild)`,
    );
    await removeBenchBookings(existing);
    await setBenchPolicy(existing);
    return existing;
  }
  const data = await generateData(scale, database);
  await setBenchPolicy(data);
  return data;
}

/**
 * With BENCH_POLICY=1, every consultant gets a booking policy, for the A/B of issue 13 (the same
 * run without it sets every policy back to the defaults). Notice, horizon and a daily limit that
 * the bench's bookings (2032, at most one a half hour) all pass, so both runs measure the same
 * answers. No buffers and no grid: the bench books adjacent half hours, which buffers would turn
 * into 409s, and a grid would change the views' default cut, so the runs would measure different
 * work rather than the policy's cost.
 */
export async function setBenchPolicy(data: DataSet): Promise<void> {
  const on = process.env.BENCH_POLICY === '1';
  await withClient(databaseUrl(data.database), async (db) => {
    await db.query(
      `UPDATE consultants SET minimum_notice_minutes = $1, booking_horizon_days = $2, max_bookings_per_day = $3,
                              buffer_before_minutes = 0, buffer_after_minutes = 0, slot_minutes = NULL`,
      on ? [60, 3650, 48] : [0, null, null],
    );
  });
  console.log(on ? 'BENCH_POLICY=1: a booking policy on every consultant' : 'No booking policies (BENCH_POLICY unset)');
}

/** Back to the generated data: the bench's own bookings (and idempotency keys) go. */
export async function removeBenchBookings(data: DataSet): Promise<void> {
  await withClient(databaseUrl(data.database), async (db) => {
    const { rowCount } = await db.query(`DELETE FROM bookings WHERE id > $1`, [data.maxBookingId]);
    await db.query(`DELETE FROM idempotency_keys`);
    if (rowCount) await db.query('VACUUM (ANALYZE) bookings');
  });
}

/** What generateData left in the database's comment, or null when there is no such database. */
export async function readDataSet(database: string): Promise<DataSet | null> {
  return withClient(databaseUrl('postgres'), async (c) => {
    const { rows } = await c.query<{ comment: string | null }>(
      `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`,
      [database],
    );
    if (!rows.length || !rows[0].comment) return null;
    try {
      return JSON.parse(rows[0].comment) as DataSet;
    } catch {
      return null;
    }
  });
}

if (require.main === module) {
  const args = flags();
  const scale = args.has('small') ? 0.01 : Number(args.get('scale') ?? 1);
  if (!(scale > 0 && scale <= 10)) throw new Error('--scale must be in (0, 10]');
  const database = typeof args.get('database') === 'string' ? (args.get('database') as string) : defaultDatabase(scale);
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error('--database must be a plain lower-case identifier');
  generateData(scale, database).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
