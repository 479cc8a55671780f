import { DataSource } from 'typeorm';
import { assertProblem, createConsultant, createUser, type Created } from '../support/factories';
import { Http } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

const MONDAY = '2030-12-02';

describe('bookings', () => {
  let t: TestApp;
  let http: Http;
  let admin: Http;
  let consultant: Created;
  let other: Created;
  let alice: Created;
  let bob: Created;

  beforeAll(async () => {
    t = await startTestApp({ env: { MAX_FUTURE_BOOKINGS_PER_USER: '6' } });
    http = new Http(t.app);
    admin = http.as(ADMIN_TOKEN);
  });
  afterAll(() => t.close());
  // Parties of each test's own: a test may cap, cancel or delete them.
  beforeEach(async () => {
    consultant = await createConsultant(http, { timezone: 'Europe/Berlin' });
    other = await createConsultant(http);
    alice = await createUser(http);
    bob = await createUser(http);
    const rule = await http
      .as(consultant.token)
      .post(`/consultants/${consultant.id}/recurring`, { day: 'Mon', start_time: '09:00', end_time: '17:00' });
    expect(rule).toHaveStatus(201);
  });

  const slot = async (c: Created, date: string, start: string, end: string) => {
    const res = await http
      .as(c.token)
      .post(`/consultants/${c.id}/availabilities`, { date, start_time: start, end_time: end });
    expect(res).toHaveStatus(201);
    return res.body;
  };
  const book = (who: Created, body: Record<string, unknown>, headers?: Record<string, string>) =>
    http.as(who.token).post('/bookings', body, headers);

  it('books a whole one-time slot, marks it booked, and frees it on cancel', async () => {
    const s = await slot(consultant, '2030-12-03', '10:00', '11:00');
    const res = await book(alice, { availability_id: s.id });
    expect(res).toHaveStatus(201);
    expect({ ...res.body, id: undefined, created_at: undefined }).toStrictEqual({
      id: undefined,
      created_at: undefined,
      consultant_id: consultant.id,
      user_id: alice.id,
      availability_id: s.id,
      recurring_id: null,
      start: '2030-12-03T09:00:00.000Z',
      end: '2030-12-03T10:00:00.000Z',
      date: '2030-12-03',
      start_time: '10:00:00',
      end_time: '11:00:00',
      status: 'confirmed',
    });
    const listed = await http.get(`/consultants/${consultant.id}/availabilities?from=2030-12-03&to=2030-12-03`);
    expect(listed.body.data[0].is_booked).toBe(true);
    assertProblem(await book(bob, { availability_id: s.id }), 409);
    assertProblem(await http.as(consultant.token).delete(`/consultants/${consultant.id}/availabilities/${s.id}`), 409);
    const cancelled = await http.as(alice.token).post(`/bookings/${res.body.id}/cancel`);
    expect(cancelled).toHaveStatus(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(
      (await http.get(`/consultants/${consultant.id}/availabilities?from=2030-12-03&to=2030-12-03`)).body.data[0]
        .is_booked,
    ).toBe(false);
    const again = await book(bob, { availability_id: s.id });
    // The time of a cancelled booking is free again.
    expect(again).toHaveStatus(201);
  });

  it('books inside a weekly window in all three forms, and adjacent bookings both succeed', async () => {
    const local = await book(alice, {
      consultant_id: consultant.id,
      date: MONDAY,
      start_time: '10:00',
      end_time: '10:30',
    });
    expect(local).toHaveStatus(201);
    expect(local.body.start).toBe('2030-12-02T09:00:00.000Z');
    expect(local.body.recurring_id).not.toBeNull();
    const adjacent = await book(bob, {
      consultant_id: consultant.id,
      start: '2030-12-02T09:30:00Z',
      end: '2030-12-02T10:00:00Z',
    });
    expect(adjacent).toHaveStatus(201);
    expect(adjacent.body.start_time).toBe('10:30:00');
    const seed = await http
      .as(bob.token)
      .post(`/consultant/${consultant.id}/reserve/`, { date: MONDAY, start_time: '11:00', end_time: '11:30' });
    expect(seed).toHaveStatus(201);
    const overlapping = await book(alice, {
      consultant_id: consultant.id,
      date: MONDAY,
      start_time: '10:15',
      end_time: '10:45',
    });
    assertProblem(overlapping, 409);
    // The exclusion constraint answers as the time being taken.
    expect(overlapping.body.type).toBe('/problems/time-taken');
  });

  it('refuses the past, outside availability, partial slots, bad forms and bad values', async () => {
    assertProblem(
      await book(alice, { consultant_id: consultant.id, date: '2020-01-06', start_time: '10:00', end_time: '10:30' }),
      422,
    );
    assertProblem(
      await book(alice, { consultant_id: consultant.id, date: MONDAY, start_time: '16:30', end_time: '17:30' }),
      422,
    );
    assertProblem(
      await book(alice, { consultant_id: consultant.id, date: '2030-12-03', start_time: '08:00', end_time: '09:00' }),
      422,
    );
    const s = await slot(consultant, '2030-12-04', '10:00', '12:00');
    const partial = await book(alice, {
      consultant_id: consultant.id,
      date: '2030-12-04',
      start_time: '10:00',
      end_time: '11:00',
    });
    assertProblem(partial, 422);
    expect(partial.body.detail).toMatch(new RegExp(`slot ${s.id}`));
    assertProblem(await book(alice, { consultant_id: consultant.id }), 400);
    assertProblem(await book(alice, { consultant_id: consultant.id, availability_id: s.id, date: MONDAY }), 400);
    assertProblem(await book(alice, { consultant_id: consultant.id, start: '2030-12-02T10:00:00Z' }), 400);
    assertProblem(
      await book(alice, { consultant_id: consultant.id, start: '2030-12-02T10:00:00Z', end: '2030-12-02T09:00:00Z' }),
      400,
    );
    assertProblem(
      await book(alice, { consultant_id: consultant.id, start: 'tomorrow', end: '2030-12-02T09:00:00Z' }),
      400,
    );
    assertProblem(
      await book(alice, { consultant_id: consultant.id, date: MONDAY, start_time: '25:00', end_time: '10:00' }),
      400,
    );
    assertProblem(
      await book(alice, { consultant_id: consultant.id, date: '2030-03-31', start_time: '02:30', end_time: '03:30' }),
      400,
    );
    assertProblem(await book(alice, { date: MONDAY, start_time: '10:00', end_time: '10:30' }), 400);
    assertProblem(
      await book(alice, { consultant_id: 999999, date: MONDAY, start_time: '10:00', end_time: '10:30' }),
      404,
    );
    assertProblem(await book(alice, { availability_id: 999999 }), 404);
    // A non-integer id is told so, in the body and in a query, not that it is out of range.
    const notInteger = await book(alice, { availability_id: 'abc' });
    assertProblem(notInteger, 400);
    expect(notInteger.body.errors).toEqual([{ field: 'availability_id', message: 'must be an integer number' }]);
    const notIntegerQuery = await http.as(alice.token).get('/bookings?consultant_id=abc');
    assertProblem(notIntegerQuery, 400);
    expect(notIntegerQuery.body.errors).toEqual([{ field: 'consultant_id', message: 'must be an integer number' }]);
    for (const field of ['status', 'is_booked', 'id', 'created_at']) {
      assertProblem(
        await book(alice, {
          consultant_id: consultant.id,
          date: MONDAY,
          start_time: '12:00',
          end_time: '12:30',
          [field]: 'x',
        }),
        400,
      );
    }
    const mine = await http
      .as(alice.token)
      .get(`/bookings?consultant_id=${consultant.id}&from=2030-12-02&to=2030-12-02`);
    // Nothing was stored.
    expect(
      mine.body.data.filter((b: any) => b.start_time === '13:00:00' || b.start === '2030-12-02T11:00:00.000Z'),
    ).toEqual([]);
  });

  it('lets only users and the admin book, and only the admin for someone else', async () => {
    assertProblem(
      await http.post('/bookings', {
        consultant_id: consultant.id,
        date: MONDAY,
        start_time: '13:00',
        end_time: '13:30',
      }),
      401,
    );
    assertProblem(
      await book(consultant, { consultant_id: consultant.id, date: MONDAY, start_time: '13:00', end_time: '13:30' }),
      403,
    );
    assertProblem(
      await book(alice, {
        consultant_id: consultant.id,
        user_id: bob.id,
        date: MONDAY,
        start_time: '13:00',
        end_time: '13:30',
      }),
      403,
    );
    assertProblem(
      await admin.post('/bookings', {
        consultant_id: consultant.id,
        date: MONDAY,
        start_time: '13:00',
        end_time: '13:30',
      }),
      400,
    );
    const onBehalf = await admin.post('/bookings', {
      consultant_id: consultant.id,
      user_id: bob.id,
      date: MONDAY,
      start_time: '13:00',
      end_time: '13:30',
    });
    expect(onBehalf).toHaveStatus(201);
    expect(onBehalf.body.user_id).toBe(bob.id);
  });

  it('shows and cancels a booking for its user, its consultant and the admin only', async () => {
    const res = await book(alice, {
      consultant_id: consultant.id,
      date: MONDAY,
      start_time: '14:00',
      end_time: '14:30',
    });
    expect(res).toHaveStatus(201);
    const id = res.body.id;
    for (const who of [alice.token, consultant.token, ADMIN_TOKEN])
      expect(await http.as(who).get(`/bookings/${id}`)).toHaveStatus(200);
    assertProblem(await http.as(bob.token).get(`/bookings/${id}`), 404);
    assertProblem(await http.as(other.token).get(`/bookings/${id}`), 404);
    assertProblem(await http.get(`/bookings/${id}`), 401);
    assertProblem(await http.as(bob.token).post(`/bookings/${id}/cancel`), 404);
    assertProblem(await http.as(other.token).post(`/bookings/${id}/cancel`), 404);
    // Nothing changed.
    expect((await http.as(alice.token).get(`/bookings/${id}`)).body.status).toBe('confirmed');
    const byConsultant = await http.as(consultant.token).post(`/bookings/${id}/cancel/`);
    expect(byConsultant.body.status).toBe('cancelled');
    // Cancelling twice is a no-op.
    expect(await http.as(alice.token).post(`/bookings/${id}/cancel`)).toHaveStatus(200);
  });

  it('scopes the list to what the caller may see', async () => {
    // Three confirmed bookings of the consultant's, alice's and bob's (Mondays 09:00–17:00 Berlin).
    for (const [who, start_time, end_time] of [
      [alice, '09:00', '09:30'],
      [bob, '10:00', '10:30'],
      [alice, '11:00', '11:30'],
    ] as const)
      expect(await book(who, { consultant_id: consultant.id, date: MONDAY, start_time, end_time })).toHaveStatus(201);
    const bobs = await http.as(bob.token).get('/bookings?limit=200');
    expect(bobs).toHaveStatus(200);
    expect(bobs.body.data.length).toBeGreaterThan(0);
    expect(bobs.body.data.filter((b: any) => b.user_id !== bob.id)).toEqual([]);
    assertProblem(await http.as(bob.token).get(`/bookings?user_id=${alice.id}`), 403);
    assertProblem(await http.as(other.token).get(`/bookings?consultant_id=${consultant.id}`), 403);
    expect((await http.as(other.token).get('/bookings')).body.data).toHaveLength(0);
    const theirs = await http.as(consultant.token).get('/bookings?status=confirmed&limit=2');
    expect(
      theirs.body.data.filter((b: any) => !(b.consultant_id === consultant.id && b.status === 'confirmed')),
    ).toEqual([]);
    const next = await http
      .as(consultant.token)
      .get(`/bookings?status=confirmed&limit=2&cursor=${theirs.body.next_cursor}`);
    expect(next).toHaveStatus(200);
    expect(Date.parse(next.body.data[0].start)).toBeGreaterThanOrEqual(Date.parse(theirs.body.data[1].start));
    const all = await admin.get(`/bookings?user_id=${alice.id}`);
    expect(all.body.data.filter((b: any) => b.user_id !== alice.id)).toEqual([]);
  });

  it('reschedules atomically: onto a free time it moves, onto a taken one nothing changes', async () => {
    const first = await book(alice, {
      consultant_id: consultant.id,
      date: '2030-12-09',
      start_time: '09:00',
      end_time: '09:30',
    });
    const second = await book(bob, {
      consultant_id: consultant.id,
      date: '2030-12-09',
      start_time: '10:00',
      end_time: '10:30',
    });
    expect(second).toHaveStatus(201);
    const taken = await http
      .as(alice.token)
      .post(`/bookings/${first.body.id}/reschedule`, { date: '2030-12-09', start_time: '10:00', end_time: '10:30' });
    assertProblem(taken, 409);
    expect(taken.body.type).toBe('/problems/time-taken');
    // Unchanged after a 409.
    expect((await http.as(alice.token).get(`/bookings/${first.body.id}`)).body).toEqual(first.body);
    const overlapSelf = await http
      .as(alice.token)
      .post(`/bookings/${first.body.id}/reschedule`, { date: '2030-12-09', start_time: '09:15', end_time: '09:45' });
    expect(overlapSelf).toHaveStatus(200);
    expect(overlapSelf.body.id).toBe(first.body.id);
    expect(overlapSelf.body.start_time).toBe('09:15:00');
    const s = await slot(consultant, '2030-12-10', '09:00', '10:00');
    const ontoSlot = await http
      .as(alice.token)
      .post(`/bookings/${first.body.id}/reschedule`, { availability_id: s.id });
    expect(ontoSlot.body.availability_id).toBe(s.id);
    const back = await http
      .as(alice.token)
      .post(`/bookings/${first.body.id}/reschedule`, { date: '2030-12-09', start_time: '11:00', end_time: '11:30' });
    expect(back).toHaveStatus(200);
    // The old slot is freed.
    expect(
      (await http.get(`/consultants/${consultant.id}/availabilities?from=2030-12-10&to=2030-12-10`)).body.data[0]
        .is_booked,
    ).toBe(false);
    assertProblem(
      await http
        .as(consultant.token)
        .post(`/bookings/${first.body.id}/reschedule`, { date: '2030-12-09', start_time: '12:00', end_time: '12:30' }),
      403,
    );
    assertProblem(
      await http
        .as(bob.token)
        .post(`/bookings/${first.body.id}/reschedule`, { date: '2030-12-09', start_time: '12:00', end_time: '12:30' }),
      404,
    );
  });

  it('honours Idempotency-Key: replay, mismatch, and a fresh key books anew', async () => {
    const body = { consultant_id: consultant.id, date: '2030-12-16', start_time: '09:00', end_time: '09:30' };
    const key = { 'idempotency-key': 'key-abc-1' };
    const first = await book(alice, body, key);
    expect(first).toHaveStatus(201);
    const replay = await book(alice, { ...body }, key);
    expect(replay).toHaveStatus(201);
    expect(replay.body).toEqual(first.body);
    const reordered = await book(
      alice,
      { end_time: '09:30', start_time: '09:00', date: '2030-12-16', consultant_id: consultant.id },
      key,
    );
    // Key order in the body does not matter.
    expect(reordered.body).toEqual(first.body);
    assertProblem(await book(alice, { ...body, end_time: '10:00' }, key), 422);
    const sameKeyOtherUser = await book(bob, body, key);
    assertProblem(sameKeyOtherUser, 409);
    // Keys are per caller: bob meets alice's booking, not her key.
    expect(sameKeyOtherUser.body.type).toBe('/problems/time-taken');
    const refusedReplay = await book(bob, body, key);
    // A refusal is replayed too.
    expect(refusedReplay.body).toEqual(sameKeyOtherUser.body);
    assertProblem(await book(alice, body, { 'idempotency-key': 'x'.repeat(256) }), 400);
    const list = await http.as(alice.token).get('/bookings?from=2030-12-16&to=2030-12-16');
    // Booked once.
    expect(list.body.data.filter((b: any) => b.status === 'confirmed')).toHaveLength(1);
  });

  it('forgets an Idempotency-Key after 24 hours', async () => {
    const key = { 'idempotency-key': 'key-expiring' };
    const first = await book(
      alice,
      { consultant_id: consultant.id, date: '2030-12-16', start_time: '11:00', end_time: '11:30' },
      key,
    );
    expect(first).toHaveStatus(201);
    await t.app
      .get(DataSource)
      .query(
        `UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 minute' WHERE key = 'key-expiring'`,
      );
    const later = await book(
      alice,
      { consultant_id: consultant.id, date: '2030-12-16', start_time: '12:00', end_time: '12:30' },
      key,
    );
    // An expired key is a new request, not a mismatch.
    expect(later).toHaveStatus(201);
    expect(later.body.id).not.toBe(first.body.id);
  });

  it('caps the upcoming bookings one user may hold, and says why', async () => {
    const carol = await createUser(http);
    for (let i = 0; i < 6; i++) {
      const res = await book(carol, {
        consultant_id: consultant.id,
        date: '2030-12-23',
        start_time: `${String(9 + i).padStart(2, '0')}:00`,
        end_time: `${String(9 + i).padStart(2, '0')}:30`,
      });
      expect(res).toHaveStatus(201);
    }
    const refused = await book(carol, {
      consultant_id: consultant.id,
      date: '2030-12-23',
      start_time: '16:00',
      end_time: '16:30',
    });
    assertProblem(refused, 422);
    expect(refused.body.detail).toMatch(/6 upcoming bookings/);
  });

  it('refuses to delete a consultant with upcoming bookings', async () => {
    const upcoming = { consultant_id: consultant.id, date: MONDAY, start_time: '09:00', end_time: '10:00' };
    expect(await book(alice, upcoming)).toHaveStatus(201);
    assertProblem(await admin.delete(`/consultants/${consultant.id}`), 409);
    expect(await http.get(`/consultants/${consultant.id}`)).toHaveStatus(200);
  });
});
