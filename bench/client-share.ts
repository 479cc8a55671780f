/**
 * How much of a consultant's week one client address can take (issue 22, finding 2).
 *
 *   npm run build && node dist/bench/client-share.js [--pg]
 *
 * The service runs as `npm start` runs it, with every default but the proxy setting: the attacker
 * speaks through a proxy on loopback (`TRUST_PROXY=127.0.0.1`) as one client address, and the
 * counting is done from another. A consultant with a Mon–Sun 09:00–17:00 schedule and no policy
 * (so the defaults) is attacked by one address: it signs up as many accounts as it is allowed,
 * then, account after account, holds and books the longest interval the policy allows at every
 * free hour of the next 7 days, and stretches every booking it got with reschedules, until every
 * attempt is refused. Then the next 56 bookable hours (the week's window time, from the next
 * whole hour of window time on) are counted: those still free for another client, and those the
 * attacker made unbookable. Prints one line, the figure for bench/RESULTS.md.
 */
import { ADMIN_TOKEN, databaseUrl, flags, startServer, withClient } from './common';

const ATTACKER = '203.0.113.7';
const HOUR = 3_600_000;

async function main() {
  const options = flags();
  const database = `cc_client_share_${process.pid}`;
  const pg = options.has('pg');
  if (pg) await withClient(databaseUrl('postgres'), (c) => c.query(`CREATE DATABASE ${database}`));
  const server = await startServer(
    {
      ADMIN_TOKEN,
      TRUST_PROXY: '127.0.0.1',
      LOG_LEVEL: 'warn',
      MICROSERVICE_URL: 'off',
      ...(pg ? { DATABASE_URL: databaseUrl(database) } : { DATA_DIR: 'memory://' }),
    },
    { nodeArgs: ['--max-old-space-size=160'] },
  );
  try {
    const call = async (method: string, path: string, body?: unknown, token?: string, from = ATTACKER) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          'x-forwarded-for': from,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    const consultant = await call('POST', '/consultants', { first_name: 'Ada', last_name: 'Week' }, ADMIN_TOKEN);
    const consultantId = consultant.body.id as number;
    const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
    await call(
      'PUT',
      `/consultants/${consultantId}/weekly-schedule`,
      { availability: days.map((day) => ({ day, start_time: '09:00', end_time: '17:00' })) },
      ADMIN_TOKEN,
    );

    // The week's window time, hour by hour (UTC, the consultant's zone by default), from the next
    // whole hour on.
    const firstHour = Math.ceil(Date.now() / HOUR) * HOUR;
    const windowHours: number[] = [];
    for (let t = firstHour; windowHours.length < 56; t += HOUR) {
      const hour = new Date(t).getUTCHours();
      if (hour >= 9 && hour < 17) windowHours.push(t);
    }

    const tokens: string[] = [];
    for (;;) {
      const signup = await call('POST', '/users', { first_name: 'Eve', last_name: `No${tokens.length}` });
      if (signup.status !== 201) break;
      tokens.push(signup.body.api_token as string);
    }

    const counts = new Map<string, number>();
    const tally = (answer: { status: number; body: Record<string, unknown> }) => {
      const key = `${answer.status}${answer.status >= 400 ? ` ${String(answer.body.type).replace('/problems/', '')}` : ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    };
    const booked: { id: number; token: string; day: number }[] = [];
    const covered = new Set<number>();
    let next = 0; // the account whose turn it is; one refused for its share is dropped
    const accounts = [...tokens];
    let asHold = true;
    attack: for (const hour of windowHours) {
      if (covered.has(hour)) continue;
      const dayEnd = Math.floor(hour / (24 * HOUR)) * 24 * HOUR + 17 * HOUR;
      // The longest the schedule allows first, then shorter, until the policy takes it.
      for (let length = dayEnd - hour; length >= HOUR && accounts.length > 0;) {
        const token = accounts[next % accounts.length];
        const ask = {
          consultant_id: consultantId,
          start: new Date(hour).toISOString(),
          end: new Date(hour + length).toISOString(),
        };
        const answer = asHold
          ? await call('POST', '/holds', { ...ask, hold_minutes: 60 }, token)
          : await call('POST', '/bookings', ask, token);
        tally(answer);
        const type = String(answer.body.type ?? '');
        if (answer.status === 429) break attack;
        if (answer.status === 201) {
          if (!asHold) booked.push({ id: answer.body.id as number, token, day: dayEnd - 8 * HOUR });
          for (let t = hour; t < hour + length; t += HOUR) covered.add(t);
          asHold = !asHold;
          next++;
          break;
        }
        if (type.endsWith('too-long')) length -= HOUR;
        else if (answer.status === 422)
          accounts.splice(next % accounts.length, 1); // this account is spent
        else break; // taken: the next hour
      }
    }
    // Each booking stretched over its whole day's window.
    for (const { id, token, day } of booked) {
      const whole = { start: new Date(day).toISOString(), end: new Date(day + 8 * HOUR).toISOString() };
      tally(await call('POST', `/bookings/${id}/reschedule`, whole, token));
    }

    // Free hours for someone else, as the public view shows them.
    const view = await call(
      'GET',
      `/availabilities/timerange?consultant_id=${consultantId}&start=${new Date(firstHour).toISOString()}&end=${new Date(windowHours[55] + HOUR).toISOString()}&slot_minutes=60`,
      undefined,
      undefined,
      '198.51.100.9',
    );
    const slots = ((view.body.data as { slots: { start: string }[] }[])[0]?.slots ?? []).map((s) =>
      Date.parse(s.start),
    );
    const free = windowHours.filter((h) => slots.includes(h)).length;
    const answers = [...counts].map(([status, n]) => `${n} × ${status}`).join(', ');
    console.log(
      `one address, ${tokens.length} accounts: ${56 - free} of the next 56 bookable hours made unbookable (${free} free); attempts answered ${answers}; ${pg ? 'PostgreSQL' : 'embedded'}`,
    );
  } finally {
    await server.stop();
    if (pg) await withClient(databaseUrl('postgres'), (c) => c.query(`DROP DATABASE IF EXISTS ${database}`));
  }
}

void main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
