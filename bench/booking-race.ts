/**
 * `npm run bench:race`: 10,000 booking attempts in 100 rounds of 100 concurrent requests, each
 * round fighting over one time, against the built service on PostgreSQL; then a self-join
 * checks that no two confirmed bookings of a consultant overlap.
 *
 * Rounds cycle through the three ways to ask for a time:
 *   - the same one-time slot, by availability_id;
 *   - 100 different one-hour intervals (starts 20 s apart) inside a weekly window, all overlapping;
 *   - the same consultant-local date and times inside a weekly window.
 * Expected: exactly one 201 per round, every other answer a 409, no 5xx.
 *
 * Flags: --rounds=100 --concurrency=100 --database=cc_bench_race (dropped and created anew).
 */
import { ADMIN_TOKEN, databaseUrl, flags, fmt, LOAD_ENV, startServer, withClient } from './common';

const args = flags();
const ROUNDS = Number(args.get('rounds') ?? 100);
const CONCURRENCY = Number(args.get('concurrency') ?? 100);
const DATABASE = String(args.get('database') ?? 'cc_bench_race');
const ZONE = 'America/New_York';
const FIRST_DAY = '2031-03-03';

type Reply = { status: number; body: any };

async function main(): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(DATABASE)) throw new Error('--database must be a plain lower-case identifier');
  await withClient(databaseUrl('postgres'), async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${DATABASE}`);
  });
  const server = await startServer({
    DATABASE_URL: databaseUrl(DATABASE),
    ...LOAD_ENV,
    MIGRATIONS_RUN: 'true',
  });
  const call = async (method: string, path: string, token: string | undefined, body?: unknown): Promise<Reply> => {
    const response = await fetch(server.url + path, {
      method,
      headers: {
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON; keep the text
    }
    return { status: response.status, body: parsed };
  };
  const must = async (what: string, reply: Promise<Reply>, status = 201): Promise<any> => {
    const r = await reply;
    if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  let failed: boolean;
  try {
    const consultant = await must(
      'create consultant',
      call('POST', '/consultants', ADMIN_TOKEN, { first_name: 'Race', last_name: 'Track', timezone: ZONE }),
    );
    const users: { id: number; api_token: string }[] = [];
    for (let i = 0; i < CONCURRENCY; i++)
      users.push(
        await must('create user', call('POST', '/users', undefined, { first_name: 'Racer', last_name: `No ${i}` })),
      );
    for (let day = 0; day < 7; day++) {
      await must(
        'weekly rule',
        call('POST', `/consultants/${consultant.id}/recurring`, consultant.api_token, {
          day_of_week: day,
          start_time: '08:00',
          end_time: '20:00',
        }),
      );
    }

    const tally: Record<string, number> = {};
    const deviations: string[] = [];
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      const date = new Date(Date.parse(FIRST_DAY) + round * 86_400_000).toISOString().slice(0, 10);
      const mode = round % 3;
      let bodies: Record<string, unknown>[];
      if (mode === 0) {
        const slot = await must(
          'one-time slot',
          call('POST', `/consultants/${consultant.id}/availabilities`, consultant.api_token, {
            date,
            start_time: '21:00',
            end_time: '22:00',
          }),
        );
        bodies = Array.from({ length: CONCURRENCY }, () => ({ availability_id: slot.id }));
      } else if (mode === 1) {
        // 10:00 in New York, whatever its offset that day; every pair of these hours overlaps.
        const base = Date.parse(`${date}T10:00:00Z`) + (await offsetMs(date));
        bodies = Array.from({ length: CONCURRENCY }, (_, i) => ({
          start: new Date(base + i * 20_000).toISOString(),
          end: new Date(base + i * 20_000 + 3_600_000).toISOString(),
        }));
      } else {
        bodies = Array.from({ length: CONCURRENCY }, () => ({ date, start_time: '14:00', end_time: '14:45' }));
      }
      const replies = await Promise.all(
        bodies.map((body, i) =>
          call('POST', '/bookings', users[i].api_token, { consultant_id: consultant.id, ...body }),
        ),
      );
      const counts: Record<string, number> = {};
      for (const r of replies) counts[r.status] = (counts[r.status] ?? 0) + 1;
      for (const [status, n] of Object.entries(counts)) tally[status] = (tally[status] ?? 0) + n;
      if (counts[201] !== 1 || counts[409] !== CONCURRENCY - 1) {
        const odd = replies.find((r) => r.status !== 201 && r.status !== 409);
        deviations.push(
          `round ${round} (${['slot', 'overlapping intervals', 'same local time'][mode]}, ${date}): ${JSON.stringify(counts)}${odd ? ` e.g. ${JSON.stringify(odd.body)}` : ''}`,
        );
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const attempts = ROUNDS * CONCURRENCY;
    const serverErrors = Object.entries(tally)
      .filter(([s]) => Number(s) >= 500)
      .reduce((sum, [, n]) => sum + n, 0);

    const check = await withClient(databaseUrl(DATABASE), async (db) => {
      const overlapping = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM bookings a JOIN bookings b
            ON a.consultant_id = b.consultant_id AND a.id < b.id AND a.during && b.during
         WHERE a.status = 'confirmed' AND b.status = 'confirmed'`,
      );
      const confirmed = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM bookings WHERE status = 'confirmed'`,
      );
      return { overlapping: overlapping.rows[0].n, confirmed: confirmed.rows[0].n };
    });

    console.log(
      `Booking race: ${fmt(attempts)} attempts in ${ROUNDS} rounds of ${CONCURRENCY} concurrent requests, ${seconds.toFixed(1)} s (${fmt(attempts / seconds)} attempts/s)`,
    );
    console.log(
      `  tally: ${Object.entries(tally)
        .sort()
        .map(([s, n]) => `${s}: ${fmt(n)}`)
        .join(', ')}`,
    );
    console.log(
      `  rounds with exactly one 201 and ${CONCURRENCY - 1} × 409: ${ROUNDS - deviations.length} of ${ROUNDS}`,
    );
    for (const d of deviations.slice(0, 20)) console.log(`    ${d}`);
    console.log(`  5xx: ${serverErrors}`);
    console.log(
      `  confirmed bookings: ${check.confirmed} (expected ${ROUNDS}); overlapping confirmed pairs (self-join): ${check.overlapping}`,
    );
    failed = deviations.length > 0 || serverErrors > 0 || check.overlapping !== 0 || check.confirmed !== ROUNDS;
    console.log(
      failed ? 'FAILED' : 'OK: one winner per contested time, every loser a 409, no 5xx, no overlap in the database',
    );
  } finally {
    const code = await server.stop();
    if (code !== 0) {
      console.log(`server exited with ${code} on SIGTERM`);
      failed = true;
    }
    await withClient(databaseUrl('postgres'), (c) => c.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`));
  }
  process.exit(failed ? 1 : 0);
}

/** What to add to `${date}T10:00:00Z` to get 10:00 in the consultant's zone that day, in ms. */
async function offsetMs(date: string): Promise<number> {
  return withClient(databaseUrl(DATABASE), async (db) => {
    const { rows } = await db.query<{ at: Date }>(`SELECT ($1::date + time '10:00') AT TIME ZONE $2 AS at`, [
      date,
      ZONE,
    ]);
    return rows[0].at.getTime() - Date.parse(`${date}T10:00:00Z`);
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
