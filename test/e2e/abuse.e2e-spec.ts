import { warnSkipping } from '../support/postgres-server';
// Abuse resistance (issue 16): per-address ceilings on sign-ups, failed authentication and
// bookings, TRUST_PROXY, the per-user cap under concurrency, and bounded calendar answers. Each
// limit is tested at a real, small value; startTestApp's defaults raise them for other files.
import { DataSource } from 'typeorm';
import { assertProblem, createConsultant, createUser, type Created } from '../support/factories';
import { Http, type Reply } from '../support/http';
import { ADMIN_TOKEN, serverUrl, startTestApp, type TestApp } from '../support/test-app';

/** A 429 with its own problem type and a Retry-After within the budget's window. */
function assertRefused(res: Reply, type: string, windowSeconds: number): void {
  assertProblem(res, 429);
  expect(res.body.type).toBe(type);
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
}

const count = async (t: TestApp, sql: string, params: unknown[] = []): Promise<number> =>
  Number((await t.app.get(DataSource).query<{ n: string }[]>(sql, params))[0].n);

const signUp = (t: TestApp, address: string, headers: Record<string, string> = {}, path = '/users') =>
  new Http(t.app).from(address).post(path, { first_name: 'Sign', last_name: 'Up' }, headers);

/** A one-time slot an hour long on a far-future day, for booking by availability_id. */
async function slotOf(http: Http, consultant: Created, day: number): Promise<number> {
  const date = `2031-03-${String(day).padStart(2, '0')}`;
  const res = await http
    .as(consultant.token)
    .post(`/consultants/${consultant.id}/availabilities`, { date, start_time: '09:00', end_time: '10:00' });
  expect(res).toHaveStatus(201);
  return res.body.id;
}

describe('sign-ups per client address (SIGNUPS_PER_IP_PER_HOUR)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SIGNUPS_PER_IP_PER_HOUR: '3' } });
  });
  afterAll(() => t.close());

  it('allows the limit across both sign-up routes, then refuses with 429 signup-limit and writes nothing', async () => {
    for (const path of ['/users', '/user/', '/users'])
      expect(await signUp(t, '198.51.100.7', {}, path)).toHaveStatus(201);
    const users = await count(t, 'SELECT count(*) AS n FROM users');
    for (const path of ['/users', '/user/']) {
      const refused = await signUp(t, '198.51.100.7', {}, path);
      assertRefused(refused, '/problems/signup-limit', 3600);
      expect(refused.body.detail).toMatch(/3 sign-up attempts/);
    }
    expect(await count(t, 'SELECT count(*) AS n FROM users')).toBe(users);
  });

  it('counts each address on its own, and never limits the admin creating consultants', async () => {
    expect(await signUp(t, '198.51.100.8')).toHaveStatus(201);
    for (let i = 0; i < 5; i++) {
      const res = await new Http(t.app)
        .from('198.51.100.7')
        .as(ADMIN_TOKEN)
        .post('/consultants', { first_name: 'By', last_name: `Admin${i}` });
      expect(res).toHaveStatus(201);
    }
  });

  it('keeps counting an IPv6 client by its /64, so rotating the host part gives no fresh budget', async () => {
    for (let i = 1; i <= 3; i++) expect(await signUp(t, `2001:db8:1:2::${i}`)).toHaveStatus(201);
    assertRefused(await signUp(t, '2001:db8:1:2:ffff::9'), '/problems/signup-limit', 3600);
    expect(await signUp(t, '2001:db8:1:3::1')).toHaveStatus(201);
  });
});

