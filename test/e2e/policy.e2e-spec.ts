import { DataSource } from 'typeorm';
import { assertProblem, createConsultant, createUser, type Created } from '../support/factories';
import { Http } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

const DEFAULTS = {
  minimum_notice_minutes: 0,
  booking_horizon_days: null,
  buffer_before_minutes: 0,
  buffer_after_minutes: 0,
  slot_minutes: null,
  max_bookings_per_day: null,
  max_booking_minutes: 120,
  max_client_share_minutes: 240,
  pool_weight: 100,
};
const MINUTE = 60_000;

describe('booking policy', () => {
  let t: TestApp;
  let http: Http;
  let alice: Created;
  let bob: Created;

  beforeAll(async () => {
    t = await startTestApp();
    http = new Http(t.app);
    alice = await createUser(http);
    bob = await createUser(http);
  });
  afterAll(() => t.close());

  /** A consultant in `timezone` with a Monday window, and the policy given. */
  async function consultantWith(policy: Record<string, unknown>, window = { start_time: '09:00', end_time: '17:00' }) {
    const c = await createConsultant(http, { timezone: 'Europe/Berlin' });
    const rule = await http.as(c.token).post(`/consultants/${c.id}/recurring`, { day: 'Mon', ...window });
    expect(rule).toHaveStatus(201);
    const put = await http.as(c.token).put(`/consultants/${c.id}/policy`, policy);
    expect(put).toHaveStatus(200);
    return c;
  }
  const book = (who: Created, c: Created, date: string, start_time: string, end_time: string) =>
    http.as(who.token).post('/bookings', { consultant_id: c.id, date, start_time, end_time });
  const freeOn = async (c: Created, date: string, query = '') => {
    const res = await http.get(`/availabilities/timerange?consultant_id=${c.id}&start=${date}&end=${date}${query}`);
    expect(res).toHaveStatus(200);
    return res.body.data[0].slots as { start_time: string; end_time: string; is_booked: boolean }[];
  };
  const times = (slots: { start_time: string; end_time: string }[]) =>
    slots.map((s) => `${s.start_time.slice(0, 5)}-${s.end_time.slice(0, 5)}`);

  it('reads the defaults publicly, and is replaced whole by the consultant or the admin only', async () => {
    const c = await createConsultant(http);
    const other = await createConsultant(http);
    expect((await http.get(`/consultants/${c.id}/policy`)).body).toStrictEqual({ consultant_id: c.id, ...DEFAULTS });
    const full = {
      minimum_notice_minutes: 120,
      booking_horizon_days: 60,
      buffer_before_minutes: 10,
      buffer_after_minutes: 15,
      slot_minutes: 30,
      max_bookings_per_day: 8,
      max_booking_minutes: 90,
      max_client_share_minutes: null,
      pool_weight: 300,
    };
    const put = await http.as(c.token).put(`/consultants/${c.id}/policy/`, full);
    expect(put).toHaveStatus(200);
    expect(put.body).toStrictEqual({ consultant_id: c.id, ...full });
    expect((await http.get(`/consultants/${c.id}/policy`)).body).toStrictEqual({ consultant_id: c.id, ...full });
    // A field left out goes back to its default; null clears a limit.
    const partial = await http
      .as(ADMIN_TOKEN)
      .put(`/consultants/${c.id}/policy`, { buffer_after_minutes: 5, slot_minutes: null });
    expect(partial.body).toStrictEqual({ consultant_id: c.id, ...DEFAULTS, buffer_after_minutes: 5 });
    assertProblem(await http.as(other.token).put(`/consultants/${c.id}/policy`, {}), 403);
    assertProblem(await http.as(alice.token).put(`/consultants/${c.id}/policy`, {}), 403);
    assertProblem(await http.as(undefined).put(`/consultants/${c.id}/policy`, {}), 401);
    assertProblem(await http.get('/consultants/999999/policy'), 404);
    assertProblem(await http.as(ADMIN_TOKEN).put('/consultants/999999/policy', {}), 404);
    assertProblem(await http.get('/consultants/abc/policy'), 400);
  });

  it.each([
    ['minimum_notice_minutes', -1],
    ['minimum_notice_minutes', 525_601],
    ['minimum_notice_minutes', null],
    ['minimum_notice_minutes', '10'],
    ['booking_horizon_days', 0],
    ['booking_horizon_days', 3651],
    ['buffer_before_minutes', 1441],
    ['buffer_after_minutes', 2.5],
    ['buffer_after_minutes', null],
    ['slot_minutes', 4],
    ['slot_minutes', 1441],
    ['max_bookings_per_day', 0],
    ['max_bookings_per_day', 1001],
    ['status', 'x'],
  ])('refuses %s = %j with a 400 naming it, and changes nothing', async (field, value) => {
    const c = await createConsultant(http);
    const res = await http.as(c.token).put(`/consultants/${c.id}/policy`, { slot_minutes: 30, [field]: value });
    assertProblem(res, 400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect((await http.get(`/consultants/${c.id}/policy`)).body).toStrictEqual({ consultant_id: c.id, ...DEFAULTS });
  });

  it('minimum notice: too-soon before it, bookable from it, and hidden from the views', async () => {
    const c = await createConsultant(http);
    await http.as(c.token).put(`/consultants/${c.id}/policy`, { minimum_notice_minutes: 180 });
    const at = (minutes: number) => new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + minutes * MINUTE);
    const slot = async (from: number, to: number) => {
      const start = at(from);
      const res = await http.as(c.token).post(`/consultants/${c.id}/availabilities`, {
        date: start.toISOString().slice(0, 10),
        start_time: start.toISOString().slice(11, 16),
        end_time: at(to).toISOString().slice(11, 16),
      });
      expect(res).toHaveStatus(201);
      return res.body;
    };
    const soon = await slot(60, 90);
    const later = await slot(240, 270);
    const refused = await http.as(alice.token).post('/bookings', { availability_id: soon.id });
    assertProblem(refused, 422);
    expect(refused.body.type).toBe('/problems/too-soon');
    expect(refused.body.detail).toContain('180 minutes');
    const view = await http.get(
      `/availabilities/timerange?consultant_id=${c.id}&start=${at(0).toISOString()}&end=${at(600).toISOString()}`,
    );
    expect(view.body.data[0].slots.map((s: { availability_id: number }) => s.availability_id)).toStrictEqual([
      later.id,
    ]);
    expect(await http.as(alice.token).post('/bookings', { availability_id: later.id })).toHaveStatus(201);
    // The seed path honours it too.
    const seed = await http.as(bob.token).post(`/consultant/${c.id}/reserve`, { availability_id: soon.id });
    expect(seed.body.type).toBe('/problems/too-soon');
  });

  it('booking horizon: beyond-horizon after it, in the views too', async () => {
    const c = await consultantWith({ booking_horizon_days: 30 });
    const res = await book(alice, c, '2031-03-03', '10:00', '11:00');
    assertProblem(res, 422);
    expect(res.body.type).toBe('/problems/beyond-horizon');
    expect(res.body.detail).toContain('30 days');
    expect(await freeOn(c, '2031-03-03')).toStrictEqual([]);
    await http.as(c.token).put(`/consultants/${c.id}/policy`, {});
    expect(await book(alice, c, '2031-03-03', '10:00', '11:00')).toHaveStatus(201);
  });

  it('buffers: a booking blocks them, the database too; a later policy change leaves existing bookings as they were', async () => {
    const c = await consultantWith({ buffer_before_minutes: 15, buffer_after_minutes: 30 });
    const first = await book(alice, c, '2031-03-10', '10:00', '11:00');
    expect(first).toHaveStatus(201);
    // Blocks 09:45–11:30; a next booking's own buffers (15 before) reach back too.
    const taken = await book(bob, c, '2031-03-10', '11:30', '12:00');
    assertProblem(taken, 409);
    expect(taken.body.type).toBe('/problems/time-taken');
    assertProblem(await book(bob, c, '2031-03-10', '09:00', '09:30'), 409);
    expect(await book(bob, c, '2031-03-10', '11:45', '12:15')).toHaveStatus(201);
    expect(times(await freeOn(c, '2031-03-10'))).toStrictEqual(['09:00-09:15', '13:00-17:00']);
    // Without buffers from now on: new bookings are placed without them, old ones keep theirs.
    await http.as(c.token).put(`/consultants/${c.id}/policy`, {});
    expect(times(await freeOn(c, '2031-03-10'))).toStrictEqual(['09:00-09:45', '12:45-17:00']);
    assertProblem(await book(bob, c, '2031-03-10', '09:30', '09:50'), 409);
    expect(await book(bob, c, '2031-03-10', '09:15', '09:45')).toHaveStatus(201);
    expect((await http.as(alice.token).get(`/bookings/${first.body.id}`)).body).toStrictEqual(first.body);
    // The database itself refuses overlapping blocked time, whatever the application does.
    const db = t.app.get(DataSource);
    await expect(
      db.query(
        `INSERT INTO bookings (consultant_id, user_id, start_at, end_at, blocked_start_at, blocked_end_at)
         VALUES ($1, $2, '2031-03-10T11:10:00+01', '2031-03-10T11:20:00+01', '2031-03-10T11:10:00+01', '2031-03-10T11:20:00+01')`,
        [c.id, alice.id],
      ),
    ).rejects.toMatchObject({ driverError: { code: '23P01', constraint: 'bookings_blocked_no_overlap' } });
  });

  it('slot grid: the views cut on it by default, and window bookings must start on it (counted from the window start)', async () => {
    const c = await consultantWith({ slot_minutes: 45 }, { start_time: '09:15', end_time: '12:00' });
    expect(times(await freeOn(c, '2031-03-17'))).toStrictEqual(['09:15-10:00', '10:00-10:45', '10:45-11:30']);
    // A query's slot_minutes sets the length; starts stay on the grid, a whole number of steps apart.
    expect(times(await freeOn(c, '2031-03-17', '&slot_minutes=30'))).toStrictEqual([
      '09:15-09:45',
      '10:00-10:30',
      '10:45-11:15',
      '11:30-12:00',
    ]);
    const monthly = await http.get(`/availabilities/monthly?consultant_id=${c.id}&year=2031&month=3`);
    const day = monthly.body.data[0].days.find((d: { date: string }) => d.date === '2031-03-17');
    expect(times(day.slots)).toStrictEqual(['09:15-10:00', '10:00-10:45', '10:45-11:30']);
    const off = await book(alice, c, '2031-03-17', '09:30', '10:00');
    assertProblem(off, 422);
    expect(off.body.type).toBe('/problems/off-grid');
    // The grid fixes starts, not lengths.
    const on = await book(alice, c, '2031-03-17', '10:00', '10:20');
    expect(on).toHaveStatus(201);
    const moved = await http.as(alice.token).post(`/bookings/${on.body.id}/reschedule`, {
      date: '2031-03-17',
      start_time: '11:00',
      end_time: '11:20',
    });
    expect(moved.body.type).toBe('/problems/off-grid');
    // One-time slots are booked whole, off the grid or not.
    const slot = await http
      .as(c.token)
      .post(`/consultants/${c.id}/availabilities`, { date: '2031-03-18', start_time: '13:10', end_time: '13:35' });
    expect(await http.as(bob.token).post('/bookings', { availability_id: slot.body.id })).toHaveStatus(201);
  });

  it('daily limit: counts confirmed bookings of one local day; the next is a daily-limit, its day leaves the views', async () => {
    const c = await consultantWith({ max_bookings_per_day: 2 });
    const first = await book(alice, c, '2031-03-24', '09:00', '10:00');
    expect(first).toHaveStatus(201);
    expect(await book(bob, c, '2031-03-24', '10:00', '11:00')).toHaveStatus(201);
    const third = await book(bob, c, '2031-03-24', '12:00', '13:00');
    assertProblem(third, 422);
    expect(third.body.type).toBe('/problems/daily-limit');
    expect(await freeOn(c, '2031-03-24')).toStrictEqual([]);
    // Another day is another count; moving a booking into the full day is refused.
    const other = await book(bob, c, '2031-03-31', '09:00', '10:00');
    expect(other).toHaveStatus(201);
    const moved = await http.as(bob.token).post(`/bookings/${other.body.id}/reschedule`, {
      date: '2031-03-24',
      start_time: '14:00',
      end_time: '15:00',
    });
    expect(moved.body.type).toBe('/problems/daily-limit');
    // Moving within the full day is fine: the booking counts once.
    expect(
      await http.as(alice.token).post(`/bookings/${first.body.id}/reschedule`, {
        date: '2031-03-24',
        start_time: '15:00',
        end_time: '16:00',
      }),
    ).toHaveStatus(200);
    // A cancellation frees a place.
    await http.as(alice.token).post(`/bookings/${first.body.id}/cancel`);
    expect(await book(bob, c, '2031-03-24', '12:00', '13:00')).toHaveStatus(201);
  });
});
