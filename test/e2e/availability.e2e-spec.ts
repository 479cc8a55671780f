import { assertProblem, createConsultant, createUser } from '../support/factories';
import { Http, Reply } from '../support/http';
import { useTestApp } from '../support/test-app';

/** The fields every slot carries, and nothing else. */
const SLOT_FIELDS = ['consultant_id', 'date', 'end', 'end_time', 'id', 'is_booked', 'start', 'start_time'];

const fieldsOf = (res: Reply): string[] => (res.body.errors ?? []).map((e: { field: string }) => e.field);

/** A 400 whose `errors` name `field`. */
function assertNamesField(res: Reply, field: string, what: string): void {
  assertProblem(res, 400);
  expect(res.body).toMatchObject({ type: '/problems/validation-error' });
  // `what` rides along so that a failure names the case.
  expect({ what, fields: fieldsOf(res) }).toEqual({ what, fields: expect.arrayContaining([field]) });
}

describe('one-time availability', () => {
  const { http, admin } = useTestApp();

  /** All of a consultant's slots, as the public list shows them. */
  async function slotsOf(consultantId: number): Promise<any[]> {
    const res = await http.get(`/consultants/${consultantId}/availabilities?limit=200`);
    expect(res).toHaveStatus(200);
    expect(res.body.next_cursor).toBeNull();
    return res.body.data;
  }

  async function createSlot(
    as: Http,
    consultantId: number,
    date: string,
    start_time: string,
    end_time: string,
  ): Promise<any> {
    const res = await as.post(`/consultants/${consultantId}/availabilities`, { date, start_time, end_time });
    expect(res).toHaveStatus(201);
    return res.body;
  }

  const ids = (res: Reply): number[] => {
    expect(res).toHaveStatus(200);
    return res.body.data.map((s: { id: number }) => s.id);
  };

  it('runs the seed "Manage Availability" curls, with the consultant\'s token', async () => {
    // Seed "Create Entities" (its consultant 1 is the first of a new database; here, whichever id it gets).
    const created = await admin.post('/consultant/', { first_name: 'John', last_name: 'Doe' });
    expect(created).toHaveStatus(201);
    const john = Object.assign(http.as(created.body.api_token), { id: created.body.id as number });
    const seedBody = { date: '2024-12-25', start_time: '09:00:00', end_time: '10:00:00' };

    // The curl as the seed writes it has no token: the contract needs one for writes.
    assertProblem(await http.post(`/consultants/${john.id}/availabilities/`, seedBody), 401);
    expect((await http.get(`/consultant/${john.id}/availability/`)).body.data).toEqual([]);

    const slot = await john.post(`/consultants/${john.id}/availabilities/`, seedBody);
    expect(slot).toHaveStatus(201);
    expect(String(slot.headers['content-type'])).toMatch(/^application\/json/);
    expect(typeof slot.body.id).toBe('number');
    expect(slot.body).toEqual({
      id: slot.body.id,
      consultant_id: john.id,
      date: '2024-12-25',
      start_time: '09:00:00',
      end_time: '10:00:00',
      start: '2024-12-25T09:00:00.000Z',
      end: '2024-12-25T10:00:00.000Z',
      is_booked: false,
    });

    const list = await http.get(`/consultant/${john.id}/availability/`);
    expect(list).toHaveStatus(200);
    expect(list.body).toEqual({ data: [slot.body], next_cursor: null });
    // The seed path and the canonical one, with or without the slash, are the same list.
    for (const url of [
      `/consultant/${john.id}/availability`,
      `/consultants/${john.id}/availabilities`,
      `/consultants/${john.id}/availabilities/`,
    ]) {
      expect({ url, body: (await http.get(url)).body }).toEqual({ url, body: list.body });
    }
  });

  it("answers a new slot with its local fields and its UTC instants in the consultant's zone", async () => {
    const c = await createConsultant(http, { timezone: 'Asia/Kolkata' });
    const me = http.as(c.token);
    const res = await me.post(`/consultants/${c.id}/availabilities`, {
      date: '2026-12-01',
      start_time: '09:00',
      end_time: '10:15:30',
    });
    expect(res).toHaveStatus(201);
    expect(Object.keys(res.body).sort()).toEqual(SLOT_FIELDS);
    expect(res.body).toEqual({
      id: res.body.id,
      consultant_id: c.id,
      date: '2026-12-01',
      start_time: '09:00:00',
      end_time: '10:15:30',
      start: '2026-12-01T03:30:00.000Z',
      end: '2026-12-01T04:45:30.000Z',
      is_booked: false,
    });
    // A leap day exists in a leap year.
    const leap = await createSlot(me, c.id, '2028-02-29', '12:00', '13:00');
    expect(leap.start).toBe('2028-02-29T06:30:00.000Z');
    expect((await slotsOf(c.id)).map((s) => s.id)).toEqual([res.body.id, leap.id]);
  });

  it('lets an end_time earlier than start_time end on the next day', async () => {
    const ny = await createConsultant(http, { timezone: 'America/New_York' });
    const night = await createSlot(http.as(ny.token), ny.id, '2026-12-01', '23:00', '01:00');
    expect(night.date).toBe('2026-12-01');
    expect(night.start_time).toBe('23:00:00');
    expect(night.end_time).toBe('01:00:00');
    expect(night.start).toBe('2026-12-02T04:00:00.000Z');
    // The end instant is on the next day.
    expect(night.end).toBe('2026-12-02T06:00:00.000Z');

    // The longest slot there is: one second short of 24 hours.
    const utc = await createConsultant(http);
    const long = await createSlot(http.as(utc.token), utc.id, '2026-12-01', '09:00:00', '08:59:59');
    expect(long.start).toBe('2026-12-01T09:00:00.000Z');
    expect(long.end).toBe('2026-12-02T08:59:59.000Z');
    expect(long.date).toBe('2026-12-01');
  });

  it('rejects malformed dates and times with a 400 naming the field, and stores nothing', async () => {
    const c = await createConsultant(http, { timezone: 'America/New_York' });
    const me = http.as(c.token);
    const good = { date: '2026-12-01', start_time: '09:00', end_time: '10:00' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, date: '2024-02-30' }, 'date'],
      [{ ...good, date: '2026-02-29' }, 'date'],
      [{ ...good, date: '2026-13-01' }, 'date'],
      [{ ...good, date: '2026-12-1' }, 'date'],
      [{ ...good, date: '01/12/2026' }, 'date'],
      [{ ...good, date: '2026-12-01T09:00:00Z' }, 'date'],
      [{ ...good, date: 20261201 }, 'date'],
      [{ ...good, date: null }, 'date'],
      [{ start_time: '09:00', end_time: '10:00' }, 'date'],
      [{ ...good, start_time: '25:00' }, 'start_time'],
      [{ ...good, start_time: '24:00' }, 'start_time'],
      // Hours need two digits, as the contract's HH:MM says: 9:00 is refused, not guessed.
      [{ ...good, start_time: '9:00' }, 'start_time'],
      [{ ...good, start_time: '09:60' }, 'start_time'],
      [{ ...good, start_time: '09:00:60' }, 'start_time'],
      [{ ...good, start_time: '09:00:00.000' }, 'start_time'],
      [{ ...good, start_time: '9am' }, 'start_time'],
      [{ ...good, start_time: '' }, 'start_time'],
      [{ ...good, start_time: 900 }, 'start_time'],
      [{ date: '2026-12-01', start_time: '09:00' }, 'end_time'],
      [{ ...good, end_time: '10:00 PM' }, 'end_time'],
      // Equal times are a 400, however they are spelled.
      [{ ...good, start_time: '10:00', end_time: '10:00' }, 'end_time'],
      [{ ...good, start_time: '10:00', end_time: '10:00:00' }, 'end_time'],
      // 02:30 does not exist in New York on the night of 2026-03-08.
      [{ date: '2026-03-08', start_time: '02:30', end_time: '04:00' }, 'start_time'],
      // The end would fall on 10000-01-01, which no date can name.
      [{ date: '9999-12-31', start_time: '23:00', end_time: '01:00' }, 'date'],
    ];
    for (const [body, field] of cases)
      assertNamesField(await me.post(`/consultants/${c.id}/availabilities`, body), field, JSON.stringify(body));
    assertProblem(await me.post(`/consultants/${c.id}/availabilities`, [good]), 400);
    assertProblem(
      await me.post(`/consultants/${c.id}/availabilities`, 'not json', { 'content-type': 'application/json' }),
      400,
    );
    assertProblem(await me.post(`/consultants/${c.id}/availabilities`), 400);
    expect(await slotsOf(c.id)).toEqual([]);
  });

  it('rejects fields a client may not set (no mass assignment), and stores nothing', async () => {
    const c = await createConsultant(http);
    const other = await createConsultant(http);
    const good = { date: '2026-12-01', start_time: '09:00', end_time: '10:00' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, is_booked: true }, 'is_booked'],
      [{ ...good, is_booked: false }, 'is_booked'],
      [{ ...good, id: 4242 }, 'id'],
      [{ ...good, consultant_id: other.id }, 'consultant_id'],
      [{ ...good, start: '2026-12-01T09:00:00Z' }, 'start'],
      [{ ...good, created_at: '2026-01-01T00:00:00Z' }, 'created_at'],
    ];
    for (const as of [http.as(c.token), admin]) {
      for (const [body, field] of cases)
        assertNamesField(await as.post(`/consultants/${c.id}/availabilities`, body), field, JSON.stringify(body));
    }
    expect(await slotsOf(c.id)).toEqual([]);
    expect(await slotsOf(other.id)).toEqual([]);
  });

  it('refuses an overlapping slot with a 409 availability-overlap; adjacent slots are fine', async () => {
    const c = await createConsultant(http);
    const me = http.as(c.token);
    const nine = await createSlot(me, c.id, '2026-12-01', '09:00', '10:00');
    const ten = await createSlot(me, c.id, '2026-12-01', '10:00', '11:00');
    const eight = await createSlot(me, c.id, '2026-12-01', '08:00', '09:00');
    expect(ten.start).toBe(nine.end);
    expect(eight.end).toBe(nine.start);
    const overlapping: [string, string, string][] = [
      ['2026-12-01', '09:00', '10:00'],
      ['2026-12-01', '09:30', '10:30'],
      ['2026-12-01', '08:30', '09:15'],
      ['2026-12-01', '09:15', '09:45'],
      ['2026-12-01', '07:00', '12:00'],
      ['2026-12-01', '10:59:59', '11:30'],
    ];
    for (const [date, start_time, end_time] of overlapping) {
      const res = await me.post(`/consultants/${c.id}/availabilities`, { date, start_time, end_time });
      assertProblem(res, 409);
      expect(res.body).toMatchObject({ type: '/problems/availability-overlap' });
    }
    // Across midnight: 23:00→01:00 collides with the next day's 00:30.
    const night = await createSlot(me, c.id, '2026-12-01', '23:00', '01:00');
    const res = await me.post(`/consultants/${c.id}/availabilities`, {
      date: '2026-12-02',
      start_time: '00:30',
      end_time: '02:00',
    });
    assertProblem(res, 409);
    expect(res.body.type).toBe('/problems/availability-overlap');
    const after = await createSlot(me, c.id, '2026-12-02', '01:00', '02:00');
    expect(after.start).toBe(night.end);
    expect((await slotsOf(c.id)).map((s) => s.id)).toEqual([eight.id, nine.id, ten.id, night.id, after.id]);
    // Another consultant's time is their own.
    const other = await createConsultant(http);
    await createSlot(http.as(other.token), other.id, '2026-12-01', '09:00', '10:00');
  });

  it('lists slots ordered by start, filtered by from/to (local dates or instants) and is_booked', async () => {
    const c = await createConsultant(http, { timezone: 'America/New_York' });
    const me = http.as(c.token);
    const s3 = await createSlot(me, c.id, '2026-12-03', '09:00', '10:00');
    const s1 = await createSlot(me, c.id, '2026-12-01', '09:00', '10:00');
    const night = await createSlot(me, c.id, '2026-12-01', '23:00', '01:00'); // 2026-12-02 04:00Z–06:00Z
    const s2 = await createSlot(me, c.id, '2026-12-02', '09:00', '10:00'); // 14:00Z–15:00Z
    const list = (query: string) => http.get(`/consultants/${c.id}/availabilities?${query}`);

    expect(ids(await list(''))).toEqual([s1.id, night.id, s2.id, s3.id]);
    // Local dates are the consultant's days (2026-12-02 is 05:00Z to 05:00Z), `to` inclusive.
    expect(ids(await list('from=2026-12-02&to=2026-12-02'))).toEqual([night.id, s2.id]);
    expect(ids(await list('from=2026-12-02'))).toEqual([night.id, s2.id, s3.id]);
    expect(ids(await list('to=2026-12-01'))).toEqual([s1.id, night.id]);
    expect(ids(await list('from=2026-12-04'))).toEqual([]);
    expect(ids(await list('from=2026-12-03&to=2026-12-01'))).toEqual([]);
    // Instants: slots ending after `from` and starting before `to` (half-open).
    expect(ids(await list('from=2026-12-02T14:00:00Z'))).toEqual([s2.id, s3.id]);
    expect(ids(await list('from=2026-12-02T06:00:00Z'))).toEqual([s2.id, s3.id]);
    expect(ids(await list('from=2026-12-02T05:59:59Z'))).toEqual([night.id, s2.id, s3.id]);
    expect(ids(await list('to=2026-12-02T14:00:00Z'))).toEqual([s1.id, night.id]);
    expect(ids(await list('to=2026-12-02T14:00:01.5Z'))).toEqual([s1.id, night.id, s2.id]);
    expect(
      ids(
        await list(
          `from=${encodeURIComponent('2026-12-02T09:00:00-05:00')}&to=${encodeURIComponent('2026-12-02T10:00:00-05:00')}`,
        ),
      ),
    ).toEqual([s2.id]);
    expect(ids(await list('from=2026-12-02T14:30:00Z&to=2026-12-02T14:31:00Z'))).toEqual([s2.id]);
    // Mixed: a local date and an instant.
    expect(ids(await list('from=2026-12-01T15:00:00Z&to=2026-12-02'))).toEqual([night.id, s2.id]);
    // The widest dates there are.
    expect(ids(await list('from=1970-01-01&to=9998-12-31'))).toEqual([s1.id, night.id, s2.id, s3.id]);
    assertProblem(await http.get(`/consultants/${c.id}/availabilities?from=0001-01-01&to=9999-12-31`), 400);
    // Nothing is booked yet.
    expect(ids(await list('is_booked=false'))).toEqual([s1.id, night.id, s2.id, s3.id]);
    expect(ids(await list('is_booked=true'))).toEqual([]);
    expect(ids(await list('is_booked=false&from=2026-12-03'))).toEqual([s3.id]);

    const bad: [string, string][] = [
      ['from=yesterday', 'from'],
      ['from=2026-13-01', 'from'],
      ['from=2026-02-30', 'from'],
      ['from=2026-12-02T14:00:00', 'from'],
      ['to=2026-12-02T25:00:00Z', 'to'],
      ['to=1733000000', 'to'],
      ['is_booked=1', 'is_booked'],
      ['is_booked=yes', 'is_booked'],
      ['status=free', 'status'],
    ];
    for (const [query, field] of bad) assertNamesField(await list(query), field, query);
  });

  it('pages through slots with a cursor, in start order, whatever order they were created in', async () => {
    const c = await createConsultant(http);
    const me = http.as(c.token);
    const created = [];
    for (const day of ['05', '02', '07', '01', '04', '03', '06'])
      created.push(await createSlot(me, c.id, `2026-12-${day}`, '09:00', '10:00'));
    const expected = [...created].sort((a, b) => a.start.localeCompare(b.start)).map((s) => s.id);
    // Creation order differs from start order.
    expect(expected).not.toEqual(created.map((s) => s.id));

    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Reply = await http.get(
        `/consultant/${c.id}/availability/?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res).toHaveStatus(200);
      expect(res.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.data.map((s: { id: number }) => s.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(expected);

    // A cursor combines with a filter.
    const first = await http.get(`/consultants/${c.id}/availabilities?from=2026-12-03&limit=2`);
    expect(ids(first)).toEqual(expected.slice(2, 4));
    const second = await http.get(
      `/consultants/${c.id}/availabilities?from=2026-12-03&limit=2&cursor=${first.body.next_cursor}`,
    );
    expect(ids(second)).toEqual(expected.slice(4, 6));
    const last = await http.get(
      `/consultants/${c.id}/availabilities?from=2026-12-03&limit=2&cursor=${second.body.next_cursor}`,
    );
    expect(ids(last)).toEqual(expected.slice(6));
    expect(last.body.next_cursor).toBeNull();

    // The default page size is 50.
    expect((await http.get(`/consultants/${c.id}/availabilities`)).body.data).toHaveLength(7);

    const forged = Buffer.from(JSON.stringify(['not a date', 1])).toString('base64url');
    const wrongShape = Buffer.from(JSON.stringify([1, 'x'])).toString('base64url');
    const bad: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'],
      ['cursor=bm90LWpzb24', 'cursor'],
      [`cursor=${forged}`, 'cursor'],
      [`cursor=${wrongShape}`, 'cursor'],
      ['cursor=%24%24%24', 'cursor'],
    ];
    for (const [query, field] of bad)
      assertNamesField(await http.get(`/consultants/${c.id}/availabilities?${query}`), field, query);
    expect(await http.get(`/consultants/${c.id}/availabilities?limit=200`)).toHaveStatus(200);
  });

  it('deletes a slot by the canonical route and by the seed route (body {"id"} or ?id=)', async () => {
    const c = await createConsultant(http);
    const me = http.as(c.token);
    const [a, b, d, e] = [
      await createSlot(me, c.id, '2026-12-01', '09:00', '10:00'),
      await createSlot(me, c.id, '2026-12-01', '10:00', '11:00'),
      await createSlot(me, c.id, '2026-12-01', '11:00', '12:00'),
      await createSlot(me, c.id, '2026-12-01', '12:00', '13:00'),
    ];

    const canonical = await me.delete(`/consultants/${c.id}/availabilities/${a.id}`);
    expect(canonical).toHaveStatus(204);
    expect(canonical.text).toBe('');
    assertProblem(await me.delete(`/consultants/${c.id}/availabilities/${a.id}/`), 404);
    expect((await slotsOf(c.id)).map((s) => s.id)).toEqual([b.id, d.id, e.id]);

    expect(await me.delete(`/consultant/${c.id}/availability/`, { id: b.id })).toHaveStatus(204);
    expect((await slotsOf(c.id)).map((s) => s.id)).toEqual([d.id, e.id]);
    expect(await me.delete(`/consultant/${c.id}/availability/?id=${d.id}`)).toHaveStatus(204);
    expect((await slotsOf(c.id)).map((s) => s.id)).toEqual([e.id]);
    assertProblem(await me.delete(`/consultant/${c.id}/availability/`, { id: b.id }), 404);
    assertProblem(await me.delete(`/consultant/${c.id}/availability?id=${d.id}`), 404);

    // Naming the slot badly is a 400 naming id; an unknown one a 404.
    assertNamesField(await me.delete(`/consultant/${c.id}/availability/`), 'id', 'no id');
    assertNamesField(await me.delete(`/consultant/${c.id}/availability/`, {}), 'id', 'empty body');
    for (const id of ['abc', 0, -1, 1.5, '1e3', 99999999999]) {
      assertNamesField(await me.delete(`/consultant/${c.id}/availability/`, { id }), 'id', `body id ${id}`);
      assertNamesField(await me.delete(`/consultant/${c.id}/availability/?id=${id}`), 'id', `?id=${id}`);
    }
    assertNamesField(
      await me.delete(`/consultant/${c.id}/availability/`, { id: e.id, is_booked: false }),
      'is_booked',
      'extra field',
    );
    assertProblem(await me.delete(`/consultant/${c.id}/availability/`, { id: 999999 }), 404);
    assertProblem(await me.delete(`/consultants/${c.id}/availabilities/999999`), 404);

    // Another consultant's slot is not found under this consultant, even for the admin.
    const other = await createConsultant(http);
    const theirs = await createSlot(http.as(other.token), other.id, '2026-12-01', '09:00', '10:00');
    assertProblem(await me.delete(`/consultants/${c.id}/availabilities/${theirs.id}`), 404);
    assertProblem(await me.delete(`/consultant/${c.id}/availability/`, { id: theirs.id }), 404);
    assertProblem(await me.delete(`/consultant/${c.id}/availability?id=${theirs.id}`), 404);
    assertProblem(await admin.delete(`/consultants/${c.id}/availabilities/${theirs.id}`), 404);
    expect((await slotsOf(other.id)).map((s) => s.id)).toEqual([theirs.id]);
    expect((await slotsOf(c.id)).map((s) => s.id)).toEqual([e.id]);

    // The freed time can be published again.
    const again = await createSlot(me, c.id, '2026-12-01', '09:00', '10:00');
    expect(again.id).not.toBe(a.id);
  });

  it('answers 400 for a malformed path id and 404 for an unknown consultant', async () => {
    const c = await createConsultant(http);
    const slot = await createSlot(http.as(c.token), c.id, '2026-12-01', '09:00', '10:00');
    const body = { date: '2026-12-02', start_time: '09:00', end_time: '10:00' };
    for (const id of ['abc', '0', '-1', '1.5', '99999999999', '1e3', '%20']) {
      assertNamesField(await http.get(`/consultants/${id}/availabilities`), 'id', `GET ${id}`);
      assertNamesField(await http.get(`/consultant/${id}/availability/`), 'id', `GET seed ${id}`);
      assertNamesField(await admin.post(`/consultants/${id}/availabilities`, body), 'id', `POST ${id}`);
      // A consultant's own token does not turn a malformed id into a 403.
      assertNamesField(
        await http.as(c.token).post(`/consultants/${id}/availabilities`, body),
        'id',
        `POST as consultant ${id}`,
      );
      assertNamesField(await admin.delete(`/consultants/${id}/availabilities/${slot.id}`), 'id', `DELETE ${id}`);
      assertNamesField(await admin.delete(`/consultants/${c.id}/availabilities/${id}`), 'slot_id', `DELETE slot ${id}`);
      assertNamesField(
        await admin.delete(`/consultant/${id}/availability/`, { id: slot.id }),
        'id',
        `DELETE seed ${id}`,
      );
    }
    assertProblem(await http.get('/consultants/999999/availabilities'), 404);
    // A local date needs the consultant's zone first; an instant does not: both paths say 404.
    assertProblem(await http.get('/consultants/999999/availabilities?from=2026-12-01'), 404);
    assertProblem(await http.get('/consultants/999999/availabilities?from=2026-12-01T00:00:00Z'), 404);
    assertProblem(await http.get('/consultant/999999/availability/'), 404);
    const empty = await createConsultant(http);
    expect((await http.get(`/consultants/${empty.id}/availabilities`)).body).toEqual({ data: [], next_cursor: null });
    assertProblem(await admin.post('/consultants/999999/availabilities/', body), 404);
    assertProblem(await admin.delete(`/consultants/999999/availabilities/${slot.id}`), 404);
    assertProblem(await admin.delete('/consultant/999999/availability/', { id: slot.id }), 404);
    expect((await slotsOf(c.id)).map((s) => s.id)).toEqual([slot.id]);
  });

  it('lets only the consultant itself or the admin write: 401 without a token, 403 for anyone else, and nothing changes', async () => {
    const owner = await createConsultant(http);
    const stranger = await createConsultant(http);
    const user = await createUser(http);
    const mine = http.as(owner.token);
    const slot = await createSlot(mine, owner.id, '2026-12-01', '09:00', '10:00');
    const body = { date: '2026-12-02', start_time: '09:00', end_time: '10:00' };
    const writes: [string, (as: Http) => Promise<Reply>][] = [
      ['POST canonical', (as) => as.post(`/consultants/${owner.id}/availabilities`, body)],
      ['POST seed', (as) => as.post(`/consultants/${owner.id}/availabilities/`, body)],
      ['DELETE canonical', (as) => as.delete(`/consultants/${owner.id}/availabilities/${slot.id}`)],
      ['DELETE seed body', (as) => as.delete(`/consultant/${owner.id}/availability/`, { id: slot.id })],
      ['DELETE seed query', (as) => as.delete(`/consultant/${owner.id}/availability/?id=${slot.id}`)],
    ];
    const before = await slotsOf(owner.id);
    for (const [what, write] of writes) {
      assertProblem(await write(http), 401);
      assertProblem(await write(http.as('cc_c_not-a-real-token')), 401);
      assertProblem(await write(http.as('cc_a_not-the-admin-token')), 401);
      assertProblem(await write(http.as(stranger.token)), 403);
      assertProblem(await write(http.as(user.token)), 403);
      // Each write changed nothing.
      expect({ what, slots: await slotsOf(owner.id) }).toEqual({ what, slots: before });
    }
    for (const header of ['Basic YWRtaW46YWRtaW4=', `Bearer`, `Token ${owner.token}`]) {
      assertProblem(
        await http.request('POST', `/consultants/${owner.id}/availabilities`, body, { authorization: header }),
        401,
      );
    }
    expect(await slotsOf(owner.id)).toEqual(before);
    expect(await slotsOf(stranger.id)).toEqual([]);
    // Reads are public, and the same for everyone.
    expect((await http.as(user.token).get(`/consultants/${owner.id}/availabilities`)).body.data).toEqual(before);

    // The admin can do everything the consultant can.
    const made = await admin.post(`/consultants/${owner.id}/availabilities`, body);
    expect(made).toHaveStatus(201);
    expect(made.body.consultant_id).toBe(owner.id);
    const made2 = await createSlot(admin, owner.id, '2026-12-03', '09:00', '10:00');
    const made3 = await createSlot(admin, owner.id, '2026-12-04', '09:00', '10:00');
    expect(await admin.delete(`/consultants/${owner.id}/availabilities/${slot.id}`)).toHaveStatus(204);
    // A body id is a number, as everywhere; only ?id= is text (a fuzzer's find).
    assertProblem(await admin.delete(`/consultant/${owner.id}/availability/`, { id: String(made2.id) }), 400);
    expect(await admin.delete(`/consultant/${owner.id}/availability/`, { id: made2.id })).toHaveStatus(204);
    expect(await admin.delete(`/consultant/${owner.id}/availability?id=${made3.id}`)).toHaveStatus(204);
    expect((await slotsOf(owner.id)).map((s) => s.id)).toEqual([made.body.id]);
  });
});