describe('failed authentication per client address (FAILED_AUTH_PER_IP_PER_MINUTE)', () => {
  const LIMIT = 5;
  let t: TestApp;
  let http: Http;
  let user: Created;
  let consultant: Created;
  beforeAll(async () => {
    t = await startTestApp({ env: { FAILED_AUTH_PER_IP_PER_MINUTE: String(LIMIT) } });
    http = new Http(t.app);
    user = await createUser(http);
    consultant = await createConsultant(http);
  });
  afterAll(() => t.close());

  it('counts missing, malformed and unknown tokens alike, then answers 429 auth-failures', async () => {
    const address = '203.0.113.10';
    const failures = [
      await http.from(address).get('/me'),
      await http.from(address).get('/me', { authorization: 'Basic dXNlcjpwYXNz' }),
      await http.from(address).as('cc_u_made-up-1').get('/me'),
      await http.from(address).as('cc_c_made-up-2').get('/consultants'),
      await http.from(address).as('no-prefix-at-all').get('/me'),
    ];
    for (const res of failures) assertProblem(res, 401);
    assertRefused(await http.from(address).as('cc_u_made-up-3').get('/me'), '/problems/auth-failures', 60);
    assertRefused(await http.from(address).get('/me'), '/problems/auth-failures', 60);
  });

  it('refuses a spent address before looking the token up', async () => {
    const address = '203.0.113.11';
    for (let i = 0; i < LIMIT; i++) assertProblem(await http.from(address).as(`cc_u_guess-${i}`).get('/me'), 401);
    // The failure that passes the budget is known only by its lookup; it is the last one looked up.
    assertRefused(await http.from(address).as('cc_u_guess-over').get('/me'), '/problems/auth-failures', 60);
    const query = jest.spyOn(t.app.get(DataSource), 'query');
    try {
      for (let i = 0; i < 20; i++)
        assertRefused(await http.from(address).as(`cc_u_guess-more-${i}`).get('/me'), '/problems/auth-failures', 60);
      expect(query.mock.calls.filter(([sql]) => /api_token_hash/.test(String(sql)))).toEqual([]);
    } finally {
      query.mockRestore();
    }
  });

  it("leaves a recognised token's own budget, other addresses and public reads alone", async () => {
    const address = '203.0.113.12';
    // Seen once, so the token is known without a lookup.
    expect(await http.from(address).as(user.token).get('/me')).toHaveStatus(200);
    for (let i = 0; i <= LIMIT; i++) await http.from(address).as(`cc_u_nope-${i}`).get('/me');
    assertRefused(await http.from(address).as('cc_u_nope-x').get('/me'), '/problems/auth-failures', 60);
    expect(await http.from(address).as(user.token).get('/me')).toHaveStatus(200);
    // The admin's token is refused there like any guess: a 429 says nothing about a token.
    assertRefused(await http.from(address).as(ADMIN_TOKEN).get('/me'), '/problems/auth-failures', 60);
    expect(await http.from(address).get('/consultants')).toHaveStatus(200);
    expect(await http.from('203.0.113.13').as(consultant.token).get('/me')).toHaveStatus(200);
    assertProblem(await http.from('203.0.113.13').as('cc_u_other').get('/me'), 401);
  });

  it('does not count a valid token that is refused for lack of rights (403)', async () => {
    const address = '203.0.113.14';
    for (let i = 0; i < LIMIT * 2; i++)
      assertProblem(
        await http.from(address).as(user.token).post('/consultants', { first_name: 'Not', last_name: 'Allowed' }),
        403,
      );
    assertProblem(await http.from(address).as('cc_u_first-failure').get('/me'), 401);
  });
});

describe('bookings per client address (BOOKINGS_PER_IP_PER_HOUR)', () => {
  const LIMIT = 3;
  let t: TestApp;
  let http: Http;
  let consultant: Created;
  beforeAll(async () => {
    t = await startTestApp({ env: { BOOKINGS_PER_IP_PER_HOUR: String(LIMIT) } });
    http = new Http(t.app);
    consultant = await createConsultant(http);
  });
  afterAll(() => t.close());

  it('limits booking attempts from one address across fresh accounts and both routes, writing nothing over it', async () => {
    const spent = http.from('192.0.2.20');
    for (let i = 0; i < LIMIT; i++) {
      const user = spent.as((await createUser(http)).token);
      const slot = await slotOf(http, consultant, i + 1);
      const path = i % 2 === 0 ? '/bookings' : `/consultant/${consultant.id}/reserve/`;
      expect(await user.post(path, { availability_id: slot })).toHaveStatus(201);
    }
    const fresh = await createUser(http);
    const slot = await slotOf(http, consultant, 10);
    const bookings = await count(t, 'SELECT count(*) AS n FROM bookings');
    const refused = await spent.as(fresh.token).post('/bookings', { availability_id: slot });
    assertRefused(refused, '/problems/booking-rate', 3600);
    expect(refused.body.detail).toMatch(/3 booking attempts/);
    expect(await count(t, 'SELECT count(*) AS n FROM bookings')).toBe(bookings);
    expect(await count(t, 'SELECT count(*) AS n FROM availabilities WHERE id = $1 AND is_booked', [slot])).toBe(0);

    // Another address books the same slot; the admin books from the spent address.
    expect(await http.from('192.0.2.21').as(fresh.token).post('/bookings', { availability_id: slot })).toHaveStatus(
      201,
    );
    for (let i = 0; i < LIMIT + 2; i++) {
      const other = await slotOf(http, consultant, 11 + i);
      expect(await spent.as(ADMIN_TOKEN).post('/bookings', { availability_id: other, user_id: fresh.id })).toHaveStatus(
        201,
      );
    }
  });
  it('counts hold attempts against the same budget, writing nothing over it', async () => {
    const spent = http.from('192.0.2.30');
    for (let i = 0; i < LIMIT; i++) {
      const user = spent.as((await createUser(http)).token);
      const path = i % 2 === 0 ? '/holds' : '/bookings';
      expect(await user.post(path, { availability_id: await slotOf(http, consultant, 20 + i) })).toHaveStatus(201);
    }
    const slot = await slotOf(http, consultant, 30);
    const rows = await count(t, 'SELECT count(*) AS n FROM bookings');
    const refused = await spent.as((await createUser(http)).token).post('/holds', { availability_id: slot });
    assertRefused(refused, '/problems/booking-rate', 3600);
    expect(await count(t, 'SELECT count(*) AS n FROM bookings')).toBe(rows);
  });
});

