import { Client } from 'pg';
import { createConsultant, createUser, type Created } from '../support/factories';
import { Http, type Reply } from '../support/http';
import { warnSkipping } from '../support/postgres-server';
import { serverUrl, startTestApp, TestApp } from '../support/test-app';

const ATTEMPTS = 100;
const MINUTE = 60_000;

// PGlite runs one statement at a time, so a race there proves nothing: these need a real server.
if (!serverUrl) warnSkipping('holds-race', 'concurrency tests need PostgreSQL; set DATABASE_URL to run them');
const describeOnPostgres = serverUrl ? describe : describe.skip;

describeOnPostgres('holds and buffered bookings racing against PostgreSQL', () => {
  let t: TestApp;
  let http: Http;
  let db: Client;
  let consultant: Created;
  let users: Created[];

  beforeAll(async () => {
    t = await startTestApp({ env: { DATABASE_POOL_SIZE: '20', MAX_HOLDS_PER_USER: '100' } });
    http = new Http(t.app);
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    consultant = await createConsultant(http);
    users = await Promise.all(Array.from({ length: 10 }, () => createUser(http)));
    for (const day of ['Mon', 'Tue', 'Wed'])
      expect(
        await http
          .as(consultant.token)
          .post(`/consultants/${consultant.id}/recurring`, { day, start_time: '06:00', end_time: '22:00' }),
      ).toHaveStatus(201);
    expect(
      await http
        .as(consultant.token)
        // Ten users at one address hold and book many times each: the race is about overlaps, not
        // a client's share.
        .put(`/consultants/${consultant.id}/policy`, {
          buffer_before_minutes: 10,
          buffer_after_minutes: 20,
          max_client_share_minutes: null,
        }),
    ).toHaveStatus(200);
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  const tally = (replies: Reply[]) => {
    const counts: Record<number, number> = {};
    for (const r of replies) counts[r.status] = (counts[r.status] ?? 0) + 1;
    return counts;
  };
  const interval = (start: number, minutes: number) => ({
    consultant_id: consultant.id,
    start: new Date(start).toISOString(),
    end: new Date(start + minutes * MINUTE).toISOString(),
  });

  /** Pairs of rows that block time at once (confirmed bookings, holds not marked expired) and overlap. */
  async function overlappingBlockedPairs(): Promise<number> {
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM bookings a JOIN bookings b ON a.consultant_id = b.consultant_id AND a.id < b.id
        WHERE a.status IN ('confirmed', 'held') AND b.status IN ('confirmed', 'held')
          AND tstzrange(a.blocked_start_at, a.blocked_end_at) && tstzrange(b.blocked_start_at, b.blocked_end_at)`,
    );
    return rows[0].n;
  }

  it(`${ATTEMPTS} parallel holds and bookings on overlapping buffered intervals: no overlap, no 5xx`, async () => {
    // Starts 5 minutes apart over 8 hours, 25 to 60 minutes long, buffers 10 before and 20 after.
    const base = Date.parse('2031-01-06T08:00:00Z');
    const replies = await Promise.all(
      Array.from({ length: ATTEMPTS }, (_, i) => {
        const body = interval(base + ((i * 37) % 96) * 5 * MINUTE, 25 + ((i * 13) % 36));
        const who = http.as(users[i % users.length].token);
        return i % 2 ? who.post('/holds', body) : who.post('/bookings', body);
      }),
    );
    const counts = tally(replies);
    expect(Object.keys(counts).filter((status) => !['201', '409'].includes(status))).toStrictEqual([]);
    expect(counts[201]).toBeGreaterThan(1);
    expect(await overlappingBlockedPairs()).toBe(0);
  });

  it('a hold that expires during a race: refused while it lives, exactly one booking once it is gone', async () => {
    const body = interval(Date.parse('2031-01-07T10:00:00Z'), 60);
    const h = await http.as(users[0].token).post('/holds', body);
    expect(h).toHaveStatus(201);
    const attempt = (i: number) => {
      const who = http.as(users[1 + (i % (users.length - 1))].token);
      return i % 2 ? who.post('/holds', body) : who.post('/bookings', body);
    };
    const wave = () => Promise.all(Array.from({ length: ATTEMPTS / 2 }, (_, i) => attempt(i)));
    // While the hold lives, every attempt is refused.
    expect(tally(await wave())).toStrictEqual({ 409: ATTEMPTS / 2 });
    // It expires (by the database's clock) in the middle of the next wave.
    const racing = wave();
    await db.query(`UPDATE bookings SET expires_at = clock_timestamp() WHERE id = $1`, [h.body.id]);
    const during = tally(await racing);
    const afterwards = tally(await wave());
    expect(Object.keys(during).filter((status) => !['201', '409'].includes(status))).toStrictEqual([]);
    expect(Object.keys(afterwards).filter((status) => !['201', '409'].includes(status))).toStrictEqual([]);
    // Exactly one winner over both waves: once the hold expired, one booking or hold took the time.
    expect((during[201] ?? 0) + (afterwards[201] ?? 0)).toBe(1);
    const late = await http.as(users[0].token).post('/bookings', { hold_id: h.body.id });
    expect(late.body.type).toBe('/problems/hold-expired');
    expect(await overlappingBlockedPairs()).toBe(0);
  });

  it("booking from a hold against other users' bookings of the same time: the holder wins", async () => {
    const body = interval(Date.parse('2031-01-08T12:00:00Z'), 30);
    const h = await http.as(users[0].token).post('/holds', body);
    expect(h).toHaveStatus(201);
    const replies = await Promise.all([
      http.as(users[0].token).post('/bookings', { hold_id: h.body.id }),
      ...Array.from({ length: 30 }, (_, i) =>
        http.as(users[1 + (i % (users.length - 1))].token).post('/bookings', body),
      ),
    ]);
    expect(replies[0]).toHaveStatus(201);
    expect(replies[0].body.id).toBe(h.body.id);
    expect(tally(replies.slice(1))).toStrictEqual({ 409: 30 });
    expect(await overlappingBlockedPairs()).toBe(0);
  });
});
