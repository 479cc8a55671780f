import { DataSource } from 'typeorm';
import { assertProblem, createConsultant, createUser, type Created } from '../support/factories';
import { Http } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

describe('holds', () => {
  let t: TestApp;
  let http: Http;
  let alice: Created;
  let bob: Created;

  beforeAll(async () => {
    t = await startTestApp({ env: { MAX_HOLDS_PER_USER: '2' } });
    http = new Http(t.app);
  });
  afterAll(() => t.close());
  // Users of each test's own: each may hold two at most.
  beforeEach(async () => {
    alice = await createUser(http);
    bob = await createUser(http);
  });

  /** A UTC consultant with a Monday window 09:00–17:00. */
  async function consultant(policy?: Record<string, unknown>): Promise<Created> {
    const c = await createConsultant(http);
    expect(
      await http
        .as(c.token)
        .post(`/consultants/${c.id}/recurring`, { day: 'Mon', start_time: '09:00', end_time: '17:00' }),
    ).toHaveStatus(201);
    if (policy) expect(await http.as(c.token).put(`/consultants/${c.id}/policy`, policy)).toHaveStatus(200);
    return c;
  }
  const at = (c: Created, date: string, start_time: string, end_time: string) => ({
    consultant_id: c.id,
    date,
    start_time,
    end_time,
  });
  const hold = (who: Created, body: Record<string, unknown>) => http.as(who.token).post('/holds', body);
  const book = (who: Created, body: Record<string, unknown>) => http.as(who.token).post('/bookings', body);
  const release = (who: Created, id: number) => http.as(who.token).delete(`/holds/${id}`);
  const view = async (c: Created, date: string) => {
    const res = await http.get(
      `/availabilities/timerange?consultant_id=${c.id}&start=${date}&end=${date}&include_booked=true`,
    );
    expect(res).toHaveStatus(200);
    return res.body.data[0].slots as Record<string, unknown>[];
  };

  it('reserves free time until it expires: nobody else books or holds it; its holder books it in place', async () => {
    const c = await consultant();
    const h = await hold(alice, at(c, '2031-04-07', '10:00', '11:00'));
    expect(h).toHaveStatus(201);
    expect(h.body).toStrictEqual({
      id: expect.any(Number),
      consultant_id: c.id,
      user_id: alice.id,
      availability_id: null,
      recurring_id: expect.any(Number),
      date: '2031-04-07',
      start_time: '10:00:00',
      end_time: '11:00:00',
      start: '2031-04-07T10:00:00.000Z',
      end: '2031-04-07T11:00:00.000Z',
      expires_at: expect.any(String),
    });
    // Ten minutes by default: stored within the transaction that began at created_at, it expires ten
    // minutes after that at the earliest, and no later than ten minutes from now (the database's clock).
    const [lifetime] = await t.app.get(DataSource).query(
      `SELECT abs(extract(epoch FROM expires_at - $2::timestamptz)) < 0.001 AS shown,
              expires_at >= created_at + interval '10 minutes' AS from_its_start,
              expires_at <= clock_timestamp() + interval '10 minutes' AS not_longer
         FROM bookings WHERE id = $1`,
      [h.body.id, h.body.expires_at],
    );
    expect(lifetime).toEqual({ shown: true, from_its_start: true, not_longer: true });
    const taken = await book(bob, at(c, '2031-04-07', '10:30', '11:30'));
    assertProblem(taken, 409);
    expect(taken.body.type).toBe('/problems/time-taken');
    assertProblem(await hold(bob, at(c, '2031-04-07', '10:00', '11:00')), 409);
    // The views show it held, without saying whose; free time goes around it.
    const slots = await view(c, '2031-04-07');
    expect(slots.map((s) => [s.start_time, s.end_time, s.is_booked, s.is_held])).toStrictEqual([
      ['09:00:00', '10:00:00', false, false],
      ['10:00:00', '11:00:00', true, true],
      ['11:00:00', '17:00:00', false, false],
    ]);
    expect(slots.filter((s) => 'user_id' in s || 'hold_id' in s)).toStrictEqual([]);
    // Holds are not bookings: not listed, not readable as one, not in feeds.
    assertProblem(await http.as(alice.token).get(`/bookings/${h.body.id}`), 404);
    expect((await http.as(alice.token).get('/bookings')).body.data).toStrictEqual([]);
    const feed = await http.as(c.token).get(`/consultants/${c.id}/calendar.ics`);
    expect(feed.text).not.toContain('BEGIN:VEVENT');
    // Someone else cannot book it; its holder can, and the hold's id becomes the booking's.
    assertProblem(await book(bob, { hold_id: h.body.id }), 404);
    assertProblem(await http.as(c.token).post('/bookings', { hold_id: h.body.id }), 403);
    const booked = await book(alice, { hold_id: h.body.id });
    expect(booked).toHaveStatus(201);
    expect(booked.body).toMatchObject({ id: h.body.id, status: 'confirmed', user_id: alice.id, start: h.body.start });
    expect((await view(c, '2031-04-07'))[1]).toMatchObject({ is_booked: true, is_held: false });
    // It is a hold no more.
    assertProblem(await book(alice, { hold_id: h.body.id }), 404);
    assertProblem(await release(alice, h.body.id), 404);
  });

  it('holds a one-time slot whole; the admin may book it for the holder', async () => {
    const c = await consultant();
    const slot = await http
      .as(c.token)
      .post(`/consultants/${c.id}/availabilities`, { date: '2031-04-08', start_time: '18:00', end_time: '19:00' });
    const h = await hold(alice, { availability_id: slot.body.id, hold_minutes: 60 });
    expect(h).toHaveStatus(201);
    expect(h.body.availability_id).toBe(slot.body.id);
    assertProblem(await book(bob, { availability_id: slot.body.id }), 409);
    assertProblem(await http.as(ADMIN_TOKEN).post('/bookings', { hold_id: h.body.id, user_id: bob.id }), 400);
    const booked = await http.as(ADMIN_TOKEN).post('/bookings', { hold_id: h.body.id });
    expect(booked).toHaveStatus(201);
    expect(booked.body).toMatchObject({ user_id: alice.id, availability_id: slot.body.id });
    const listed = await http.get(`/consultants/${c.id}/availabilities?from=2031-04-08&to=2031-04-08`);
    expect(listed.body.data[0].is_booked).toBe(true);
  });

  it('is released at once by its holder, not by anyone else', async () => {
    const c = await consultant();
    const h = await hold(alice, at(c, '2031-04-14', '10:00', '11:00'));
    assertProblem(await release(bob, h.body.id), 404);
    assertProblem(await http.as(c.token).delete(`/holds/${h.body.id}`), 403);
    expect(await release(alice, h.body.id)).toHaveStatus(204);
    assertProblem(await release(alice, h.body.id), 404);
    expect(await book(bob, at(c, '2031-04-14', '10:00', '11:00'))).toHaveStatus(201);
  });

  it('stops blocking at its expiry, with no job: the next write marks it; its holder gets hold-expired', async () => {
    const c = await consultant();
    const h = await hold(alice, { ...at(c, '2031-04-21', '10:00', '11:00'), hold_minutes: 1 });
    expect(h).toHaveStatus(201);
    // A minute is long for a test: move its expiry into the past, as time would.
    await t.app
      .get(DataSource)
      .query(`UPDATE bookings SET expires_at = now() - interval '1 second' WHERE id = $1`, [h.body.id]);
    expect((await view(c, '2031-04-21')).map((s) => s.is_booked)).toStrictEqual([false]);
    expect(await hold(bob, at(c, '2031-04-21', '10:30', '11:30'))).toHaveStatus(201);
    const late = await book(alice, { hold_id: h.body.id });
    assertProblem(late, 422);
    expect(late.body.type).toBe('/problems/hold-expired');
    // Its holder may still release it.
    expect(await release(alice, h.body.id)).toHaveStatus(204);
  });

  it(`caps live holds per user (MAX_HOLDS_PER_USER) and honours the policy`, async () => {
    const c = await consultant({ buffer_after_minutes: 30, max_bookings_per_day: 3 });
    const first = await hold(alice, at(c, '2031-04-28', '09:00', '10:00'));
    expect(first).toHaveStatus(201);
    // The hold blocks its buffer too.
    assertProblem(await book(bob, at(c, '2031-04-28', '10:00', '10:30')), 409);
    expect(await hold(alice, at(c, '2031-04-28', '10:30', '11:00'))).toHaveStatus(201);
    const third = await hold(alice, at(c, '2031-04-28', '12:00', '13:00'));
    assertProblem(third, 422);
    expect(third.body.type).toBe('/problems/hold-limit');
    // Holds count toward the daily limit, so booking from one never breaks it.
    expect(await book(bob, at(c, '2031-04-28', '14:00', '15:00'))).toHaveStatus(201);
    const full = await hold(bob, at(c, '2031-04-28', '16:00', '17:00'));
    expect(full.body.type).toBe('/problems/daily-limit');
    expect(await release(alice, first.body.id)).toHaveStatus(204);
    expect(await hold(alice, at(c, '2031-04-28', '16:00', '17:00'))).toHaveStatus(201);
    const near = await consultant({ booking_horizon_days: 30 });
    expect((await hold(alice, at(near, '2031-04-28', '09:00', '10:00'))).body.type).toBe('/problems/beyond-horizon');
  });

  it.each([
    ['hold_minutes 0', { hold_minutes: 0 }, 'hold_minutes'],
    ['hold_minutes 61', { hold_minutes: 61 }, 'hold_minutes'],
    ['hold_minutes 1.5', { hold_minutes: 1.5 }, 'hold_minutes'],
    ['hold_minutes null', { hold_minutes: null }, 'hold_minutes'],
    ['hold_id', { hold_id: 1 }, 'hold_id'],
  ])('refuses %s with a 400', async (_name, extra, field) => {
    const c = await consultant();
    const res = await hold(alice, { ...at(c, '2031-05-05', '10:00', '11:00'), ...extra });
    assertProblem(res, 400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect((await view(c, '2031-05-05')).map((s) => s.is_booked)).toStrictEqual([false]);
  });

  it('a booking with hold_id takes no other target', async () => {
    const c = await consultant();
    const carol = await createUser(http);
    const h = await hold(carol, at(c, '2031-05-12', '10:00', '11:00'));
    expect(h).toHaveStatus(201);
    const res = await book(carol, { hold_id: h.body.id, start: '2031-05-12T10:00:00Z', end: '2031-05-12T11:00:00Z' });
    assertProblem(res, 400);
    expect(res.body.errors[0].field).toBe('start');
    assertProblem(await book(carol, { hold_id: 2_000_000_000 }), 404);
  });
});