describe('TRUST_PROXY', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('off (the default): a forged X-Forwarded-For gives no fresh budget', async () => {
    t = await startTestApp({ env: { SIGNUPS_PER_IP_PER_HOUR: '2' } });
    expect(await signUp(t, '127.0.0.1', { 'x-forwarded-for': '1.1.1.1' })).toHaveStatus(201);
    expect(await signUp(t, '127.0.0.1', { 'x-forwarded-for': '2.2.2.2' })).toHaveStatus(201);
    assertRefused(await signUp(t, '127.0.0.1', { 'x-forwarded-for': '3.3.3.3' }), '/problems/signup-limit', 3600);
  });

  it('a hop count: the address that many hops from the right is the client, whatever it prepends', async () => {
    t = await startTestApp({ env: { SIGNUPS_PER_IP_PER_HOUR: '1', TRUST_PROXY: '1' } });
    expect(await signUp(t, '10.0.0.1', { 'x-forwarded-for': '6.6.6.6, 7.7.7.7' })).toHaveStatus(201);
    assertRefused(
      await signUp(t, '10.0.0.1', { 'x-forwarded-for': '5.5.5.5, 7.7.7.7' }),
      '/problems/signup-limit',
      3600,
    );
    expect(await signUp(t, '10.0.0.1', { 'x-forwarded-for': '7.7.7.8' })).toHaveStatus(201);
  });

  it('a list of proxies: the first untrusted address from the right is the client; a direct client is its socket', async () => {
    t = await startTestApp({ env: { SIGNUPS_PER_IP_PER_HOUR: '1', TRUST_PROXY: '10.0.0.0/8, 192.0.2.1' } });
    expect(await signUp(t, '10.0.0.1', { 'x-forwarded-for': '9.9.9.9, 192.0.2.1, 10.0.0.2' })).toHaveStatus(201);
    assertRefused(await signUp(t, '10.1.2.3', { 'x-forwarded-for': '9.9.9.9' }), '/problems/signup-limit', 3600);
    // Not a proxy: its X-Forwarded-For is not believed, and it counts as itself.
    expect(await signUp(t, '203.0.113.50', { 'x-forwarded-for': '9.9.9.9' })).toHaveStatus(201);
    assertRefused(await signUp(t, '203.0.113.50', { 'x-forwarded-for': '4.4.4.4' }), '/problems/signup-limit', 3600);
  });
});

