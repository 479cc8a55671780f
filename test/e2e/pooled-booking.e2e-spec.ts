import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import {
  assertProblem,
  createConsultant,
  createSlot,
  createUser,
  type Created,
  halfHour,
  openEveryDay,
} from '../support/factories';
import { useTestApp } from '../support/test-app';

const HOUR = 3_600_000;
let pools = 0;
/** A specialization of the test's own, so that pools of one file never meet. */
const newSpecialization = () => `pool-${++pools}-${randomUUID().slice(0, 8)}`;

describe('pooled booking', () => {
  // One user books a thousand times: the per-user cap is another spec's.
  const { http } = useTestApp({ env: { MAX_FUTURE_BOOKINGS_PER_USER: '100000' } });

  /** A pool of `weights.length` consultants, open every day 06:00–22:00, with these pool weights. */
  async function openPool(weights: number[], specialization = newSpecialization()) {
    const consultants: Created[] = [];
    for (const weight of weights) {
      const consultant = await createConsultant(http, { specialization });
      await openEveryDay(http, consultant);
      const policy = { max_client_share_minutes: null, pool_weight: weight };
      expect(await http.as(consultant.token).put(`/consultants/${consultant.id}/policy`, policy)).toHaveStatus(200);
      consultants.push(consultant);
    }
    return { specialization, consultants };
  }

  describe('who is in a pool', () => {
    it('lists each specialization once, compared trimmed and case-insensitively, with its counts', async () => {
      const name = newSpecialization();
      const spellings = [name, ` ${name.toUpperCase()}`, `${name}  `];
      const made = [];
      for (const specialization of spellings) made.push(await createConsultant(http, { specialization }));
      const policy = { pool_weight: 0 };
      expect(await http.as(made[2].token).put(`/consultants/${made[2].id}/policy`, policy)).toHaveStatus(200);
      const res = await http.get('/specializations');
      expect(res).toHaveStatus(200);
      expect(res.body.data.filter((s: { specialization: string }) => s.specialization.toLowerCase() === name)).toEqual([
        { specialization: name, consultants: 3, pooled: 2 },
      ]);
      const listed = await http.get(`/consultants?specialization=${encodeURIComponent(` ${name.toUpperCase()} `)}`);
      expect(listed.body.data.map((c: { id: number }) => c.id)).toEqual(made.map((c) => c.id));
    });

    it('keeps pool_weight in the policy, 0 to 1000, default 100', async () => {
      const consultant = await createConsultant(http);
      expect((await http.get(`/consultants/${consultant.id}/policy`)).body.pool_weight).toBe(100);
      for (const bad of [-1, 1001, 1.5, '100', null])
        assertProblem(
          await http.as(consultant.token).put(`/consultants/${consultant.id}/policy`, { pool_weight: bad }),
          400,
        );
      const set = await http.as(consultant.token).put(`/consultants/${consultant.id}/policy`, { pool_weight: 1000 });
      expect(set.body.pool_weight).toBe(1000);
      const back = await http.as(consultant.token).put(`/consultants/${consultant.id}/policy`, {});
      expect(back.body.pool_weight).toBe(100);
    });
  });

  describe('pooled free time', () => {
    it('counts the free consultants of each slot in the client zone, never naming them', async () => {
      const { specialization, consultants } = await openPool([100, 100, 0]);
      const user = await createUser(http);
      const slot = halfHour(2);
      expect(await http.as(user.token).post('/bookings', { consultant_id: consultants[0].id, ...slot })).toHaveStatus(
        201,
      );
      const query = `specialization=${specialization.toUpperCase()}&start=${halfHour(0).start}&end=${halfHour(4).start}&slot_minutes=30&timezone=Asia/Kolkata`;
      const res = await http.get(`/availabilities/pooled?${query}`);
      expect(res).toHaveStatus(200);
      expect(res.body).toMatchObject({ timezone: 'Asia/Kolkata', consultants: 2 });
      expect(
        res.body.slots.map((s: { start: string; free_consultants: number }) => [s.start, s.free_consultants]),
      ).toEqual([0, 1, 2, 3].map((n) => [new Date(halfHour(n).start).toISOString(), n === 2 ? 1 : 2]));
      // 06:00 UTC is 11:30 in Kolkata.
      expect(res.body.slots[0]).toEqual({
        date: '2031-01-01',
        start_time: '11:30:00',
        end_time: '12:00:00',
        start: '2031-01-01T06:00:00.000Z',
        end: '2031-01-01T06:30:00.000Z',
        free_consultants: 2,
      });
      expect(JSON.stringify(res.body)).not.toMatch(/consultant_id|first_name/);
      // An ETag like the other views': the same while the pool's calendars stand, new after a booking.
      const etag = String(res.headers.etag);
      expect((await http.get(`/availabilities/pooled?${query}`, { 'if-none-match': etag })).status).toBe(304);
      expect(
        await http.as(user.token).post('/bookings', { consultant_id: consultants[1].id, ...halfHour(3) }),
      ).toHaveStatus(201);
      const after = await http.get(`/availabilities/pooled?${query}`, { 'if-none-match': etag });
      expect(after).toHaveStatus(200);
      expect(after.body.slots.map((s: { free_consultants: number }) => s.free_consultants)).toEqual([2, 2, 1, 1]);
    });

    it('refuses a range over 31 days, a bad zone or a missing specialization with a problem', async () => {
      for (const query of [
        'specialization=x&start=2031-01-01&end=2031-02-01',
        'specialization=x&start=2031-01-01&end=2031-01-02&timezone=Mars/Olympus',
        'start=2031-01-01&end=2031-01-02',
        'specialization=%20%20&start=2031-01-01&end=2031-01-02',
        'specialization=x&start=2031-01-02&end=2031-01-01',
        'specialization=x&start=2031-01-01&end=2031-01-02&slot_minutes=2',
      ])
        assertProblem(await http.get(`/availabilities/pooled?${query}`), 400);
      const ok = await http.get('/availabilities/pooled?specialization=nobody&start=2031-01-01&end=2031-01-31');
      expect(ok).toHaveStatus(200);
      expect(ok.body).toMatchObject({ consultants: 0, slots: [] });
    });
  });

  describe('booking from a pool', () => {
    it('assigns a consultant, names it, and replays the same one for the same Idempotency-Key', async () => {
      const { specialization, consultants } = await openPool([100, 100, 100]);
      const user = await createUser(http);
      const body = { specialization: ` ${specialization.toUpperCase()} `, ...halfHour(40) };
      const key = { 'idempotency-key': randomUUID() };
      const first = await http.as(user.token).post('/bookings', body, key);
      expect(first).toHaveStatus(201);
      expect(consultants.map((c) => c.id)).toContain(first.body.consultant_id);
      const replay = await http.as(user.token).post('/bookings', body, key);
      expect(replay).toHaveStatus(201);
      expect(replay.body).toEqual(first.body);
      // Another request for the same time goes to another consultant of the pool.
      const second = await http.as(user.token).post('/bookings', body);
      expect(second).toHaveStatus(201);
      expect(second.body.consultant_id).not.toBe(first.body.consultant_id);
    });

    it('holds from a pool, and a held time is not offered again by that consultant', async () => {
      const { specialization } = await openPool([100, 100]);
      const user = await createUser(http);
      const slot = halfHour(70);
      const first = await http.as(user.token).post('/holds', { specialization, ...slot });
      expect(first).toHaveStatus(201);
      const second = await http.as(user.token).post('/holds', { specialization, ...slot });
      expect(second).toHaveStatus(201);
      expect(second.body.consultant_id).not.toBe(first.body.consultant_id);
      assertProblem(await http.as(user.token).post('/holds', { specialization, ...slot }), 409);
      const booked = await http.as(user.token).post('/bookings', { hold_id: first.body.id });
      expect(booked).toHaveStatus(201);
      expect(booked.body.consultant_id).toBe(first.body.consultant_id);
    });

    it('answers 409 time-taken once no consultant is left, 404 for a pool with none, 400 for a mixed target', async () => {
      const { specialization, consultants } = await openPool([100]);
      const user = await createUser(http);
      const slot = halfHour(100);
      expect(await http.as(user.token).post('/bookings', { specialization, ...slot })).toHaveStatus(201);
      const taken = await http.as(user.token).post('/bookings', { specialization, ...slot });
      assertProblem(taken, 409);
      expect(taken.body.type).toBe('/problems/time-taken');
      assertProblem(await http.as(user.token).post('/bookings', { specialization: 'no-such-pool', ...slot }), 404);
      for (const mixed of [
        { specialization, consultant_id: consultants[0].id, ...slot },
        { specialization, date: '2031-01-05', start_time: '10:00', end_time: '10:30' },
        { specialization, start: slot.start },
        { specialization: '', ...slot },
        { specialization: 7, ...slot },
      ])
        assertProblem(await http.as(user.token).post('/bookings', mixed), 400);
      const outside = { specialization, start: '2031-01-02T23:00:00Z', end: '2031-01-02T23:30:00Z' };
      assertProblem(await http.as(user.token).post('/bookings', outside), 409);
    });

    it('applies each consultant’s own rules: a full day passes the request to the next', async () => {
      const { specialization, consultants } = await openPool([100, 100]);
      expect(
        await http
          .as(consultants[0].token)
          .put(`/consultants/${consultants[0].id}/policy`, { max_client_share_minutes: null, max_bookings_per_day: 1 }),
      ).toHaveStatus(200);
      const user = await createUser(http);
      const made = [];
      for (const n of [130, 131, 132]) {
        const res = await http.as(user.token).post('/bookings', { specialization, ...halfHour(n) });
        expect(res).toHaveStatus(201);
        made.push(res.body.consultant_id);
      }
      expect(made.filter((id) => id === consultants[0].id)).toHaveLength(1);
    });
  });

  describe('fair assignment', () => {
    const MINUTE = 60_000;
    const FIRST = Date.UTC(2031, 5, 2);
    /**
     * The n-th of 1,000 five-minute bookings, 00:00–23:55 UTC each day: the thousand span under 3½
     * days, so each lies in every other's assignment window (7 days centred on its start) and the
     * counts are the rule's alone. Over longer spans, bookings leaving the window shift the weighted
     * counts a little (docs/API.md, "Fair assignment").
     */
    const fiveMinutes = (n: number) => {
      const start = FIRST + Math.floor(n / 287) * 24 * 60 * MINUTE + (n % 287) * 5 * MINUTE;
      return { start: new Date(start).toISOString(), end: new Date(start + 5 * MINUTE).toISOString() };
    };

    /** `count` sequential pooled bookings, each at a time of its own, and how many each consultant got. */
    async function bookSequentially(weights: number[], count: number): Promise<number[]> {
      const specialization = newSpecialization();
      const consultants: Created[] = [];
      for (const pool_weight of weights) {
        const consultant = await createConsultant(http, { specialization });
        const availability = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].map((day) => ({
          day,
          start_time: '00:00',
          end_time: '23:55',
        }));
        const as = http.as(consultant.token);
        expect(await as.put(`/consultants/${consultant.id}/weekly-schedule`, { availability })).toHaveStatus(200);
        const policy = { max_client_share_minutes: null, pool_weight };
        expect(await as.put(`/consultants/${consultant.id}/policy`, policy)).toHaveStatus(200);
        consultants.push(consultant);
      }
      const user = await createUser(http);
      const got = new Map(consultants.map((c) => [c.id, 0]));
      for (let n = 0; n < count; n++) {
        const res = await http.as(user.token).post('/bookings', { specialization, ...fiveMinutes(n) });
        expect(res).toHaveStatus(201);
        got.set(res.body.consultant_id, got.get(res.body.consultant_id)! + 1);
      }
      return [...got.values()];
    }

    it('leaves 1,000 bookings over 5 equally weighted consultants within one of each other', async () => {
      const counts = await bookSequentially([100, 100, 100, 100, 100], 1000);
      expect(counts.reduce((a, b) => a + b)).toBe(1000);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    });

    it('gives weights 100/100/200 counts of 1:1:2, within one', async () => {
      const counts = await bookSequentially([100, 100, 200], 1000);
      expect(counts.reduce((a, b) => a + b)).toBe(1000);
      [250, 250, 500].forEach((expected, i) => expect(Math.abs(counts[i] - expected)).toBeLessThanOrEqual(1));
    });
  });

  describe('consistency with the single-consultant views', () => {
    const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
    const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
    // Monday 2031-01-06 to Thursday 2031-01-09 (UTC): windows, slots and bookings fall around it.
    const RANGE = { start: Date.UTC(2031, 0, 6, 12), end: Date.UTC(2031, 0, 8, 12) };
    const quarter = (q: number) =>
      `${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}`;

    const consultantArb = fc.record({
      timezone: fc.constantFrom(...ZONES),
      // Distinct days, so the windows never overlap one another.
      windows: fc.uniqueArray(
        fc.record({
          day: fc.constantFrom(...DAYS),
          from: fc.integer({ min: 0, max: 80 }),
          quarters: fc.integer({ min: 2, max: 40 }),
        }),
        { selector: (w) => w.day, maxLength: 4 },
      ),
      slot: fc.option(
        fc.record({
          day: fc.integer({ min: 6, max: 8 }),
          from: fc.integer({ min: 0, max: 88 }),
          quarters: fc.integer({ min: 1, max: 8 }),
        }),
        { nil: undefined },
      ),
      override: fc.option(
        fc.record({
          day: fc.integer({ min: 6, max: 8 }),
          from: fc.integer({ min: 0, max: 80 }),
          quarters: fc.integer({ min: 2, max: 16 }),
        }),
        { nil: undefined },
      ),
      bookings: fc.array(
        fc.record({
          at: fc.integer({ min: 0, max: 48 * 4 }),
          quarters: fc.integer({ min: 1, max: 8 }),
          hold: fc.boolean(),
        }),
        { maxLength: 4 },
      ),
      policy: fc.record({
        buffer_before_minutes: fc.constantFrom(0, 0, 15),
        buffer_after_minutes: fc.constantFrom(0, 0, 30),
        slot_minutes: fc.constantFrom(null, null, 15, 45),
        max_bookings_per_day: fc.constantFrom(null, null, 1),
        max_client_share_minutes: fc.constant(null),
        max_booking_minutes: fc.constant(null),
      }),
    });

    it('is the union of the pool’s time-range views, slot by slot (200 random pools)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(consultantArb, { minLength: 1, maxLength: 4 }),
          fc.constantFrom(15, 30, 60),
          async (pool, slotMinutes) => {
            const specialization = newSpecialization();
            // A user of the run's own: its live holds count against MAX_HOLDS_PER_USER.
            const user = await createUser(http);
            const ids: number[] = [];
            for (const spec of pool) {
              const c = await createConsultant(http, { specialization, timezone: spec.timezone });
              ids.push(c.id);
              const as = http.as(c.token);
              const availability = spec.windows.map((w) => ({
                day: w.day,
                start_time: quarter(w.from),
                end_time: quarter(Math.min(w.from + w.quarters, 95)),
              }));
              expect(await as.put(`/consultants/${c.id}/weekly-schedule`, { availability })).toHaveStatus(200);
              if (spec.slot)
                await createSlot(
                  http,
                  c,
                  `2031-01-0${spec.slot.day}`,
                  quarter(spec.slot.from),
                  quarter(Math.min(spec.slot.from + spec.slot.quarters, 95)),
                );
              if (spec.override) {
                const { day, from, quarters } = spec.override;
                const windows = [{ start_time: quarter(from), end_time: quarter(Math.min(from + quarters, 95)) }];
                expect(
                  await as.post(`/consultants/${c.id}/date-overrides`, { date: `2031-01-0${day}`, windows }),
                ).toHaveStatus(201);
              }
              // Booked and held under no policy, then the policy: buffers and limits apply from then on.
              for (const b of spec.bookings) {
                const start = RANGE.start - 12 * HOUR + b.at * 15 * 60_000;
                const target = {
                  consultant_id: c.id,
                  start: new Date(start).toISOString(),
                  end: new Date(start + b.quarters * 15 * 60_000).toISOString(),
                };
                const res = await http.as(user.token).post(b.hold ? '/holds' : '/bookings', target);
                expect([201, 409, 422]).toContain(res.status);
              }
              expect(await as.put(`/consultants/${c.id}/policy`, spec.policy)).toHaveStatus(200);
            }
            const range = `start=${new Date(RANGE.start).toISOString()}&end=${new Date(RANGE.end).toISOString()}&slot_minutes=${slotMinutes}`;
            const pooled = await http.get(`/availabilities/pooled?specialization=${specialization}&${range}`);
            expect(pooled).toHaveStatus(200);
            const expected = new Map<string, number>();
            for (const id of ids) {
              const view = await http.get(`/availabilities/timerange?consultant_id=${id}&${range}`);
              expect(view).toHaveStatus(200);
              const listed = new Set<string>(
                view.body.data[0].slots
                  .filter((s: { is_booked: boolean }) => !s.is_booked)
                  .map((s: { start: string; end: string }) => `${s.start} ${s.end}`),
              );
              for (const key of listed) expected.set(key, (expected.get(key) ?? 0) + 1);
            }
            const got = new Map<string, number>(
              pooled.body.slots.map((s: { start: string; end: string; free_consultants: number }) => [
                `${s.start} ${s.end}`,
                s.free_consultants,
              ]),
            );
            expect(got).toEqual(expected);
            expect([...got.keys()]).toEqual(
              [...expected.keys()].sort(
                (a, b) =>
                  Date.parse(a.split(' ')[0]) - Date.parse(b.split(' ')[0]) ||
                  Date.parse(a.split(' ')[1]) - Date.parse(b.split(' ')[1]),
              ),
            );
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});
