import { assertProblem, createConsultant, createUser, type Created } from '../support/factories';
import { Http } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

describe('date overrides', () => {
  let t: TestApp;
  let http: Http;
  let alice: Created;

  beforeAll(async () => {
    t = await startTestApp();
    http = new Http(t.app);
    alice = await createUser(http);
  });
  afterAll(() => t.close());

  /** A Berlin consultant with weekly windows on Mondays and Sundays, 09:00–17:00. */
  async function consultant(): Promise<Created> {
    const c = await createConsultant(http, { timezone: 'Europe/Berlin' });
    for (const day of ['Mon', 'Sun']) {
      const rule = await http
        .as(c.token)
        .post(`/consultants/${c.id}/recurring`, { day, start_time: '09:00', end_time: '17:00' });
      expect(rule).toHaveStatus(201);
    }
    return c;
  }
  const override = (c: Created, body: Record<string, unknown>) =>
    http.as(c.token).post(`/consultants/${c.id}/date-overrides`, body);
  const slotsOn = async (c: Created, date: string) => {
    const res = await http.get(`/availabilities/timerange?consultant_id=${c.id}&start=${date}&end=${date}`);
    expect(res).toHaveStatus(200);
    return res.body.data[0].slots as Record<string, unknown>[];
  };
  const book = (c: Created, date: string, start_time: string, end_time: string) =>
    http.as(alice.token).post('/bookings', { consultant_id: c.id, date, start_time, end_time });

  it("replaces one date's weekly windows (a window may cross midnight); other dates keep theirs", async () => {
    const c = await consultant();
    const res = await override(c, {
      date: '2031-04-07',
      windows: [
        { start_time: '10:00', end_time: '12:00' },
        { start_time: '22:00', end_time: '02:00' },
      ],
    });
    expect(res).toHaveStatus(201);
    expect(res.body).toStrictEqual({
      id: expect.any(Number),
      consultant_id: c.id,
      date: '2031-04-07',
      unavailable: false,
      windows: [
        { start_time: '10:00:00', end_time: '12:00:00' },
        { start_time: '22:00:00', end_time: '02:00:00' },
      ],
    });
    const slots = await slotsOn(c, '2031-04-07');
    expect(slots).toStrictEqual([
      expect.objectContaining({
        source: 'override',
        override_id: res.body.id,
        start: '2031-04-07T08:00:00.000Z',
        end: '2031-04-07T10:00:00.000Z',
      }),
      expect.objectContaining({
        source: 'override',
        override_id: res.body.id,
        start: '2031-04-07T20:00:00.000Z',
        end: '2031-04-08T00:00:00.000Z',
      }),
    ]);
    expect(slots.every((s) => s.recurring_id === undefined)).toBe(true);
    expect((await slotsOn(c, '2031-04-14')).map((s) => s.source)).toStrictEqual(['recurring']);
    // Bookings follow the override: its windows, not the weekly ones.
    const outside = await book(c, '2031-04-07', '09:00', '10:00');
    assertProblem(outside, 422);
    expect(outside.body.type).toBe('/problems/outside-availability');
    const late = await book(c, '2031-04-07', '23:00', '01:00');
    expect(late).toHaveStatus(201);
    expect(late.body).toMatchObject({ recurring_id: null, availability_id: null, end: '2031-04-07T23:00:00.000Z' });
    // Two overrides for one date are a 409.
    const again = await override(c, { date: '2031-04-07', unavailable: true });
    assertProblem(again, 409);
    expect(again.body.type).toBe('/problems/date-override-exists');
  });

  it('unavailable takes the whole date out of the weekly windows; one-time slots are not affected', async () => {
    const c = await consultant();
    const slot = await http
      .as(c.token)
      .post(`/consultants/${c.id}/availabilities`, { date: '2031-04-14', start_time: '18:00', end_time: '19:00' });
    expect(slot).toHaveStatus(201);
    const res = await http.as(ADMIN_TOKEN).post(`/consultants/${c.id}/date-overrides`, {
      date: '2031-04-14',
      unavailable: true,
    });
    expect(res).toHaveStatus(201);
    expect(res.body).toMatchObject({ unavailable: true, windows: [] });
    expect((await slotsOn(c, '2031-04-14')).map((s) => s.source)).toStrictEqual(['one_time']);
    assertProblem(await book(c, '2031-04-14', '10:00', '11:00'), 422);
    expect(await http.as(alice.token).post('/bookings', { availability_id: slot.body.id })).toHaveStatus(201);
    // Deleting it brings the weekly windows back.
    expect(await http.as(c.token).delete(`/consultants/${c.id}/date-overrides/${res.body.id}`)).toHaveStatus(204);
    expect(await book(c, '2031-04-14', '10:00', '11:00')).toHaveStatus(201);
    assertProblem(await http.as(c.token).delete(`/consultants/${c.id}/date-overrides/${res.body.id}`), 404);
  });

  it('windows follow RFC 5545 across the spring-forward gap: a skipped time moves forward', async () => {
    const c = await consultant();
    // Berlin skips 02:00–03:00 on 2031-03-30.
    const res = await override(c, {
      date: '2031-03-30',
      windows: [
        { start_time: '01:30', end_time: '03:30' },
        { start_time: '04:30', end_time: '05:00' },
      ],
    });
    expect(res).toHaveStatus(201);
    expect((await slotsOn(c, '2031-03-30')).map((s) => [s.start, s.end])).toStrictEqual([
      ['2031-03-30T00:30:00.000Z', '2031-03-30T01:30:00.000Z'],
      ['2031-03-30T02:30:00.000Z', '2031-03-30T03:00:00.000Z'],
    ]);
    const repeat = await override(c, { date: '2031-10-26', windows: [{ start_time: '02:30', end_time: '04:00' }] });
    expect(repeat).toHaveStatus(201);
    // 02:30 is repeated on 2031-10-26: its first occurrence (CEST), so 2.5 hours of elapsed time.
    expect((await slotsOn(c, '2031-10-26')).map((s) => [s.start, s.end])).toStrictEqual([
      ['2031-10-26T00:30:00.000Z', '2031-10-26T03:00:00.000Z'],
    ]);
  });

  it('a policy grid counts from the override window start', async () => {
    const c = await consultant();
    await http.as(c.token).put(`/consultants/${c.id}/policy`, { slot_minutes: 30 });
    expect(
      await override(c, { date: '2031-04-21', windows: [{ start_time: '10:15', end_time: '11:45' }] }),
    ).toHaveStatus(201);
    expect((await slotsOn(c, '2031-04-21')).map((s) => s.start_time)).toStrictEqual([
      '10:15:00',
      '10:45:00',
      '11:15:00',
    ]);
    expect((await book(c, '2031-04-21', '10:30', '11:00')).body.type).toBe('/problems/off-grid');
    expect(await book(c, '2031-04-21', '10:45', '11:15')).toHaveStatus(201);
  });

  it.each([
    ['neither windows nor unavailable', { date: '2031-05-05' }, 'windows'],
    [
      'both',
      { date: '2031-05-05', unavailable: true, windows: [{ start_time: '10:00', end_time: '11:00' }] },
      'windows',
    ],
    ['unavailable false alone', { date: '2031-05-05', unavailable: false }, 'windows'],
    ['an empty windows list', { date: '2031-05-05', windows: [] }, 'windows'],
    [
      'overlapping windows',
      {
        date: '2031-05-05',
        windows: [
          { start_time: '10:00', end_time: '12:00' },
          { start_time: '11:00', end_time: '13:00' },
        ],
      },
      'windows[1]',
    ],
    [
      'windows overlapping across midnight',
      {
        date: '2031-05-05',
        windows: [
          { start_time: '23:00', end_time: '02:00' },
          { start_time: '23:30', end_time: '00:30' },
        ],
      },
      'windows[1]',
    ],
    [
      'equal times',
      { date: '2031-05-05', windows: [{ start_time: '10:00', end_time: '10:00' }] },
      'windows[0].end_time',
    ],
    [
      'a malformed time',
      { date: '2031-05-05', windows: [{ start_time: '25:00', end_time: '10:00' }] },
      'windows[0].start_time',
    ],
    ['a date that does not exist', { date: '2031-02-30', unavailable: true }, 'date'],
    ['a null date', { date: null, unavailable: true }, 'date'],
    ['an unknown field', { date: '2031-05-05', unavailable: true, recurring_id: 1 }, 'recurring_id'],
    [
      'too many windows',
      {
        date: '2031-05-05',
        windows: Array.from({ length: 21 }, (_, i) => ({
          start_time: `${String(i).padStart(2, '0')}:00`,
          end_time: `${String(i).padStart(2, '0')}:30`,
        })),
      },
      'windows',
    ],
  ])('refuses %s with a 400 naming the field, and stores nothing', async (_name, body, field) => {
    const c = await consultant();
    const res = await override(c, body);
    assertProblem(res, 400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect((await http.get(`/consultants/${c.id}/date-overrides`)).body.data).toStrictEqual([]);
  });

  it('lists publicly by date, with from/to and pages; writes are the consultant’s or the admin’s', async () => {
    const c = await consultant();
    const other = await createConsultant(http);
    for (const date of ['2031-06-02', '2031-06-09', '2031-06-16'])
      expect(await override(c, { date, unavailable: true })).toHaveStatus(201);
    const page = await http.get(`/consultants/${c.id}/date-overrides?limit=2`);
    expect(page.body.data.map((o: { date: string }) => o.date)).toStrictEqual(['2031-06-02', '2031-06-09']);
    const next = await http.get(`/consultants/${c.id}/date-overrides?limit=2&cursor=${page.body.next_cursor}`);
    expect(next.body).toMatchObject({ data: [{ date: '2031-06-16' }], next_cursor: null });
    const ranged = await http.get(`/consultants/${c.id}/date-overrides?from=2031-06-05&to=2031-06-10`);
    expect(ranged.body.data.map((o: { date: string }) => o.date)).toStrictEqual(['2031-06-09']);
    assertProblem(await http.get('/consultants/999999/date-overrides'), 404);
    const body = { date: '2031-07-07', unavailable: true };
    assertProblem(await http.as(other.token).post(`/consultants/${c.id}/date-overrides`, body), 403);
    assertProblem(await http.as(alice.token).post(`/consultants/${c.id}/date-overrides`, body), 403);
    assertProblem(await http.as(undefined).post(`/consultants/${c.id}/date-overrides`, body), 401);
    const id = page.body.data[0].id;
    assertProblem(await http.as(other.token).delete(`/consultants/${c.id}/date-overrides/${id}`), 403);
    // Another consultant's override through one's own path is not found.
    assertProblem(await http.as(other.token).delete(`/consultants/${other.id}/date-overrides/${id}`), 404);
    assertProblem(await http.as(c.token).delete(`/consultants/${c.id}/date-overrides/abc`), 400);
  });
});