describe('the per-user booking cap under concurrency (MAX_FUTURE_BOOKINGS_PER_USER)', () => {
  const run = serverUrl ? it : it.skip;
  if (!serverUrl)
    warnSkipping(
      'the per-user cap race',
      'needs PostgreSQL (DATABASE_URL); the embedded database runs one transaction at a time',
    );

  it('counts upcoming confirmed bookings only: a cancelled or ended one frees a place, a booked hold takes one', async () => {
    const t = await startTestApp({ env: { MAX_FUTURE_BOOKINGS_PER_USER: '2' } });
    try {
      const http = new Http(t.app);
      const user = await createUser(http);
      const c = await createConsultant(http);
      const slots: number[] = [];
      for (let day = 1; day <= 6; day++) slots.push(await slotOf(http, c, day));
      const book = (slot: number) => http.as(user.token).post('/bookings', { availability_id: slot });
      const first = await book(slots[0]);
      expect(first).toHaveStatus(201);
      const second = await book(slots[1]);
      expect(second).toHaveStatus(201);
      assertProblem(await book(slots[2]), 422);
      // Cancelled: a place again.
      expect(await http.as(user.token).post(`/bookings/${first.body.id}/cancel`)).toHaveStatus(200);
      expect(await book(slots[2])).toHaveStatus(201);
      assertProblem(await book(slots[3]), 422);
      // Ended (moved into the past behind the service's back): a place again, though made.
      await t.app
        .get(DataSource)
        .query(
          `UPDATE bookings SET start_at = now() - interval '2 hours', end_at = now() - interval '1 hour', blocked_start_at = now() - interval '2 hours', blocked_end_at = now() - interval '1 hour' WHERE id = $1`,
          [second.body.id],
        );
      expect(await book(slots[3])).toHaveStatus(201);
      // Full again: a hold may be taken, but booking it is refused like any booking.
      const hold = await http.as(user.token).post('/holds', { availability_id: slots[4] });
      expect(hold).toHaveStatus(201);
      const fromHold = await http.as(user.token).post('/bookings', { hold_id: hold.body.id });
      assertProblem(fromHold, 422);
      expect(fromHold.body.type).toBe('/problems/booking-limit');
      assertProblem(await book(slots[5]), 422);
      expect(
        await count(t, `SELECT count(*) AS n FROM bookings WHERE user_id = $1 AND status = 'confirmed'`, [user.id]),
      ).toBe(3);
    } finally {
      await t.close();
    }
  });

  run('lets exactly 5 of 20 parallel bookings of one user at 20 consultants through', async () => {
    const t = await startTestApp({ env: { MAX_FUTURE_BOOKINGS_PER_USER: '5', DATABASE_POOL_SIZE: '20' } });
    try {
      const http = new Http(t.app);
      const user = await createUser(http);
      const slots: number[] = [];
      for (let i = 0; i < 20; i++) slots.push(await slotOf(http, await createConsultant(http), 1));
      const replies = await Promise.all(
        slots.map((slot) => http.as(user.token).post('/bookings', { availability_id: slot })),
      );
      const statuses = replies.map((r) => r.status).sort();
      expect(statuses).toEqual([...Array(5).fill(201), ...Array(15).fill(422)]);
      for (const r of replies.filter((r) => r.status === 422)) expect(r.body.type).toBe('/problems/booking-limit');
      expect(
        await count(t, `SELECT count(*) AS n FROM bookings WHERE user_id = $1 AND status = 'confirmed'`, [user.id]),
      ).toBe(5);
      expect(await count(t, 'SELECT count(*) AS n FROM availabilities WHERE is_booked')).toBe(5);
    } finally {
      await t.close();
    }
  });
});

