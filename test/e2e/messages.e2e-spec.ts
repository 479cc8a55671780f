import { type ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import { Test, type TestingModule } from '@nestjs/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { connect, type AddressInfo, type Server as NetServer } from 'node:net';
import { Logger } from 'nestjs-pino';
import { firstValueFrom, timeout } from 'rxjs';
import { CalendarClient, CalendarClientError, CalendarClientModule } from '@consultant-calendar/client';
import { parseTransportUrl, transportOptions, wirePattern } from '@consultant-calendar/client/wire';
import { BookingDesk, BookingDeskModule } from '../support/booking-desk';
import { reachablePorts } from '../support/brokers';
import { createConsultant, createUser, type Created } from '../support/factories';
import { eventually } from '../support/eventually';
import { Http } from '../support/http';
import { ADMIN_TOKEN, serverUrl, startTestApp, type TestApp } from '../support/test-app';

/**
 * One contract, four transports: every message pattern answered, refused and raced through
 * the typed client, over TCP and over the machine's NATS, Redis and RabbitMQ. Each run uses a
 * namespace of its own, so runs sharing a broker never answer each other's messages.
 */
const INTERNAL_TOKEN = 'cc_i_messages-test-token-0123456789abcdef';
const RACERS = 50;
/** Starting an app on the embedded database takes long on a busy machine. */
const START_TIMEOUT_MS = 180_000;

// PGlite runs one statement at a time, so a race there proves nothing: that test needs a server.
if (!serverUrl)
  console.warn(
    `\n*** SKIPPED the ${RACERS}-way bookings.create race over each transport: it needs PostgreSQL; set DATABASE_URL ***\n`,
  );

interface TransportCase {
  name: string;
  /** The broker's port on 127.0.0.1, or undefined for TCP, which needs none. */
  broker?: number;
  url: (namespace: string) => string;
}

const TRANSPORTS: TransportCase[] = [
  { name: 'TCP', url: () => 'tcp://127.0.0.1:0' },
  { name: 'NATS', broker: 4222, url: (ns) => `nats://127.0.0.1:4222?namespace=${ns}` },
  { name: 'Redis', broker: 6379, url: (ns) => `redis://127.0.0.1:6379?namespace=${ns}` },
  { name: 'RabbitMQ', broker: 5672, url: (ns) => `amqp://guest:guest@127.0.0.1:5672?namespace=${ns}` },
];

const up = reachablePorts(TRANSPORTS.flatMap((t) => (t.broker ? [t.broker] : [])));

/** The problem a refused call carried, as an HTTP client would read it (without `instance`). */
async function refusal(call: Promise<unknown>): Promise<CalendarClientError> {
  const error: unknown = await call.then(
    () => new Error('expected a refusal, got an answer'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CalendarClientError);
  return error as CalendarClientError;
}

const withoutInstance = ({ instance: _instance, ...problem }: Record<string, unknown>) => problem;

it('test/support/booking-desk.ts is the README’s sibling service, word for word', () => {
  const root = join(__dirname, '..', '..');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Internal messages'));
  const example = /```ts\n([\s\S]*?)```/.exec(section)![1];
  const desk = readFileSync(join(root, 'test', 'support', 'booking-desk.ts'), 'utf8');
  expect(desk.replace(/^\/\/.*\n/gm, '')).toBe(example);
});

for (const transport of TRANSPORTS) {
  const reachable = transport.broker === undefined || up.has(transport.broker);
  if (!reachable)
    console.warn(
      `\n*** SKIPPED messages over ${transport.name}: no broker answers on 127.0.0.1:${transport.broker}; start it (see the README, "Internal messages") ***\n`,
    );

  (reachable ? describe : describe.skip)(`internal messages over ${transport.name}`, () => {
    let t: TestApp;
    let http: Http;
    let url: string;
    let sibling: TestingModule;
    let client: CalendarClient;
    let raw: ClientProxy;
    let consultant: Created;
    let other: Created;
    let alice: Created;
    let bob: Created;
    let specialization: string;
    let made = 0;
    const asAlice = () => ({ role: 'user' as const, id: alice.id });

    /** Sends any payload to a pattern, as a careless or hostile caller would; resolves with the answer or the error. */
    const sendRaw = (pattern: string, payload: unknown): Promise<unknown> =>
      firstValueFrom(
        raw.send(wirePattern(parseTransportUrl(url)!, pattern), payload).pipe(timeout({ first: 10_000 })),
      ).then(
        (answer: unknown) => ({ answer }),
        (error: unknown) => error,
      );

    beforeAll(async () => {
      const namespace = `test-${process.pid}-${randomBytes(4).toString('hex')}`;
      t = await startTestApp({
        env: { MICROSERVICE_URL: transport.url(namespace), INTERNAL_TOKEN, DATABASE_POOL_SIZE: '20' },
      });
      url = transport.url(namespace);
      if (transport.broker === undefined) {
        const [tcp] = t.app.getMicroservices();
        url = `tcp://127.0.0.1:${(tcp.unwrap<NetServer>().address() as AddressInfo).port}`;
      }
      // The sibling service keeps the app's logger: a testing module would otherwise install its own.
      sibling = await Test.createTestingModule({
        imports: [CalendarClientModule.register({ url, token: INTERNAL_TOKEN, timeoutMs: 20_000 })],
      })
        .setLogger(t.app.get(Logger))
        .compile();
      await sibling.init();
      client = sibling.get(CalendarClient);
      raw = ClientProxyFactory.create(transportOptions(parseTransportUrl(url)!));

      http = new Http(t.app);
    }, START_TIMEOUT_MS);

    // Parties of each test's own, so a booking in one cannot change what another sees.
    beforeEach(async () => {
      specialization = `messages${++made}`;
      consultant = await createConsultant(http, { specialization });
      other = await createConsultant(http);
      alice = await createUser(http);
      bob = await createUser(http);
      // Mondays 09:00–17:00 UTC, and one one-time slot on a Tuesday.
      const rule = await http
        .as(consultant.token)
        .post(`/consultants/${consultant.id}/recurring`, { day: 'Mon', start_time: '09:00', end_time: '17:00' });
      expect(rule).toHaveStatus(201);
      const slot = await http.as(consultant.token).post(`/consultants/${consultant.id}/availabilities`, {
        date: '2031-01-07',
        start_time: '10:00',
        end_time: '11:00',
      });
      expect(slot).toHaveStatus(201);
    });

    afterAll(async () => {
      await raw?.close();
      await sibling?.close();
      await t?.close();
    });

    it('consultants.get and consultants.list answer what GET /consultants does', async () => {
      expect(await client.getConsultant(consultant.id)).toEqual((await http.get(`/consultants/${consultant.id}`)).body);
      const page = await client.listConsultants({ limit: 1 });
      expect(page).toEqual((await http.get('/consultants?limit=1')).body);
      expect(page.next_cursor).not.toBeNull();
      const mine = await client.listConsultants({ specialization });
      expect(mine.data.map((c) => c.id)).toEqual([consultant.id]);
    });

    it('availability.free answers the time-range view of one consultant', async () => {
      const query = { consultant_id: consultant.id, start: '2031-01-06', end: '2031-01-07', slot_minutes: 30 };
      const free = await client.freeTime(query);
      const view = await http.get(
        `/availabilities/timerange?consultant_id=${consultant.id}&start=2031-01-06&end=2031-01-07&slot_minutes=30`,
      );
      expect(view).toHaveStatus(200);
      expect(free).toEqual(view.body.data[0]);
      // Sixteen half hours on the Monday, and the Tuesday's one-time slot whole.
      expect(free.slots.filter((s) => s.source === 'recurring')).toHaveLength(16);
      expect(free.slots.filter((s) => s.source === 'one_time')).toHaveLength(1);
    });

    it('availability.pooled, and bookings.create and holds.create with a specialization, act as over HTTP', async () => {
      const query = {
        specialization,
        start: '2031-01-06',
        end: '2031-01-06',
        slot_minutes: 60,
        timezone: 'Europe/Berlin',
      };
      const pooled = await client.pooledFreeTime(query);
      const view = await http.get(
        `/availabilities/pooled?specialization=${specialization}&start=2031-01-06&end=2031-01-06&slot_minutes=60&timezone=Europe/Berlin`,
      );
      expect(pooled).toEqual(view.body);
      // Mondays 09:00–17:00 UTC: eight hours, the first at 10:00 in Berlin.
      expect(pooled.slots).toHaveLength(8);
      expect(pooled.slots[0]).toMatchObject({
        start: '2031-01-06T09:00:00.000Z',
        start_time: '10:00:00',
        free_consultants: 1,
      });
      const key = randomUUID();
      const body = { specialization, start: '2031-01-06T13:00:00Z', end: '2031-01-06T14:00:00Z' };
      const booking = await client.createBooking(asAlice(), body, key);
      expect(booking).toMatchObject({ consultant_id: consultant.id, user_id: alice.id, status: 'confirmed' });
      expect(await client.createBooking(asAlice(), body, key)).toEqual(booking);
      const hold = await client.createHold(asAlice(), {
        ...body,
        start: '2031-01-06T14:00:00Z',
        end: '2031-01-06T15:00:00Z',
      });
      expect(hold.consultant_id).toBe(consultant.id);
      const taken = await refusal(client.createBooking(asAlice(), body, randomUUID()));
      expect(taken).toMatchObject({ status: 409, type: '/problems/time-taken' });
    });

    it('bookings.create books for the user, and the same key replays the first answer', async () => {
      const key = randomUUID();
      const body = { consultant_id: consultant.id, start: '2031-01-06T09:00:00Z', end: '2031-01-06T09:30:00Z' };
      const booking = await client.createBooking(asAlice(), body, key);
      expect(booking).toMatchObject({ consultant_id: consultant.id, user_id: alice.id, status: 'confirmed' });
      expect(await client.createBooking(asAlice(), body, key)).toEqual(booking);
      const seen = await http.as(alice.token).get(`/bookings/${booking.id}`);
      expect(seen.body).toEqual(booking);
      // The admin books on behalf of a user.
      const forBob = await client.createBooking(
        { role: 'admin' },
        { consultant_id: consultant.id, date: '2031-01-06', start_time: '16:00', end_time: '17:00', user_id: bob.id },
        randomUUID(),
      );
      expect(forBob.user_id).toBe(bob.id);
    });

    it('bookings.get, bookings.list, bookings.reschedule and bookings.cancel act as over HTTP', async () => {
      const booking = await client.createBooking(
        asAlice(),
        { consultant_id: consultant.id, start: '2031-01-06T11:00:00Z', end: '2031-01-06T11:30:00Z' },
        randomUUID(),
      );
      expect(await client.getBooking({ role: 'consultant', id: consultant.id }, booking.id)).toEqual(booking);
      const listed = await client.listBookings(asAlice(), { from: '2031-01-06', to: '2031-01-06' });
      expect(listed).toEqual((await http.as(alice.token).get('/bookings?from=2031-01-06&to=2031-01-06')).body);
      expect(listed.data.map((b) => b.id)).toContain(booking.id);

      const moved = await client.rescheduleBooking(asAlice(), booking.id, {
        start: '2031-01-06T12:00:00Z',
        end: '2031-01-06T12:30:00Z',
      });
      expect(moved).toMatchObject({ id: booking.id, start: '2031-01-06T12:00:00.000Z', status: 'confirmed' });
      const cancelled = await client.cancelBooking({ role: 'consultant', id: consultant.id }, booking.id);
      expect(cancelled).toMatchObject({ id: booking.id, status: 'cancelled' });
      expect((await http.as(alice.token).get(`/bookings/${booking.id}`)).body.status).toBe('cancelled');
    });

    it('consultants.policy.get and consultants.policy.update read and replace the policy as over HTTP', async () => {
      // The other consultant's policy: the bookings here keep the defaults of theirs.
      const before = await client.getPolicy(other.id);
      expect(before).toEqual((await http.get(`/consultants/${other.id}/policy`)).body);
      expect(before).toMatchObject({ consultant_id: other.id, minimum_notice_minutes: 0, slot_minutes: null });
      const policy = { minimum_notice_minutes: 60, buffer_after_minutes: 15, max_bookings_per_day: 4 };
      const updated = await client.updatePolicy({ role: 'consultant', id: other.id }, other.id, policy);
      expect(updated).toEqual({ ...before, ...policy });
      expect(await client.getPolicy(other.id)).toEqual(updated);
      expect((await http.get(`/consultants/${other.id}/policy`)).body).toEqual(updated);

      // A consultant may change only its own; a user none.
      const foreign = await refusal(client.updatePolicy({ role: 'consultant', id: consultant.id }, other.id, {}));
      const foreignOverHttp = await http.as(consultant.token).put(`/consultants/${other.id}/policy`, {});
      expect(foreignOverHttp).toHaveStatus(403);
      expect(foreign).toMatchObject({ status: 403, type: '/problems/forbidden' });
      expect(foreign.type).toBe(foreignOverHttp.body.type);
      expect(await refusal(client.updatePolicy(asAlice(), other.id, {}))).toMatchObject({ status: 403 });
      const bad = await refusal(client.updatePolicy({ role: 'admin' }, other.id, { slot_minutes: 2 }));
      expect(bad).toMatchObject({ status: 400, type: '/problems/validation-error' });
      expect(bad.errors?.map((e) => e.field)).toEqual(['slot_minutes']);
      expect(await refusal(client.getPolicy(2_147_483_647))).toMatchObject({
        status: 404,
        type: '/problems/not-found',
      });
      // Nothing refused changed it; the admin puts the defaults back.
      expect(await client.getPolicy(other.id)).toEqual(updated);
      expect(await client.updatePolicy({ role: 'admin' }, other.id, {})).toEqual(before);
    });

    it('holds.create holds the time until bookings.create {hold_id} books it, or holds.release frees it', async () => {
      const target = { consultant_id: consultant.id, start: '2031-01-27T09:00:00Z', end: '2031-01-27T09:30:00Z' };
      const hold = await client.createHold(asAlice(), { ...target, hold_minutes: 5 });
      expect(hold).toMatchObject({
        consultant_id: consultant.id,
        user_id: alice.id,
        start: '2031-01-27T09:00:00.000Z',
      });
      expect(Date.parse(hold.expires_at)).toBeGreaterThan(Date.now());
      // Held, the time is taken for anyone else.
      const taken = await refusal(client.createBooking({ role: 'user', id: bob.id }, target, randomUUID()));
      expect(taken).toMatchObject({ status: 409, type: '/problems/time-taken' });
      const booking = await client.createBooking(asAlice(), { hold_id: hold.id }, randomUUID());
      expect(booking).toMatchObject({ id: hold.id, user_id: alice.id, start: hold.start, status: 'confirmed' });
      expect((await http.as(alice.token).get(`/bookings/${hold.id}`)).body).toEqual(booking);

      const later = { consultant_id: consultant.id, start: '2031-01-27T10:00:00Z', end: '2031-01-27T10:30:00Z' };
      const released = await client.createHold(asAlice(), later);
      // Not Bob's to release: the same not-found HTTP answers, and the hold stays.
      const foreign = await refusal(client.releaseHold({ role: 'user', id: bob.id }, released.id));
      const foreignOverHttp = await http.as(bob.token).delete(`/holds/${released.id}`);
      expect(foreignOverHttp).toHaveStatus(404);
      expect(foreign).toMatchObject({ status: 404, type: '/problems/not-found' });
      expect(foreign.problem).toEqual(withoutInstance(foreignOverHttp.body));
      expect(await refusal(client.createBooking({ role: 'user', id: bob.id }, later, randomUUID()))).toMatchObject({
        status: 409,
        type: '/problems/time-taken',
      });
      expect(await client.releaseHold(asAlice(), released.id)).toBeUndefined();
      expect(await refusal(client.releaseHold(asAlice(), released.id))).toMatchObject({ status: 404 });
      expect(await refusal(client.createBooking(asAlice(), { hold_id: released.id }, randomUUID()))).toMatchObject({
        status: 404,
      });
      // Released, the time is free for Bob at once.
      expect(await client.createBooking({ role: 'user', id: bob.id }, later, randomUUID())).toMatchObject({
        user_id: bob.id,
        start: '2031-01-27T10:00:00.000Z',
      });
      const onBehalf = await refusal(client.createHold({ role: 'consultant', id: consultant.id }, later));
      expect(onBehalf).toMatchObject({ status: 403, type: '/problems/forbidden' });
    });

    it('a validation failure is the problem HTTP answers', async () => {
      const body = { consultant_id: consultant.id, start: '2031-01-06T09:00:00Z', end: 'soon', is_booked: true };
      const error = await refusal(client.createBooking(asAlice(), body, randomUUID()));
      const overHttp = await http.as(alice.token).post('/bookings', body);
      expect(overHttp).toHaveStatus(400);
      expect(error.problem).toEqual(withoutInstance(overHttp.body));
      expect(error).toMatchObject({ status: 400, type: '/problems/validation-error' });

      const badKey = await refusal(client.createBooking(asAlice(), { availability_id: 1 }, ''));
      expect(badKey.errors).toEqual([
        { field: 'idempotency_key', message: 'must be 1 to 255 visible ASCII characters' },
      ]);
      const noRange = await refusal(client.freeTime({ consultant_id: consultant.id, start: '2031-01-06' } as never));
      expect(noRange.errors?.map((e) => e.field)).toEqual(['end']);
    });

    it('an access refusal is the problem HTTP answers', async () => {
      const body = { consultant_id: consultant.id, start: '2031-01-06T13:00:00Z', end: '2031-01-06T13:30:00Z' };
      const error = await refusal(client.createBooking({ role: 'consultant', id: consultant.id }, body, randomUUID()));
      const overHttp = await http.as(consultant.token).post('/bookings', body);
      expect(overHttp).toHaveStatus(403);
      expect(error).toMatchObject({ status: 403, type: '/problems/forbidden' });
      expect(error.type).toBe(overHttp.body.type);

      const others = await refusal(client.listBookings(asAlice(), { user_id: bob.id }));
      const othersOverHttp = await http.as(alice.token).get(`/bookings?user_id=${bob.id}`);
      expect(others.problem).toEqual(withoutInstance(othersOverHttp.body));
      const onBehalf = await refusal(client.createBooking(asAlice(), { ...body, user_id: bob.id }, randomUUID()));
      expect(onBehalf).toMatchObject({ status: 403, type: '/problems/forbidden' });
    });

    it('a not-found is the problem HTTP answers, and never reveals another user’s booking', async () => {
      const booking = await client.createBooking(
        asAlice(),
        { consultant_id: consultant.id, start: '2031-01-06T14:00:00Z', end: '2031-01-06T14:30:00Z' },
        randomUUID(),
      );
      const hidden = await refusal(client.getBooking({ role: 'user', id: bob.id }, booking.id));
      const hiddenOverHttp = await http.as(bob.token).get(`/bookings/${booking.id}`);
      expect(hidden.problem).toEqual(withoutInstance(hiddenOverHttp.body));
      expect(hidden).toMatchObject({ status: 404, type: '/problems/not-found' });
      expect(await refusal(client.cancelBooking({ role: 'consultant', id: other.id }, booking.id))).toMatchObject({
        status: 404,
      });
      const missing = await refusal(client.getConsultant(2_147_483_647));
      expect(missing.problem).toEqual(withoutInstance((await http.get('/consultants/2147483647')).body));
    });

    it('a wrong or missing service token, or no principal where one is needed, is unauthorized', async () => {
      const impostor = await Test.createTestingModule({
        imports: [CalendarClientModule.register({ url, token: 'cc_i_not-the-token-0123456789abcdefgh' })],
      })
        .setLogger(t.app.get(Logger))
        .compile();
      try {
        const error = await refusal(impostor.get(CalendarClient).getConsultant(consultant.id));
        expect(error).toMatchObject({ status: 401, type: '/problems/unauthorized' });
      } finally {
        await impostor.close();
      }
      expect(await sendRaw('consultants.get', { data: { id: consultant.id } })).toMatchObject({
        status: 401,
        type: '/problems/unauthorized',
      });
      expect(await sendRaw('bookings.list', { token: INTERNAL_TOKEN, data: {} })).toMatchObject({
        status: 401,
        type: '/problems/unauthorized',
      });
      // A token of another kind is not the service token, even the admin's.
      expect(await sendRaw('consultants.get', { token: ADMIN_TOKEN, data: { id: consultant.id } })).toMatchObject({
        status: 401,
      });
    });

    it('a malformed or oversized message is a problem, and the service carries on', async () => {
      const token = INTERNAL_TOKEN;
      expect(await sendRaw('consultants.get', 'hello')).toMatchObject({
        status: 400,
        type: '/problems/malformed-message',
      });
      expect(await sendRaw('consultants.get', [token])).toMatchObject({
        status: 400,
        type: '/problems/malformed-message',
      });
      expect(await sendRaw('bookings.list', { token, principal: { role: 'root' }, data: {} })).toMatchObject({
        status: 400,
        errors: [{ field: 'principal' }],
      });
      expect(await sendRaw('consultants.get', { token, data: [1] })).toMatchObject({
        status: 400,
        errors: [{ field: 'data', message: 'must be an object' }],
      });
      expect(await sendRaw('consultants.get', { token, data: { id: 1 }, extra: 1 })).toMatchObject({
        status: 400,
        errors: [{ field: 'extra', message: 'is not a known field' }],
      });
      expect(await sendRaw('consultants.get', { token, data: { id: '1e3' } })).toMatchObject({
        status: 400,
        errors: [{ field: 'id' }],
      });
      let deep: unknown = {};
      for (let i = 0; i < 1000; i++) deep = { a: deep };
      expect(await sendRaw('consultants.list', { token, data: { deep } })).toMatchObject({
        status: 400,
        type: '/problems/validation-error',
      });
      expect(
        await sendRaw('consultants.list', { token, data: { specialization: 'x'.repeat(110 * 1024) } }),
      ).toMatchObject({ status: 413, type: '/problems/payload-too-large' });
      expect(await client.getConsultant(consultant.id)).toMatchObject({ id: consultant.id });
    });

    (serverUrl ? it : it.skip)(
      `${RACERS} parallel bookings.create of one time give one booking and ${RACERS - 1} time-taken problems`,
      async () => {
        const users = [alice, bob, ...(await Promise.all(Array.from({ length: 8 }, () => createUser(http))))];
        const body = { consultant_id: consultant.id, start: '2031-01-13T09:00:00Z', end: '2031-01-13T10:00:00Z' };
        // A 503 (the pool shed the request on a busy machine) is retried with the same key, as the
        // README tells a client to; every racer ends with a booking or a refusal.
        const outcomes = await Promise.all(
          Array.from({ length: RACERS }, (_, i) => {
            const key = randomUUID();
            return eventually(
              `racer ${i}'s answer`,
              () =>
                client.createBooking({ role: 'user', id: users[i % users.length].id }, body, key).then(
                  (booking) => ({ booking }),
                  (error: CalendarClientError) => (error.status === 503 ? undefined : { error }),
                ),
              120_000,
            );
          }),
        );
        const booked = outcomes.filter((o) => 'booking' in o);
        const refused = outcomes.flatMap((o) => ('error' in o ? [o.error] : []));
        expect(booked).toHaveLength(1);
        expect(refused.map((e) => `${e.status} ${e.type}`)).toEqual(Array(RACERS - 1).fill('409 /problems/time-taken'));
        const held = await http
          .as(ADMIN_TOKEN)
          .get(`/bookings?consultant_id=${consultant.id}&from=2031-01-13&to=2031-01-13`);
        expect(held.body.data).toHaveLength(1);
      },
    );

    it('a sibling service written as the README shows books, reads and cancels, and meets refusals as typed errors', async () => {
      Object.assign(process.env, { CALENDAR_URL: url, CALENDAR_TOKEN: INTERNAL_TOKEN });
      const desk = await Test.createTestingModule({ imports: [BookingDeskModule] })
        .setLogger(t.app.get(Logger))
        .compile();
      try {
        const booking = await desk.get(BookingDesk).bookFirstFree(alice.id, consultant.id, '2031-01-20');
        expect(booking).toMatchObject({ user_id: alice.id, start: '2031-01-20T09:00:00.000Z', status: 'confirmed' });
        expect((await desk.get(BookingDesk).upcoming(alice.id)).data.map((b) => b.id)).toContain(booking!.id);
        // Bob asks for the same half hour: the refusal has the type HTTP gives it.
        const same = { consultant_id: consultant.id, start: booking!.start, end: booking!.end };
        const overHttp = await http.as(bob.token).post('/bookings', same);
        expect(overHttp).toHaveStatus(409);
        const refused = await refusal(
          desk.get(CalendarClient).createBooking({ role: 'user', id: bob.id }, same, randomUUID()),
        );
        expect(refused.problem).toEqual(withoutInstance(overHttp.body));
        expect(await desk.get(BookingDesk).cancel(alice.id, booking!.id)).toMatchObject({ status: 'cancelled' });
        expect(await desk.get(BookingDesk).bookFirstFree(bob.id, consultant.id, '2031-01-20')).toMatchObject({
          user_id: bob.id,
          start: '2031-01-20T09:00:00.000Z',
        });
      } finally {
        await desk.close();
      }
    });

    if (transport.broker !== undefined)
      it(
        'a second service on the same broker, in another namespace, never answers this one’s messages',
        async () => {
          const neighbour = await startTestApp({
            env: {
              MICROSERVICE_URL: transport.url(`test-${process.pid}-${randomBytes(4).toString('hex')}`),
              INTERNAL_TOKEN,
            },
          });
          try {
            // The same id names another consultant there: an answer from it would show.
            let twin = await createConsultant(new Http(neighbour.app), { first_name: 'Neighbour' });
            while (twin.id < consultant.id)
              twin = await createConsultant(new Http(neighbour.app), { first_name: 'Neighbour' });
            expect(twin.id).toBe(consultant.id);
            const answers = await Promise.all(Array.from({ length: 20 }, () => client.getConsultant(consultant.id)));
            expect(answers.map((c) => c.first_name)).toEqual(Array(20).fill('Con'));
          } finally {
            await neighbour.close();
          }
        },
        START_TIMEOUT_MS,
      );

    if (transport.broker === undefined)
      it('a TCP frame that is not JSON closes only its own connection', async () => {
        const port = Number(new URL(url).port);
        const socket = connect(port, '127.0.0.1');
        socket.write('5#hello');
        await new Promise<void>((resolve) => socket.on('close', () => resolve()).on('error', () => undefined));
        expect(await client.getConsultant(consultant.id)).toMatchObject({ id: consultant.id });
      });
  });
}

describe('internal messages and the HTTP rate limit', () => {
  let t: TestApp;
  let sibling: TestingModule;

  beforeAll(async () => {
    t = await startTestApp({
      env: { MICROSERVICE_URL: 'tcp://127.0.0.1:0', INTERNAL_TOKEN, RATE_LIMIT_PER_MINUTE: '3' },
    });
    const port = (t.app.getMicroservices()[0].unwrap<NetServer>().address() as AddressInfo).port;
    sibling = await Test.createTestingModule({
      imports: [CalendarClientModule.register({ url: `tcp://127.0.0.1:${port}`, token: INTERNAL_TOKEN })],
    })
      .setLogger(t.app.get(Logger))
      .compile();
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    await sibling?.close();
    await t?.close();
  });

  it('does not count messages: a service is not an HTTP client', async () => {
    const http = new Http(t.app);
    const { id } = await createConsultant(http);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await http.get(`/consultants/${id}`)).status);
    expect(statuses).toContain(429);
    const client = sibling.get(CalendarClient);
    const answers = await Promise.all(Array.from({ length: 10 }, () => client.getConsultant(id)));
    expect(answers.map((c) => c.id)).toEqual(Array(10).fill(id));
  });
});
