import ICAL from 'ical.js';
import { DataSource } from 'typeorm';
import { assertProblem, createConsultant, createUser, type Created } from '../support/factories';
import { Http } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

describe('calendar views and feeds', () => {
  let t: TestApp;
  let http: Http;
  let ny: Created;
  let berlin: Created;
  let alice: Created;

  beforeAll(async () => {
    t = await startTestApp();
    http = new Http(t.app);
    ny = await createConsultant(http, { timezone: 'America/New_York', specialization: 'cal-views' });
    berlin = await createConsultant(http, { timezone: 'Europe/Berlin', specialization: 'cal-views' });
    alice = await createUser(http);
    for (const [c, body] of [
      [ny, { day: 'Mon', start_time: '09:00', end_time: '12:00' }],
      [ny, { day: 'Fri', start_time: '22:00', end_time: '02:00' }],
      [berlin, { day: 'Mon', start_time: '08:00', end_time: '10:00' }],
    ] as const) {
      const res = await http.as(c.token).post(`/consultants/${c.id}/recurring`, body);
      expect(res).toHaveStatus(201);
    }
    const slot = await http
      .as(ny.token)
      .post(`/consultants/${ny.id}/availabilities`, { date: '2030-12-02', start_time: '14:00', end_time: '15:00' });
    expect(slot).toHaveStatus(201);
  });
  afterAll(() => t.close());

  it('shows one-time and recurring slots together in the daily view, per consultant-local day', async () => {
    const res = await http.get('/consultants/availabilities/2030-12-02/?specialization=cal-views');
    expect(res).toHaveStatus(200);
    expect(res.body.date).toBe('2030-12-02');
    const nyDay = res.body.data.find((d: any) => d.consultant.id === ny.id);
    expect(nyDay.slots.map((s: any) => [s.source, s.start_time, s.end_time, s.start, s.is_booked])).toEqual([
      ['recurring', '09:00:00', '12:00:00', '2030-12-02T14:00:00.000Z', false],
      ['one_time', '14:00:00', '15:00:00', '2030-12-02T19:00:00.000Z', false],
    ]);
    expect(nyDay.slots[0].recurring_id).toBeTruthy();
    expect(nyDay.slots[1].availability_id).toBeTruthy();
    const berlinDay = res.body.data.find((d: any) => d.consultant.id === berlin.id);
    expect(berlinDay.slots[0].start).toBe('2030-12-02T07:00:00.000Z');
  });

  it('removes booked time from the free view and gives it back after a cancel', async () => {
    const booking = await http
      .as(alice.token)
      .post('/bookings', { consultant_id: ny.id, date: '2030-12-02', start_time: '10:00', end_time: '10:30' });
    expect(booking).toHaveStatus(201);
    const free = async () =>
      (await http.get('/consultants/availabilities/2030-12-02?specialization=cal-views')).body.data
        .find((d: any) => d.consultant.id === ny.id)
        .slots.filter((s: any) => s.source === 'recurring')
        .map((s: any) => `${s.start_time}-${s.end_time}`);
    expect(await free()).toEqual(['09:00:00-10:00:00', '10:30:00-12:00:00']);
    const cut = await http.get(
      `/availabilities/timerange/?consultant_id=${ny.id}&start=2030-12-02&end=2030-12-02&slot_minutes=30&include_booked=true`,
    );
    expect(
      cut.body.data[0].slots.filter((s: any) => s.source === 'recurring').map((s: any) => [s.start_time, s.is_booked]),
    ).toEqual([
      ['09:00:00', false],
      ['09:30:00', false],
      ['10:00:00', true],
      ['10:30:00', false],
      ['11:00:00', false],
      ['11:30:00', false],
    ]);
    await http.as(alice.token).post(`/bookings/${booking.body.id}/cancel`);
    expect(await free()).toEqual(['09:00:00-12:00:00']);
  });

  it('follows the consultant across the March DST change', async () => {
    const res = await http.get(`/availabilities/timerange?consultant_id=${ny.id}&start=2031-03-03&end=2031-03-10`);
    expect(res).toHaveStatus(200);
    expect(res.body.data).toHaveLength(1);
    expect(res.body.next_cursor).toBeNull();
    const mondays = res.body.data[0].slots.filter((s: any) => s.start_time === '09:00:00').map((s: any) => s.start);
    expect(mondays).toEqual(['2031-03-03T14:00:00.000Z', '2031-03-10T13:00:00.000Z']);
  });

  it('carries a midnight-crossing window into the next day', async () => {
    const res = await http.get(
      `/availabilities/timerange?consultant_id=${ny.id}&start=2030-12-06T00:00:00Z&end=2030-12-08T00:00:00Z&slot_minutes=60`,
    );
    const late = res.body.data[0].slots.filter(
      (s: any) => s.start >= '2030-12-07T03:00:00.000Z' && s.start < '2030-12-07T07:00:00.000Z',
    );
    expect(late.map((s: any) => `${s.date} ${s.start_time}`)).toEqual([
      '2030-12-06 22:00:00',
      '2030-12-06 23:00:00',
      '2030-12-07 00:00:00',
      '2030-12-07 01:00:00',
    ]);
    expect(late[3].end).toBe('2030-12-07T07:00:00.000Z');
    const whole = await http.get(`/availabilities/timerange?consultant_id=${ny.id}&start=2030-12-06&end=2030-12-06`);
    const window = whole.body.data[0].slots.find((s: any) => s.start_time === '22:00:00');
    expect([window.date, window.end_time, window.end]).toEqual(['2030-12-06', '02:00:00', '2030-12-07T07:00:00.000Z']);
  });

  it('lists every day of the month with booked slots marked', async () => {
    const booking = await http
      .as(alice.token)
      .post('/bookings', { consultant_id: berlin.id, date: '2030-12-09', start_time: '08:00', end_time: '09:00' });
    expect(booking).toHaveStatus(201);
    const res = await http.get(`/availabilities/monthly/?year=2030&month=12&consultant_id=${berlin.id}`);
    expect(res).toHaveStatus(200);
    const month = res.body.data[0];
    expect(month.consultant.id).toBe(berlin.id);
    expect(month.days).toHaveLength(31);
    const ninth = month.days.find((d: any) => d.date === '2030-12-09');
    expect(ninth.slots.map((s: any) => [s.start_time, s.end_time, s.is_booked])).toEqual([
      ['08:00:00', '09:00:00', true],
      ['09:00:00', '10:00:00', false],
    ]);
    // Five Mondays in December 2030.
    expect(month.days.filter((d: any) => d.slots.length)).toHaveLength(5);
  });

  it('serves the monthly and time-range views for a page of consultants when no consultant_id is given', async () => {
    const monthly = await http.get('/availabilities/monthly/?year=2030&month=12&specialization=cal-views&limit=1');
    expect(monthly).toHaveStatus(200);
    expect(monthly.body.data.map((d: any) => d.consultant.id)).toEqual([ny.id]);
    const next = await http.get(
      `/availabilities/monthly/?year=2030&month=12&specialization=cal-views&limit=1&cursor=${monthly.body.next_cursor}`,
    );
    expect(next.body.data.map((d: any) => d.consultant.id)).toEqual([berlin.id]);
    const range = await http.get('/availabilities/timerange/?start=2030-12-02&end=2030-12-02&specialization=cal-views');
    expect(range).toHaveStatus(200);
    const byId = new Map(range.body.data.map((d: any) => [d.consultant.id, d]));
    // Local dates resolve in each consultant's own zone.
    expect((byId.get(ny.id) as any).start).toBe('2030-12-02T05:00:00.000Z');
    expect((byId.get(berlin.id) as any).start).toBe('2030-12-01T23:00:00.000Z');
    expect((byId.get(berlin.id) as any).slots[0].start).toBe('2030-12-02T07:00:00.000Z');
  });

  it('lists a consultant with no time where a range of an instant and a date ends before it starts in their zone', async () => {
    // 23:30 UTC on 2 December is already past the end of 2 December in Berlin, not yet in New York.
    const range = await http.get(
      '/availabilities/timerange/?start=2030-12-02T23:30:00Z&end=2030-12-02&specialization=cal-views&include_booked=true',
    );
    expect(range).toHaveStatus(200);
    const byId = new Map(range.body.data.map((d: any) => [d.consultant.id, d]));
    expect(byId.get(berlin.id)).toMatchObject({
      start: '2030-12-02T23:30:00.000Z',
      end: '2030-12-02T23:30:00.000Z',
      slots: [],
    });
    expect(byId.get(ny.id)).toMatchObject({ start: '2030-12-02T23:30:00.000Z', end: '2030-12-03T05:00:00.000Z' });
    // Ending before it starts in UTC too is a 400, whoever is on the page.
    assertProblem(
      await http.get('/availabilities/timerange/?start=2030-12-03T00:30:00Z&end=2030-12-02&specialization=cal-views'),
      400,
    );
  });

  it('refuses bad dates, months and ranges over 92 days', async () => {
    assertProblem(await http.get('/consultants/availabilities/2030-02-30/'), 400);
    assertProblem(await http.get('/consultants/availabilities/tomorrow'), 400);
    assertProblem(await http.get(`/availabilities/monthly?year=2030&month=13&consultant_id=${ny.id}`), 400);
    assertProblem(await http.get(`/availabilities/monthly?year=2030&month=0&consultant_id=${ny.id}`), 400);
    assertProblem(await http.get(`/availabilities/monthly?year=2030&consultant_id=${ny.id}`), 400);
    assertProblem(await http.get(`/availabilities/monthly?year=2030&month=12&consultant_id=999999`), 404);
    assertProblem(await http.get(`/availabilities/monthly?year=2030&month=12&consultant_id=${ny.id}&cursor=WzFd`), 400);
    // 92 days inclusive is allowed.
    expect(
      await http.get(`/availabilities/timerange?consultant_id=${ny.id}&start=2030-12-01&end=2031-03-02`),
    ).toHaveStatus(200);
    assertProblem(
      await http.get(`/availabilities/timerange?consultant_id=${ny.id}&start=2030-12-01&end=2031-03-03`),
      400,
    );
    assertProblem(
      await http.get(`/availabilities/timerange?consultant_id=${ny.id}&start=2030-01-01&end=2130-01-01`),
      400,
    );
    assertProblem(
      await http.get(`/availabilities/timerange?consultant_id=${ny.id}&start=2030-12-05&end=2030-12-01`),
      400,
    );
    assertProblem(
      await http.get(`/availabilities/timerange?consultant_id=${ny.id}&start=2030-12-01&end=2030-12-02&slot_minutes=0`),
      400,
    );
  });

  it('issues the same number of SQL statements for a page of 10 and of 200 consultants', async () => {
    for (let i = 0; i < 200; i++)
      await createConsultant(http, {
        specialization: 'query-count',
        timezone: i % 2 ? 'Asia/Kolkata' : 'Pacific/Chatham',
      });
    const runner = Object.getPrototypeOf(t.app.get(DataSource).createQueryRunner());
    const original = runner.query;
    let count = 0;
    runner.query = function (this: unknown, ...args: unknown[]) {
      count++;
      return original.apply(this, args);
    };
    try {
      const page = async (limit: number) => {
        count = 0;
        const res = await http.get(`/consultants/availabilities/2030-12-02?specialization=query-count&limit=${limit}`);
        expect(res).toHaveStatus(200);
        expect(res.body.data).toHaveLength(limit);
        return count;
      };
      const small = await page(10);
      const large = await page(200);
      expect(small).toBeGreaterThan(0);
      expect(large).toBe(small);
    } finally {
      runner.query = original;
    }
  });

  it('feeds bookings as RFC 5545 with stable UIDs, SEQUENCE on reschedule and STATUS:CANCELLED', async () => {
    const booking = await http
      .as(alice.token)
      .post('/bookings', { consultant_id: ny.id, date: '2030-12-16', start_time: '09:00', end_time: '09:30' });
    expect(booking).toHaveStatus(201);
    const event = async (url: string, token: string) => {
      const res = await http.as(token).get(url);
      expect(res).toHaveStatus(200);
      expect(String(res.headers['content-type'])).toMatch(/^text\/calendar/);
      const vevent = new ICAL.Component(ICAL.parse(res.text))
        .getAllSubcomponents('vevent')
        .map((c) => new ICAL.Event(c))
        .find((e) => e.uid === `booking-${booking.body.id}@consultant-calendar`);
      // The booking is in the feed.
      expect(vevent).toBeDefined();
      return vevent!;
    };
    let e = await event(`/users/${alice.id}/calendar.ics`, alice.token);
    expect(e.startDate.toJSDate().toISOString()).toBe('2030-12-16T14:00:00.000Z');
    expect(e.sequence).toBe(0);
    await http
      .as(alice.token)
      .post(`/bookings/${booking.body.id}/reschedule`, { date: '2030-12-16', start_time: '10:00', end_time: '10:30' });
    e = await event(`/consultants/${ny.id}/calendar.ics`, ny.token);
    expect(e.sequence).toBe(1);
    expect(e.endDate.toJSDate().toISOString()).toBe('2030-12-16T15:30:00.000Z');
    await http.as(ny.token).post(`/bookings/${booking.body.id}/cancel`);
    e = await event(`/users/${alice.id}/calendar.ics`, ADMIN_TOKEN);
    expect(e.sequence).toBe(2);
    expect(e.component.getFirstPropertyValue('status')).toBe('CANCELLED');
    const bob = await createUser(http);
    assertProblem(await http.as(bob.token).get(`/users/${alice.id}/calendar.ics`), 403);
    assertProblem(await http.as(berlin.token).get(`/consultants/${ny.id}/calendar.ics`), 403);
    assertProblem(await http.get(`/consultants/${ny.id}/calendar.ics`), 401);
    assertProblem(await http.as(ADMIN_TOKEN).get('/users/999999/calendar.ics'), 404);
  });
});
