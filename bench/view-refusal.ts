/**
 * What a refused calendar view costs the service, against the largest view it serves (issue 22,
 * finding 5): one consultant free all day, every day; the 92-day view in 5-minute slots (26,404
 * slots, refused with 400 response-too-large) against the 17-day one (4,879 slots, the largest
 * whole-day view under the 5,000 ceiling). The service runs as `npm start` runs it, on the
 * embedded database; each kind of request is sent `--requests` times (default 200) one after
 * another, each over a range not asked before (none is served from the views kept by version),
 * and the service process's CPU time (utime + stime from /proc) is divided by the count.
 *
 * Also the floor: the same request with `slot_minutes=x`, refused by the query's validation
 * before the service reads anything.
 *
 * With --postgres, on a fresh database of BENCH_PG_URL's server instead, whose work then is not
 * counted as the service's.
 *
 *   npm run bench:views [-- --requests 200] [--postgres]
 */
import { ADMIN_TOKEN, databaseUrl, flags, fmt, processCpuSeconds, startServer, withClient } from './common';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

async function main(): Promise<void> {
  const options = flags();
  const requests = Number(options.get('requests') ?? 200);
  // --postgres: a fresh database on BENCH_PG_URL's server, whose work is then not the service's CPU.
  const database = options.has('postgres') ? databaseUrl('bench_view_refusal') : undefined;
  if (database)
    await withClient(databaseUrl('postgres'), async (client) => {
      await client.query('DROP DATABASE IF EXISTS bench_view_refusal');
      await client.query('CREATE DATABASE bench_view_refusal');
    });
  const server = await startServer(
    {
      ADMIN_TOKEN,
      DATA_DIR: 'memory://',
      DATABASE_URL: database,
      LOG_LEVEL: 'warn',
      MICROSERVICE_URL: 'off',
      RATE_LIMIT_PER_MINUTE: '1000000',
    },
    { nodeArgs: ['--max-old-space-size=160'] },
  );
  try {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const consultant = (await (
      await fetch(`${server.url}/consultants`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ first_name: 'All', last_name: 'Day', timezone: 'UTC' }),
      })
    ).json()) as { id: number };
    const schedule = await fetch(`${server.url}/consultants/${consultant.id}/weekly-schedule`, {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify({ availability: DAYS.map((day) => ({ day, start_time: '00:00', end_time: '23:55' })) }),
    });
    if (schedule.status !== 200) throw new Error(`weekly schedule: ${schedule.status}`);
    /** `days` whole days from the `offset`-th day after 2031-01-01: a new range each time is never a kept view. */
    const view = (offset: number, days: number, slotMinutes = '5') => {
      const day = (n: number) => new Date(Date.UTC(2031, 0, 1 + n)).toISOString().slice(0, 10);
      return `${server.url}/availabilities/timerange/?consultant_id=${consultant.id}&start=${day(offset)}&end=${day(offset + days - 1)}&slot_minutes=${slotMinutes}`;
    };
    let offset = 0;

    /** Sends one request after another; resolves with the service's CPU milliseconds per request. */
    const cpuPerRequest = async (days: number, status: number, slotMinutes?: string): Promise<number> => {
      const before = processCpuSeconds(server.pid);
      for (let i = 0; i < requests; i++) {
        const res = await fetch(view(offset++, days, slotMinutes));
        await res.arrayBuffer();
        if (res.status !== status) throw new Error(`${days} days: ${res.status}, expected ${status}`);
      }
      return ((processCpuSeconds(server.pid) - before) * 1000) / requests;
    };
    // Warm-up first: compiled code paths. Every range is new, so no answer is served kept.
    await cpuPerRequest(92, 400);
    await cpuPerRequest(17, 200);
    await cpuPerRequest(92, 400, 'x');
    const refused = await cpuPerRequest(92, 400);
    const served = await cpuPerRequest(17, 200);
    // The floor: the same route refused by its query's validation, before the service reads anything.
    const invalid = await cpuPerRequest(92, 400, 'x');
    console.log(
      `${database ? 'PostgreSQL' : 'embedded database'}; requests of each kind: ${requests}, one after another`,
    );
    console.log(`refusing the 92-day 5-minute view (400):   ${fmt(refused, 2)} ms CPU per request`);
    console.log(`serving the 17-day 5-minute view (4,879 slots): ${fmt(served, 2)} ms CPU per request`);
    console.log(`ratio refused / served: 1/${fmt(served / refused, 1)}`);
    console.log(
      `the same route refused by validation (slot_minutes=x, nothing read): ${fmt(invalid, 2)} ms CPU per request`,
    );
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
