import { warnSkipping } from '../support/postgres-server';
import { Client } from 'pg';
import { createConsultant, createUser, type Created } from '../support/factories';
import { Http } from '../support/http';
import { serverUrl, startTestApp, TestApp } from '../support/test-app';

const ATTEMPTS = 100;

// PGlite runs one statement at a time, so a race there proves nothing: these need a real server.
if (!serverUrl) warnSkipping('booking-race', 'concurrency tests need PostgreSQL; set DATABASE_URL to run them');
const describeOnPostgres = serverUrl ? describe : describe.skip;

describeOnPostgres('booking races against PostgreSQL', () => {
  let t: TestApp;
  let http: Http;
  let consultant: Created;
  let users: Created[];

  beforeAll(async () => {
    t = await startTestApp({ env: { DATABASE_POOL_SIZE: '20' } });
    http = new Http(t.app);
    consultant = await createConsultant(http, { timezone: 'America/New_York' });
    users = await Promise.all(Array.from({ length: 10 }, () => createUser(http)));
    const rule = await http
      .as(consultant.token)
      .post(`/consultants/${consultant.id}/recurring`, { day: 'Tue', start_time: '08:00', end_time: '20:00' });
    expect(rule).toHaveStatus(201);
    // Ten users at one address win many times each: the race is about overlaps, not a client's share.
    const policy = { max_client_share_minutes: null, max_booking_minutes: null };
    expect(await http.as(consultant.token).put(`/consultants/${consultant.id}/policy`, policy)).toHaveStatus(200);
  });
  afterAll(() => t?.close());

  async function race(bodies: Record<string, unknown>[]): Promise<Record<number, number>> {
    const replies = await Promise.all(
      bodies.map((body, i) =>
        http.as(users[i % users.length].token).post('/bookings', { consultant_id: consultant.id, ...body }),
      ),
    );
    const tally: Record<number, number> = {};
    for (const r of replies) tally[r.status] = (tally[r.status] ?? 0) + 1;
    return tally;
  }

  it(`gives one slot to exactly one of ${ATTEMPTS} parallel attempts`, async () => {
    const slot = await http.as(consultant.token).post(`/consultants/${consultant.id}/availabilities`, {
      date: '2031-01-06',
      start_time: '10:00',
      end_time: '11:00',
    });
    expect(slot).toHaveStatus(201);
    expect(await race(Array.from({ length: ATTEMPTS }, () => ({ availability_id: slot.body.id })))).toEqual({
      201: 1,
      409: ATTEMPTS - 1,
    });
  });

  it(`lets exactly one of ${ATTEMPTS} partially overlapping intervals in a weekly window win`, async () => {
    // Starts 20 s apart, an hour long: every pair overlaps.
    const base = Date.parse('2031-01-07T15:00:00Z');
    const bodies = Array.from({ length: ATTEMPTS }, (_, i) => ({
      start: new Date(base + i * 20_000).toISOString(),
      end: new Date(base + i * 20_000 + 3_600_000).toISOString(),
    }));
    expect(await race(bodies)).toEqual({ 201: 1, 409: ATTEMPTS - 1 });
  });

  it(`gives one recurring-window time to exactly one of ${ATTEMPTS} parallel attempts`, async () => {
    const bodies = Array.from({ length: ATTEMPTS }, () => ({
      date: '2031-01-14',
      start_time: '09:00',
      end_time: '09:45',
    }));
    expect(await race(bodies)).toEqual({ 201: 1, 409: ATTEMPTS - 1 });
  });

  it('accepts every one of many parallel bookings that do not overlap', async () => {
    const bodies = Array.from({ length: 40 }, (_, i) => ({
      start: new Date(Date.parse('2031-01-21T13:00:00Z') + i * 15 * 60_000).toISOString(),
      end: new Date(Date.parse('2031-01-21T13:00:00Z') + (i + 1) * 15 * 60_000).toISOString(),
    }));
    expect(await race(bodies)).toEqual({ 201: 40 });
  });

  it('leaves no two overlapping confirmed bookings in the database, and one row for each 201', async () => {
    // A race of its own on a Tuesday of its own: overlapping and disjoint half hours at once.
    const base = Date.parse('2031-01-28T13:00:00Z');
    const bodies = Array.from({ length: ATTEMPTS }, (_, i) => ({
      start: new Date(base + (i % 20) * 10 * 60_000).toISOString(),
      end: new Date(base + (i % 20) * 10 * 60_000 + 30 * 60_000).toISOString(),
    }));
    const tally = await race(bodies);
    expect(Object.keys(tally).filter((status) => status !== '201' && status !== '409')).toEqual([]);
    const client = new Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM bookings a JOIN bookings b ON a.consultant_id = b.consultant_id AND a.id < b.id AND a.during && b.during WHERE a.status = 'confirmed' AND b.status = 'confirmed'`,
      );
      expect(rows[0].n).toBe(0);
      const { rows: ours } = await client.query(
        `SELECT count(*)::int AS n FROM bookings WHERE status = 'confirmed' AND consultant_id = $1 AND during && tstzrange($2, $3)`,
        [consultant.id, new Date(base).toISOString(), new Date(base + 4 * 3_600_000).toISOString()],
      );
      expect(ours[0].n).toBe(tally[201]);
    } finally {
      await client.end();
    }
  });
});
