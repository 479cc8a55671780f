import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { assertProblem, createConsultant, createUser, type Created } from '../support/factories';
import { Http } from '../support/http';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../support/test-app';

interface Row {
  type: string;
  sequence: number;
  data: any;
}

/**
 * The outbox: every committed change writes its event in its own transaction, and a refused or
 * rolled-back change writes none. Read straight from the table; the relay is off here.
 */
describe('events: one outbox row per committed change', () => {
  let t: TestApp;
  let http: Http;
  let consultant: Created;
  let alice: Created;
  let bob: Created;

  beforeAll(async () => {
    t = await startTestApp();
    http = new Http(t.app);
  });
  afterAll(() => t.close());
  // Parties of each test's own: sequences count from 1 for a new consultant.
  beforeEach(async () => {
    consultant = await createConsultant(http, { timezone: 'Europe/Berlin' });
    alice = await createUser(http);
    bob = await createUser(http);
  });

  const events = (consultantId = consultant.id) =>
    t.app
      .get(DataSource)
      .query<Row[]>('SELECT type, sequence, data FROM outbox_events WHERE consultant_id = $1 ORDER BY sequence', [
        consultantId,
      ]);
  /** Runs a change and returns the events it added. */
  async function added(change: () => Promise<unknown>): Promise<Row[]> {
    const before = (await events()).length;
    await change();
    return (await events()).slice(before);
  }
  const me = () => http.as(consultant.token);
  /** Creates one of the consultant's resources; its id. */
  const make = async (what: 'availabilities' | 'recurring', body: object): Promise<number> => {
    const res = await me().post(`/consultants/${consultant.id}/${what}`, body);
    expect(res).toHaveStatus(201);
    return res.body.id;
  };
  const expectStatus = async (status: number, pending: Promise<{ status: number }>) =>
    expect(await pending).toHaveStatus(status);

  it('slots and weekly rules: created, changed, deleted; a refused one writes nothing', async () => {
    let slotId = 0;
    const created = await added(async () => {
      slotId = await make('availabilities', { date: '2031-03-03', start_time: '10:00', end_time: '11:00' });
    });
    expect(created).toEqual([
      {
        type: 'availability.changed',
        sequence: 1,
        data: { change: 'slot.created', slot: expect.objectContaining({ id: slotId, start_time: '10:00:00' }) },
      },
    ]);
    // Overlaps it: refused by the exclusion constraint, inside the transaction.
    const overlap = { date: '2031-03-03', start_time: '10:30', end_time: '11:30' };
    expect(
      await added(() => expectStatus(409, me().post(`/consultants/${consultant.id}/availabilities`, overlap))),
    ).toEqual([]);
    const deleted = await added(() =>
      expectStatus(204, me().delete(`/consultants/${consultant.id}/availabilities/${slotId}`)),
    );
    expect(deleted).toEqual([
      { type: 'availability.changed', sequence: 2, data: { change: 'slot.deleted', slot_id: slotId } },
    ]);
    expect(
      await added(() => expectStatus(404, me().delete(`/consultants/${consultant.id}/availabilities/${slotId}`))),
    ).toEqual([]);

    let ruleId = 0;
    const rule = await added(async () => {
      ruleId = await make('recurring', { day: 'Mon', start_time: '09:00', end_time: '17:00' });
    });
    expect(rule).toEqual([
      {
        type: 'availability.changed',
        sequence: 3,
        data: { change: 'rules.created', rules: [expect.objectContaining({ id: ruleId })] },
      },
    ]);
    const clash = { day: 'Mon', start_time: '16:00', end_time: '18:00' };
    expect(await added(() => expectStatus(409, me().post(`/consultants/${consultant.id}/recurring`, clash)))).toEqual(
      [],
    );
    const patched = await added(() =>
      expectStatus(200, me().patch(`/consultants/${consultant.id}/recurring/${ruleId}`, { end_time: '18:00' })),
    );
    expect(patched).toEqual([
      {
        type: 'availability.changed',
        sequence: 4,
        data: { change: 'rule.updated', rule: expect.objectContaining({ id: ruleId, end_time: '18:00:00' }) },
      },
    ]);
    const toggled = await added(() => expectStatus(200, me().patch(`/api/availability/${ruleId}/toggle`)));
    expect(toggled).toMatchObject([{ sequence: 5, data: { change: 'rule.updated', rule: { is_active: false } } }]);
    const removed = await added(() =>
      expectStatus(204, me().delete(`/consultants/${consultant.id}/recurring/${ruleId}`)),
    );
    expect(removed).toEqual([
      { type: 'availability.changed', sequence: 6, data: { change: 'rule.deleted', rule_id: ruleId } },
    ]);
    const week = { availability: [{ day: 'Tue', start_time: '08:00', end_time: '20:00' }] };
    const replaced = await added(() =>
      expectStatus(200, me().put(`/consultants/${consultant.id}/weekly-schedule`, week)),
    );
    expect(replaced).toMatchObject([{ sequence: 7, data: { change: 'rules.replaced', rules: [{ day: 'Tue' }] } }]);
  });

  it('bookings: created, rescheduled, cancelled; a 409, a failed reschedule and a replay write nothing', async () => {
    const week = { availability: [{ day: 'Tue', start_time: '08:00', end_time: '20:00' }] };
    expect(await me().put(`/consultants/${consultant.id}/weekly-schedule`, week)).toHaveStatus(200);
    const first = { consultant_id: consultant.id, start: '2031-03-04T09:00:00Z', end: '2031-03-04T10:00:00Z' };
    const key = randomUUID();
    let booking: any;
    const created = await added(async () => {
      const res = await http.as(alice.token).post('/bookings', first, { 'idempotency-key': key });
      expect(res).toHaveStatus(201);
      booking = res.body;
    });
    expect(created).toEqual([{ type: 'booking.created', sequence: expect.any(Number), data: booking }]);
    // The replay answers the first booking again and changes nothing.
    expect(
      await added(() => expectStatus(201, http.as(alice.token).post('/bookings', first, { 'idempotency-key': key }))),
    ).toEqual([]);
    // Taken: the insert meets the exclusion constraint and its transaction rolls back.
    const taken = await added(async () => assertProblem(await http.as(bob.token).post('/bookings', first), 409));
    expect(taken).toEqual([]);
    // So does the same refusal under an idempotency key (stored as an answer, the change rolled back).
    const keyed = await added(async () =>
      assertProblem(await http.as(bob.token).post('/bookings', first, { 'idempotency-key': randomUUID() }), 409),
    );
    expect(keyed).toEqual([]);

    const second = { consultant_id: consultant.id, start: '2031-03-04T11:00:00Z', end: '2031-03-04T12:00:00Z' };
    const other = await http.as(bob.token).post('/bookings', second);
    expect(other).toHaveStatus(201);
    // Onto bob's time: refused, the booking unchanged, no event.
    const failed = await added(async () =>
      assertProblem(
        await http.as(alice.token).post(`/bookings/${booking.id}/reschedule`, { start: second.start, end: second.end }),
        409,
      ),
    );
    expect(failed).toEqual([]);
    const moved = await added(() =>
      expectStatus(
        200,
        http
          .as(alice.token)
          .post(`/bookings/${booking.id}/reschedule`, { start: '2031-03-04T13:00:00Z', end: '2031-03-04T14:00:00Z' }),
      ),
    );
    expect(moved).toMatchObject([
      { type: 'booking.rescheduled', data: { id: booking.id, start: '2031-03-04T13:00:00.000Z' } },
    ]);
    const cancelled = await added(() => expectStatus(200, http.as(alice.token).post(`/bookings/${booking.id}/cancel`)));
    expect(cancelled).toMatchObject([{ type: 'booking.cancelled', data: { id: booking.id, status: 'cancelled' } }]);
    // Cancelling twice changes nothing.
    expect(await added(() => expectStatus(200, http.as(alice.token).post(`/bookings/${booking.id}/cancel`)))).toEqual(
      [],
    );
  });

  it('date overrides, the policy and the time zone; a hold writes nothing until it is booked', async () => {
    const c = await createConsultant(http, { timezone: 'Europe/Berlin' });
    const as = http.as(c.token);
    const path = `/consultants/${c.id}`;
    const since = async (seen: number) => (await events(c.id)).slice(seen);

    const override = await as.post(`${path}/date-overrides`, { date: '2031-05-05', unavailable: true });
    expect(override).toHaveStatus(201);
    // A second one for the date is a 409 and writes nothing.
    await expectStatus(409, as.post(`${path}/date-overrides`, { date: '2031-05-05', unavailable: true }));
    await expectStatus(204, as.delete(`${path}/date-overrides/${override.body.id}`));
    await expectStatus(200, as.put(`${path}/policy`, { buffer_after_minutes: 15 }));
    // Refused by validation: nothing.
    await expectStatus(400, as.put(`${path}/policy`, { buffer_after_minutes: -1 }));
    expect(await since(0)).toEqual([
      {
        type: 'availability.changed',
        sequence: 1,
        data: {
          change: 'override.created',
          override: expect.objectContaining({ id: override.body.id, unavailable: true }),
        },
      },
      {
        type: 'availability.changed',
        sequence: 2,
        data: { change: 'override.deleted', override_id: override.body.id },
      },
      {
        type: 'availability.changed',
        sequence: 3,
        data: {
          change: 'policy.updated',
          policy: expect.objectContaining({ consultant_id: c.id, buffer_after_minutes: 15 }),
        },
      },
    ]);

    const rule = await as.post(`${path}/recurring`, { day: 'Mon', start_time: '09:00', end_time: '17:00' });
    expect(rule).toHaveStatus(201);
    // A new name moves nothing; a new time zone moves every weekly window.
    await expectStatus(200, http.as(ADMIN_TOKEN).patch(path, { first_name: 'Renamed' }));
    await expectStatus(200, http.as(ADMIN_TOKEN).patch(path, { timezone: 'America/New_York' }));
    expect(await since(4)).toEqual([
      { type: 'availability.changed', sequence: 5, data: { change: 'timezone.updated', timezone: 'America/New_York' } },
    ]);
    const target = { consultant_id: c.id, date: '2031-05-12', start_time: '10:00', end_time: '11:00' };
    const held = await http.as(alice.token).post('/holds', target);
    expect(held).toHaveStatus(201);
    expect(await since(5)).toEqual([]);
    const booked = await http.as(alice.token).post('/bookings', { hold_id: held.body.id });
    expect(booked).toHaveStatus(201);
    expect(await since(5)).toEqual([
      {
        type: 'booking.created',
        sequence: 6,
        data: expect.objectContaining({ id: held.body.id, status: 'confirmed' }),
      },
    ]);
  });

  it('numbers each consultant 1, 2, 3… without gaps, whatever was refused in between', async () => {
    const all = await events();
    expect(all.map((e) => e.sequence)).toEqual(all.map((_, i) => i + 1));
    const another = await createConsultant(http);
    await expectStatus(
      201,
      http.as(another.token).post(`/consultants/${another.id}/availabilities`, {
        date: '2031-03-05',
        start_time: '10:00',
        end_time: '11:00',
      }),
    );
    expect((await events(another.id)).map((e) => e.sequence)).toEqual([1]);
  });

  it("a booking the writer refuses (the client's share) takes no number: the next one follows without a gap", async () => {
    await expectStatus(200, me().put(`/consultants/${consultant.id}/policy`, { max_client_share_minutes: 60 }));
    const [first, second] = [
      await make('availabilities', { date: '2031-03-06', start_time: '10:00', end_time: '11:00' }),
      await make('availabilities', { date: '2031-03-06', start_time: '12:00', end_time: '13:00' }),
    ];
    await expectStatus(201, http.as(alice.token).post('/bookings', { availability_id: first }));
    const refused = await http.as(alice.token).post('/bookings', { availability_id: second });
    expect(refused).toHaveStatus(422);
    expect(refused.body.type).toBe('/problems/client-share');
    // Another user from another address: the share counts both.
    await expectStatus(201, http.from('192.0.2.7').as(bob.token).post('/bookings', { availability_id: second }));
    const all = await events();
    expect(all.map((e) => e.sequence)).toEqual(all.map((_, i) => i + 1));
    expect(all.slice(-2).map((e) => e.type)).toEqual(['booking.created', 'booking.created']);
  });
});