describe('bounded calendar answers (MAX_SLOTS_PER_RESPONSE)', () => {
  let t: TestApp;
  let http: Http;
  let around: Created[];
  beforeAll(async () => {
    t = await startTestApp();
    http = new Http(t.app);
    around = [];
    // Around the clock, every day: the most free time a consultant can publish.
    const allDay = Array.from({ length: 7 }, (_, d) => ({ day_of_week: d, start_time: '00:00', end_time: '23:59' }));
    for (let i = 0; i < 3; i++) {
      const c = await createConsultant(http, { specialization: 'around-the-clock' });
      expect(await http.as(c.token).put(`/consultants/${c.id}/weekly-schedule`, { availability: allDay })).toHaveStatus(
        200,
      );
      around.push(c);
    }
  });
  afterAll(() => t.close());

  it('refuses a 92-day view in 5-minute slots (about 26,000) with a 400 that says how to narrow it', async () => {
    const res = await http.get(
      `/availabilities/timerange?consultant_id=${around[0].id}&start=2031-01-01&end=2031-04-02&slot_minutes=5`,
    );
    assertProblem(res, 400);
    expect(res.body.type).toBe('/problems/response-too-large');
    expect(res.body.max_slots).toBe(5000);
    expect(res.body.detail).toMatch(/at most 5000.*shorter range.*slot_minutes/);
    expect(res.text.length).toBeLessThan(1000);
  });

  it('answers the same range in 30-minute slots, and a 17-day view in 5-minute slots (4,879)', async () => {
    const coarse = await http.get(
      `/availabilities/timerange?consultant_id=${around[0].id}&start=2031-01-01&end=2031-04-02&slot_minutes=30`,
    );
    expect(coarse).toHaveStatus(200);
    expect(coarse.body.data[0].slots).toHaveLength(92 * 47);
    const fine = await http.get(
      `/availabilities/timerange?consultant_id=${around[0].id}&start=2031-01-01&end=2031-01-17&slot_minutes=5`,
    );
    expect(fine).toHaveStatus(200);
    expect(fine.body.data[0].slots).toHaveLength(17 * 287);
  });

  it('ends a page of consultants before the one that would pass the ceiling, and resumes there', async () => {
    // 7 days × 287 five-minute slots = 2,009 each: two fit in 5,000, the third does not.
    const url =
      '/availabilities/timerange?specialization=around-the-clock&start=2031-01-01&end=2031-01-07&slot_minutes=5';
    const first = await http.get(url);
    expect(first).toHaveStatus(200);
    expect(first.body.data.map((d: any) => d.consultant.id)).toEqual([around[0].id, around[1].id]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const rest = await http.get(`${url}&cursor=${first.body.next_cursor}`);
    expect(rest).toHaveStatus(200);
    expect(rest.body.data.map((d: any) => d.consultant.id)).toEqual([around[2].id]);
    expect(rest.body.data[0].slots).toHaveLength(7 * 287);
    expect(rest.body.next_cursor).toBeNull();
  });
});

describe('bounded calendar answers in the daily and monthly views (a small MAX_SLOTS_PER_RESPONSE)', () => {
  let t: TestApp;
  let http: Http;
  let busy: Created;
  let quiet: Created[];
  beforeAll(async () => {
    t = await startTestApp({ env: { MAX_SLOTS_PER_RESPONSE: '4' } });
    http = new Http(t.app);
    busy = await createConsultant(http, { specialization: 'bounded' });
    for (let h = 8; h < 13; h++) {
      const res = await http.as(busy.token).post(`/consultants/${busy.id}/availabilities`, {
        date: '2031-06-02',
        start_time: `${String(h).padStart(2, '0')}:00`,
        end_time: `${String(h).padStart(2, '0')}:30`,
      });
      expect(res).toHaveStatus(201);
    }
    quiet = [];
    for (let i = 0; i < 3; i++) {
      const c = await createConsultant(http, { specialization: 'bounded-quiet' });
      for (const start of ['09:00', '10:00', '11:00']) {
        const res = await http.as(c.token).post(`/consultants/${c.id}/availabilities`, {
          date: '2031-06-02',
          start_time: start,
          end_time: `${start.slice(0, 2)}:30`,
        });
        expect(res).toHaveStatus(201);
      }
      quiet.push(c);
    }
  });
  afterAll(() => t.close());

  it('refuses a monthly view of one consultant over the ceiling, pointing at the time-range view', async () => {
    const res = await http.get(`/availabilities/monthly?year=2031&month=6&consultant_id=${busy.id}`);
    assertProblem(res, 400);
    expect(res.body.type).toBe('/problems/response-too-large');
    expect(res.body.detail).toMatch(/more than 4 slots.*at most 4.*timerange/);
  });

  it('pages the daily view by the ceiling: 3 slots each and 4 per answer, so one consultant per page', async () => {
    const pages: number[][] = [];
    let cursor: string | null = null;
    do {
      const res: Reply = await http.get(
        `/consultants/availabilities/2031-06-02?specialization=bounded-quiet${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res).toHaveStatus(200);
      pages.push(res.body.data.map((d: any) => d.consultant.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(pages).toEqual(quiet.map((c) => [c.id]));
    const alone = await http.get('/consultants/availabilities/2031-06-02?specialization=bounded');
    assertProblem(alone, 400);
    expect(alone.body.type).toBe('/problems/response-too-large');
    expect(alone.body.detail).toMatch(/more than 4 slots.*at most 4.*timerange.*part of the day/);
  });
});
