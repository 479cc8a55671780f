import { createConsultant, createUser, type Created } from '../support/factories';
import { Http } from '../support/http';
import { warnSkipping } from '../support/postgres-server';
import { serverUrl, startTestApp, type TestApp } from '../support/test-app';

if (!serverUrl) warnSkipping('instances', 'two instances share one database only on PostgreSQL; set DATABASE_URL');
const describeOnPostgres = serverUrl ? describe : describe.skip;

/**
 * Each instance keeps copies: of a consultant's schedule, to decide a booking in one round trip,
 * and of computed views. A change made through the other instance must show at once in both:
 * the versions are checked, not trusted.
 */
describeOnPostgres('two instances over one database', () => {
  let one: TestApp;
  let two: TestApp;
  let a: Http;
  let b: Http;
  let user: Created;

  beforeAll(async () => {
    one = await startTestApp();
    two = await startTestApp({ shareDatabaseOf: one });
    a = new Http(one.app);
    b = new Http(two.app);
    user = await createUser(a);
  });
  afterAll(async () => {
    await two.close();
    await one.close();
  });

  const slot = async (http: Http, c: Created, date: string, start: string, end: string): Promise<number> => {
    const res = await http
      .as(c.token)
      .post(`/consultants/${c.id}/availabilities`, { date, start_time: start, end_time: end });
    expect(res).toHaveStatus(201);
    return res.body.id;
  };
  const daily = async (http: Http, c: Created, date: string) => {
    const res = await http.as(user.token).get(`/consultants/availabilities/${date}/?limit=100`);
    expect(res).toHaveStatus(200);
    return res.body.data.find((d: { consultant: { id: number } }) => d.consultant.id === c.id).slots as {
      start_time: string;
      is_booked: boolean;
    }[];
  };
  const monthly = async (http: Http, c: Created) => {
    const res = await http.as(user.token).get(`/availabilities/monthly/?year=2031&month=6&consultant_id=${c.id}`);
    expect(res).toHaveStatus(200);
    return (res.body.data[0].days as { slots: { start_time: string; is_booked: boolean }[] }[]).flatMap((d) => d.slots);
  };

  it('a view kept by one instance changes with every change made through the other', async () => {
    const c = await createConsultant(a);
    const first = await slot(a, c, '2031-06-02', '09:00', '10:00');
    // Both instances compute and keep the month.
    expect(await monthly(a, c)).toEqual([expect.objectContaining({ start_time: '09:00:00', is_booked: false })]);
    expect(await monthly(b, c)).toEqual([expect.objectContaining({ start_time: '09:00:00', is_booked: false })]);
    // A slot added through one shows in the other's month.
    await slot(a, c, '2031-06-03', '09:00', '10:00');
    expect(await monthly(b, c)).toHaveLength(2);
    // A booking made through one is booked in the other's month and slot list.
    const slotList = async () => {
      const res = await b.get(`/consultants/${c.id}/availabilities`);
      expect(res).toHaveStatus(200);
      return res.body.data.map((s: { is_booked: boolean }) => s.is_booked);
    };
    expect(await slotList()).toEqual([false, false]);
    const booking = await a.as(user.token).post('/bookings', { availability_id: first });
    expect(booking).toHaveStatus(201);
    expect((await monthly(b, c)).map((s) => s.is_booked)).toEqual([true, false]);
    expect(await slotList()).toEqual([true, false]);
    // Its cancellation through the other frees it in the first's.
    expect(await b.as(user.token).post(`/bookings/${booking.body.id}/cancel`)).toHaveStatus(200);
    expect((await monthly(a, c)).map((s) => s.is_booked)).toEqual([false, false]);
    // A weekly window, then a time zone change, move what the other shows.
    expect(
      await a
        .as(c.token)
        .post(`/consultants/${c.id}/recurring`, { day_of_week: 2, start_time: '13:00', end_time: '14:00' }),
    ).toHaveStatus(201);
    expect((await daily(b, c, '2031-06-04')).map((s) => s.start_time)).toEqual(['13:00:00']);
    expect(await a.as(c.token).patch(`/consultants/${c.id}`, { timezone: 'Asia/Tokyo' })).toHaveStatus(200);
    expect((await daily(b, c, '2031-06-04')).map((s) => s.start_time)).toEqual(['13:00:00']);
    const utc = await b
      .as(user.token)
      .get(`/availabilities/timerange/?consultant_id=${c.id}&start=2031-06-04T00:00:00Z&end=2031-06-05T00:00:00Z`);
    expect(utc).toHaveStatus(200);
    expect(utc.body.data[0].slots.map((s: { start: string }) => s.start)).toEqual(['2031-06-04T04:00:00.000Z']);
  });

  it("a booking decided on one instance's copy of the schedule sees changes made through the other", async () => {
    const c = await createConsultant(a);
    const [s1, s2, s3] = [
      await slot(a, c, '2031-07-01', '09:00', '10:00'),
      await slot(a, c, '2031-07-01', '10:00', '11:00'),
      await slot(a, c, '2031-07-01', '11:00', '12:00'),
    ];
    // Instance two keeps copies of the consultant and of each slot it books (cancelling leaves them current).
    const bookThenCancel = async (slotId: number) => {
      const booked = await b.as(user.token).post('/bookings', { availability_id: slotId });
      expect(booked).toHaveStatus(201);
      expect(await b.as(user.token).post(`/bookings/${booked.body.id}/cancel`)).toHaveStatus(200);
    };
    expect(await b.as(user.token).post('/bookings', { availability_id: s1 })).toHaveStatus(201);
    await bookThenCancel(s3);
    // A policy set through one binds bookings through the other, whose copy predates it: nothing beyond tomorrow.
    expect(await a.as(c.token).put(`/consultants/${c.id}/policy`, { booking_horizon_days: 1 })).toHaveStatus(200);
    const refused = await b.as(user.token).post('/bookings', { availability_id: s3 });
    expect(refused).toHaveStatus(422);
    expect(refused.body.type).toBe('/problems/beyond-horizon');
    // And lifting it through one lets the other book, though its copy last said no.
    expect(await a.as(c.token).put(`/consultants/${c.id}/policy`, {})).toHaveStatus(200);
    expect(await b.as(user.token).post('/bookings', { availability_id: s3 })).toHaveStatus(201);
    // A slot deleted through one cannot be booked through the other, which has a current copy of it.
    await bookThenCancel(s2);
    expect(await a.as(c.token).delete(`/consultants/${c.id}/availabilities/${s2}`)).toHaveStatus(204);
    expect(await b.as(user.token).post('/bookings', { availability_id: s2 })).toHaveStatus(404);
    // A time zone changed through one moves a local-time booking through the other.
    expect(await a.as(c.token).patch(`/consultants/${c.id}`, { timezone: 'America/New_York' })).toHaveStatus(200);
    expect(
      await a
        .as(c.token)
        .post(`/consultants/${c.id}/availabilities`, { date: '2031-07-02', start_time: '09:00', end_time: '10:00' }),
    ).toHaveStatus(201);
    const local = await b
      .as(user.token)
      .post('/bookings', { consultant_id: c.id, date: '2031-07-02', start_time: '09:00', end_time: '10:00' });
    expect(local).toHaveStatus(201);
    expect(local.body.start).toBe('2031-07-02T13:00:00.000Z');
  });

  it('an ETag from one instance gets a 304 from the other while nothing changed, and a 200 after a change', async () => {
    const c = await createConsultant(a);
    const first = await slot(a, c, '2031-08-04', '09:00', '10:00');
    const routes = [
      { as: user.token, url: `/availabilities/monthly/?year=2031&month=8&consultant_id=${c.id}` },
      { as: user.token, url: `/availabilities/timerange/?consultant_id=${c.id}&start=2031-08-01&end=2031-08-31` },
      { as: user.token, url: '/consultants/availabilities/2031-08-04/?limit=100' },
      { as: user.token, url: `/consultant/${c.id}/availability/` },
      { as: user.token, url: `/consultants/${c.id}/availabilities` },
      { as: c.token, url: `/consultants/${c.id}/calendar.ics` },
      { as: user.token, url: `/users/${user.id}/calendar.ics` },
    ];
    const tagsFrom = async (http: Http) =>
      Promise.all(
        routes.map(async (route) => {
          const res = await http.as(route.as).get(route.url);
          expect(res).toHaveStatus(200);
          expect(res.headers.etag).toMatch(/^W\/".+"$/);
          return String(res.headers.etag);
        }),
      );
    const askWith = async (http: Http, tags: string[]) =>
      Promise.all(
        routes.map(async (route, i) => {
          const res = await http.as(route.as).get(route.url, { 'if-none-match': tags[i] });
          return { status: res.status, etag: res.headers.etag, body: res.text };
        }),
      );

    const tags = await tagsFrom(a);
    // Each instance tags the same answer alike, and answers the other's tag with an empty 304.
    expect(await tagsFrom(b)).toEqual(tags);
    expect(await askWith(b, tags)).toEqual(tags.map((etag) => ({ status: 304, etag, body: '' })));

    // A booking through one changes every view, list and feed: the other answers 200 with a new tag.
    expect(await a.as(user.token).post('/bookings', { availability_id: first })).toHaveStatus(201);
    const after = await askWith(b, tags);
    expect(after.map((r) => r.status)).toEqual(routes.map(() => 200));
    after.forEach((r, i) => expect(r.etag).not.toBe(tags[i]));
    // A rename shows in the views: their tags change with it.
    const renamed = await tagsFrom(b);
    expect(await a.as(c.token).patch(`/consultants/${c.id}`, { first_name: 'Renamed' })).toHaveStatus(200);
    const views = await askWith(a, renamed);
    expect(views.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('sends an answer kept by its ETag exactly as the other instance computes it, and a new one after a change', async () => {
    const c = await createConsultant(a);
    const first = await slot(a, c, '2031-09-01', '09:00', '10:00');
    const url = `/availabilities/monthly/?year=2031&month=9&consultant_id=${c.id}`;
    const computed = await b.get(url);
    const again = [await a.get(url), await a.get(url)];
    for (const res of again) {
      expect(res).toHaveStatus(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.text).toBe(computed.text);
    }
    expect(await a.as(user.token).post('/bookings', { availability_id: first })).toHaveStatus(201);
    const booked = await a.get(url);
    expect(booked.body.data[0].days[0].slots).toEqual([
      expect.objectContaining({ start_time: '09:00:00', is_booked: true }),
    ]);
    expect(booked.text).toBe((await b.get(url)).text);
  });

  it('gives no ETag to a view that changes with the clock alone (a notice)', async () => {
    const c = await createConsultant(a);
    await slot(a, c, '2031-09-01', '09:00', '10:00');
    expect(await a.as(c.token).put(`/consultants/${c.id}/policy`, { minimum_notice_minutes: 60 })).toHaveStatus(200);
    const res = await b.as(user.token).get(`/availabilities/monthly/?year=2031&month=9&consultant_id=${c.id}`);
    expect(res).toHaveStatus(200);
    expect(res.headers.etag).toBeUndefined();
  });
});
