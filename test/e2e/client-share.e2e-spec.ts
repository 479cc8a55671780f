// What one client can take of a consultant (issue 22, finding 2): the policy's longest booking of
// window time, and a client's share of the consultant's upcoming time, counted per user and per
// client address, on by default.
import {
  assertProblem,
  createConsultant,
  createSlot,
  createUser,
  type Created,
  openEveryDay,
} from '../support/factories';
import { DataSource } from 'typeorm';
import { useTestApp } from '../support/test-app';

/** `hours` of window time on 2031-01-0`day` from `hour` (UTC, the consultant's zone by default). */
const time = (day: number, hour: number, hours = 2) => ({
  start: `2031-01-0${day}T${String(hour).padStart(2, '0')}:00:00.000Z`,
  end: `2031-01-0${day}T${String(hour + hours).padStart(2, '0')}:00:00.000Z`,
});
const twoHours = (consultant: Created, day: number, hour: number, hours = 2) => ({
  consultant_id: consultant.id,
  ...time(day, hour, hours),
});

describe('a client share of a consultant, and the longest booking', () => {
  const app = useTestApp();
  const { http, admin } = app;

  async function openConsultant(): Promise<Created> {
    const consultant = await createConsultant(http);
    await openEveryDay(http, consultant);
    // Back to the default policy, whose share this file is about.
    expect(await http.as(consultant.token).put(`/consultants/${consultant.id}/policy`, {})).toHaveStatus(200);
    return consultant;
  }

  it('refuses window time longer than max_booking_minutes (default 120), but books a longer one-time slot whole', async () => {
    const c = await openConsultant();
    const user = await createUser(http);
    const asUser = http.from('10.1.0.1').as(user.token);
    const tooLong = await asUser.post('/bookings', twoHours(c, 1, 8, 3));
    assertProblem(tooLong, 422);
    expect(tooLong.body.type).toBe('/problems/too-long');
    assertProblem(await asUser.post('/holds', twoHours(c, 1, 8, 3)), 422);
    expect(await asUser.post('/bookings', twoHours(c, 1, 8))).toHaveStatus(201);
    const slot = await createSlot(http, c, '2031-02-03', '09:00', '12:00');
    const other = await createUser(http);
    expect(await http.from('10.1.0.2').as(other.token).post('/bookings', { availability_id: slot.id })).toHaveStatus(
      201,
    );
    // The consultant may allow longer bookings.
    expect(await http.as(c.token).put(`/consultants/${c.id}/policy`, { max_booking_minutes: 240 })).toHaveStatus(200);
    const long = await http
      .from('10.1.0.3')
      .as((await createUser(http)).token)
      .post('/bookings', twoHours(c, 2, 8, 4));
    expect(long).toHaveStatus(201);
  });

  it('counts bookings and live holds per user and per client address, and frees the share on cancel and release', async () => {
    const c = await openConsultant();
    const [ann, ben, cat] = [await createUser(http), await createUser(http), await createUser(http)];
    const fromHome = http.from('10.2.0.1');
    const first = await fromHome.as(ann.token).post('/bookings', twoHours(c, 1, 8));
    expect(first).toHaveStatus(201);
    const hold = await fromHome.as(ann.token).post('/holds', twoHours(c, 1, 12));
    expect(hold).toHaveStatus(201);
    // 240 minutes blocked by Ann: a third booking is over the default share, from anywhere.
    const over = await http
      .from('10.2.0.9')
      .as(ann.token)
      .post('/bookings', twoHours(c, 2, 8, 1));
    assertProblem(over, 422);
    expect(over.body.type).toBe('/problems/client-share');
    // Ben is a second account at Ann's address: the address's share is spent too.
    const sameAddress = await fromHome.as(ben.token).post('/bookings', twoHours(c, 2, 8, 1));
    assertProblem(sameAddress, 422);
    expect(sameAddress.body.type).toBe('/problems/client-share');
    assertProblem(await fromHome.as(ben.token).post('/holds', twoHours(c, 2, 8, 1)), 422);
    // Another address, another account: its own share.
    expect(
      await http
        .from('10.2.0.2')
        .as(cat.token)
        .post('/bookings', twoHours(c, 2, 8)),
    ).toHaveStatus(201);
    // Another consultant is another share.
    const other = await openConsultant();
    expect(await fromHome.as(ben.token).post('/bookings', twoHours(other, 1, 8))).toHaveStatus(201);
    // The admin books for others, beyond their share: its bookings are not refused by it.
    const forAnn = await admin.post('/bookings', { ...twoHours(c, 3, 8), user_id: ann.id });
    expect(forAnn).toHaveStatus(201);

    // Releasing the hold frees its two hours; cancelling the booking frees the rest.
    expect(await fromHome.as(ann.token).delete(`/holds/${hold.body.id}`)).toHaveStatus(204);
    expect(await fromHome.as(ben.token).post('/bookings', twoHours(c, 4, 8))).toHaveStatus(201);
    assertProblem(await fromHome.as(ann.token).post('/bookings', twoHours(c, 4, 12)), 422);
    expect(await fromHome.as(ann.token).post(`/bookings/${first.body.id}/cancel`)).toHaveStatus(200);
    expect(await admin.post(`/bookings/${forAnn.body.id}/cancel`)).toHaveStatus(200);
    expect(await fromHome.as(ann.token).post('/bookings', twoHours(c, 4, 12))).toHaveStatus(201);
  });

  it('leaves the consultant as it was when the writer refuses: its views keep their ETag, hold expiry its mark', async () => {
    const c = await openConsultant();
    const [fay, gus] = [await createUser(http), await createUser(http)];
    const fromHome = http.from('10.4.0.1');
    for (const hour of [8, 12])
      expect(await fromHome.as(fay.token).post('/bookings', twoHours(c, 1, hour))).toHaveStatus(201);
    const consultantRow = async () =>
      app.t.app.get(DataSource).query('SELECT * FROM consultants WHERE id = $1', [c.id]) as Promise<unknown[]>;
    const view = `/availabilities/monthly/?year=2031&month=1&consultant_id=${c.id}`;
    const [row, tag] = [await consultantRow(), (await http.get(view)).headers.etag];
    expect(tag).toBeDefined();
    // Gus shares Fay's address, whose share her two bookings spent: only the writer counts by address.
    for (const path of ['/bookings', '/holds']) {
      const refused = await fromHome.as(gus.token).post(path, twoHours(c, 2, 8, 1));
      assertProblem(refused, 422);
      expect(refused.body.type).toBe('/problems/client-share');
    }
    expect(await consultantRow()).toEqual(row);
    expect((await http.get(view, { 'if-none-match': String(tag) })).status).toBe(304);
  });

  it('counts a reschedule by what the booking becomes, and follows the policy', async () => {
    const c = await openConsultant();
    const dan = await createUser(http);
    const asDan = http.from('10.3.0.1').as(dan.token);
    const a = await asDan.post('/bookings', twoHours(c, 1, 8));
    const b = await asDan.post('/bookings', twoHours(c, 1, 12));
    expect([a.status, b.status]).toEqual([201, 201]);
    // Moving a booking does not count it twice.
    expect(await asDan.post(`/bookings/${a.body.id}/reschedule`, time(2, 8))).toHaveStatus(200);
    // Growing it past the share is refused, and the booking stays as it was.
    expect(await http.as(c.token).put(`/consultants/${c.id}/policy`, { max_booking_minutes: 180 })).toHaveStatus(200);
    const grown = await asDan.post(`/bookings/${a.body.id}/reschedule`, time(2, 8, 3));
    assertProblem(grown, 422);
    expect(grown.body.type).toBe('/problems/client-share');
    expect((await asDan.get(`/bookings/${a.body.id}`)).body).toMatchObject(time(2, 8));
    // Without a share, the consultant takes any amount from one client.
    expect(await http.as(c.token).put(`/consultants/${c.id}/policy`, { max_client_share_minutes: null })).toHaveStatus(
      200,
    );
    expect(await asDan.post('/bookings', twoHours(c, 3, 8))).toHaveStatus(201);
  });
});

describe('reschedules against BOOKINGS_PER_IP_PER_HOUR', () => {
  const { http } = useTestApp({ env: { BOOKINGS_PER_IP_PER_HOUR: '3' } });

  it('spends the address budget like a booking: once spent, a reschedule is a 429 and moves nothing', async () => {
    const c = await createConsultant(http);
    await openEveryDay(http, c);
    const eve = await createUser(http);
    const asEve = http.from('10.4.0.1').as(eve.token);
    const booked = await asEve.post('/bookings', twoHours(c, 1, 8, 1));
    expect(booked).toHaveStatus(201);
    expect(await asEve.post(`/bookings/${booked.body.id}/reschedule`, time(1, 10, 1))).toHaveStatus(200);
    expect(await asEve.post(`/bookings/${booked.body.id}/reschedule`, time(1, 12, 1))).toHaveStatus(200);
    const spent = await asEve.post(`/bookings/${booked.body.id}/reschedule`, time(1, 14, 1));
    assertProblem(spent, 429);
    expect(spent.body.type).toBe('/problems/booking-rate');
    expect((await asEve.get(`/bookings/${booked.body.id}`)).body).toMatchObject(time(1, 12, 1));
  });
});
