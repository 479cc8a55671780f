import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { CalendarEvent } from '@consultant-calendar/client';
import { EventSinks } from '../../src/events/event-sinks';
import { OutboxRelay } from '../../src/events/outbox-relay';
import { listenForEvents, natsOrSkip, removeEventStream, storedEvents } from '../support/brokers';
import { BrokerPublisher } from '../../src/events/broker-publisher';
import { createConsultant, createUser, type Created } from '../support/factories';
import { eventually, pause } from '../support/eventually';
import { Http } from '../support/http';
import { serverUrl, startTestApp, type TestApp } from '../support/test-app';
import { warnSkipping } from '../support/postgres-server';

/** Each consultant's events as received, in order: sequences must read 1, 2, 3… per consultant. */
function sequencesOf(events: CalendarEvent[]): Map<number, number[]> {
  const by = new Map<number, number[]>();
  for (const e of events) by.set(e.consultant_id, [...(by.get(e.consultant_id) ?? []), e.sequence]);
  return by;
}

/** Makes changes for several consultants, interleaved: slots, bookings, a reschedule and a cancel. */
async function busyDay(http: Http, consultants: Created[], user: Created, day: number): Promise<void> {
  for (const [i, c] of consultants.entries()) {
    const date = `2031-05-${String(day).padStart(2, '0')}`;
    const slot = await http
      .as(c.token)
      .post(`/consultants/${c.id}/availabilities`, { date, start_time: `0${i}:00`, end_time: `0${i}:30` });
    expect(slot).toHaveStatus(201);
    const booking = await http.as(user.token).post('/bookings', { availability_id: slot.body.id });
    expect(booking).toHaveStatus(201);
    expect(await http.as(user.token).post(`/bookings/${booking.body.id}/cancel`)).toHaveStatus(200);
  }
}

describe('events: the relay delivers every event, in order per consultant', () => {
  let t: TestApp;
  let http: Http;
  const delivered: CalendarEvent[] = [];
  let failNext = 0;

  beforeAll(async () => {
    t = await startTestApp({ env: { EVENTS_RELAY: 'true', OUTBOX_POLL_MS: '20', OUTBOX_RETENTION_DAYS: '7' } });
    http = new Http(t.app);
    t.app.get(EventSinks).add(async (_manager, events) => {
      if (failNext > 0) {
        failNext--;
        throw new Error('the receiver is down');
      }
      delivered.push(...events);
    });
  });
  afterAll(() => t.close());

  /** A user and three consultants of the test's own: their events are its alone. */
  async function parties() {
    const user = await createUser(http);
    const consultants = [await createConsultant(http), await createConsultant(http), await createConsultant(http)];
    const ours = (events: CalendarEvent[]) => events.filter((e) => consultants.some((c) => c.id === e.consultant_id));
    return { user, consultants, ours };
  }

  const stored = () =>
    t.app
      .get(DataSource)
      .query<{ id: string; consultant_id: number; delivered: boolean }[]>(
        'SELECT id, consultant_id, delivered_at IS NOT NULL AS delivered FROM outbox_events',
      );

  it('delivers each committed event once, each consultant in sequence order, and marks it delivered', async () => {
    const { user, consultants, ours } = await parties();
    await busyDay(http, consultants, user, 5);
    const rows = await eventually('every event to be delivered', async () => {
      const all = (await stored()).filter((r) => consultants.some((c) => c.id === r.consultant_id));
      return all.every((r) => r.delivered) ? all : undefined;
    });
    expect(rows).toHaveLength(9);
    expect(
      ours(delivered)
        .map((e) => e.id)
        .sort(),
    ).toEqual(rows.map((r) => r.id).sort());
    for (const c of consultants) expect(sequencesOf(delivered).get(c.id)).toEqual([1, 2, 3]);
    expect(ours(delivered).find((e) => e.type === 'booking.created')).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      occurred_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      consultant_id: expect.any(Number),
      sequence: 2,
      data: { status: 'confirmed', user_id: user.id },
    });
  });

  it('a failing sink gets the same events again, with the same ids and still in order', async () => {
    const { user, consultants, ours } = await parties();
    failNext = 2;
    await busyDay(http, consultants, user, 6);
    await eventually('every event to be delivered', async () =>
      (await stored()).every((r) => r.delivered) ? true : undefined,
    );
    expect(failNext).toBe(0);
    for (const c of consultants) expect(sequencesOf(delivered).get(c.id)).toEqual([1, 2, 3]);
    expect(new Set(ours(delivered).map((e) => e.id)).size).toBe(9);
  });

  it('purges events delivered more than OUTBOX_RETENTION_DAYS ago, and keeps the rest', async () => {
    const { user, consultants } = await parties();
    await busyDay(http, consultants, user, 7);
    const before = await eventually('every event to be delivered', async () => {
      const all = await stored();
      return all.every((r) => r.delivered) ? all : undefined;
    });
    const db = t.app.get(DataSource);
    const deliveredAgo = async (age: string, order: 'ASC' | 'DESC'): Promise<string> => {
      const [row] = await db.query<{ id: string }[]>(
        `WITH moved AS (UPDATE outbox_events SET delivered_at = now() - $1::interval
            WHERE id = (SELECT id FROM outbox_events ORDER BY sequence ${order} LIMIT 1) RETURNING id)
         SELECT id FROM moved`,
        [age],
      );
      return row.id;
    };
    const old = await deliveredAgo('7 days 1 minute', 'ASC');
    const young = await deliveredAgo('6 days 23 hours', 'DESC');
    expect(old).not.toBe(young);
    await t.app.get(OutboxRelay).purge();
    const ids = (await stored()).map((r) => r.id);
    expect(ids).not.toContain(old);
    expect(ids).toContain(young);
    expect(ids).toHaveLength(before.length - 1);
  });
});

if (!serverUrl)
  warnSkipping('events: relays racing', 'PGlite runs one transaction at a time; set DATABASE_URL to run it');
(serverUrl ? describe : describe.skip)('events: relays racing on one PostgreSQL database', () => {
  let t: TestApp;
  let http: Http;

  beforeAll(async () => {
    // No relay loop: the test runs the claims itself, several at once, on the pool's connections.
    t = await startTestApp({ env: { EVENTS_RELAY: 'false', DATABASE_POOL_SIZE: '12' } });
    http = new Http(t.app);
  });
  afterAll(() => t.close());

  it('four claimers while the writers write: every event exactly once, each consultant in order', async () => {
    const delivered: CalendarEvent[] = [];
    t.app.get(EventSinks).add(async (_manager, events) => {
      // Hold the claim a moment, so the others meet its locks.
      await pause(5);
      delivered.push(...events);
    });
    const relay = t.app.get(OutboxRelay);
    const user = await createUser(http);
    const consultants = await Promise.all([1, 2, 3, 4].map(() => createConsultant(http)));
    let writing = true;
    const claimer = async () => {
      while (writing || (await relay.deliverBatch()) > 0) await relay.deliverBatch();
    };
    const writers = Promise.all([7, 8, 9].map((day) => busyDay(http, consultants, user, day)));
    const claimers = Promise.all([claimer(), claimer(), claimer(), claimer()]);
    await writers;
    writing = false;
    await claimers;
    expect(delivered).toHaveLength(36);
    expect(new Set(delivered.map((e) => e.id)).size).toBe(36);
    for (const c of consultants) expect(sequencesOf(delivered).get(c.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

(natsOrSkip('events over NATS') ? describe : describe.skip)('events over NATS (JetStream)', () => {
  let t: TestApp;
  let http: Http;
  let url: string;
  let listener: Awaited<ReturnType<typeof listenForEvents>>;

  beforeAll(async () => {
    url = `nats://127.0.0.1:4222?namespace=events-${process.pid}-${randomBytes(4).toString('hex')}`;
    listener = await listenForEvents(url);
    t = await startTestApp({
      env: {
        EVENTS_RELAY: 'true',
        OUTBOX_POLL_MS: '20',
        MICROSERVICE_URL: url,
        INTERNAL_TOKEN: 'cc_i_events-relay-nats-token-0123456789',
      },
    });
    http = new Http(t.app);
  });
  afterAll(async () => {
    await t?.close();
    await listener?.close();
    await removeEventStream(url);
  });

  it('a sibling subscribed with @EventPattern receives every event, in order per consultant', async () => {
    const user = await createUser(http);
    const consultants = [await createConsultant(http), await createConsultant(http)];
    await busyDay(http, consultants, user, 10);
    // One more change after them: a repeat relayed before it arrives before it (the relay keeps each
    // consultant's order), so once all have arrived the count is final.
    const last = await http.as(consultants[0].token).post(`/consultants/${consultants[0].id}/availabilities`, {
      date: '2031-06-01',
      start_time: '10:00',
      end_time: '11:00',
    });
    expect(last).toHaveStatus(201);
    await eventually('seven events on NATS', () => (listener.received.length >= 7 ? true : undefined));
    expect(listener.received).toHaveLength(7);
    expect(sequencesOf(listener.received).get(consultants[0].id)).toEqual([1, 2, 3, 4]);
    expect(sequencesOf(listener.received).get(consultants[1].id)).toEqual([1, 2, 3]);
    expect(listener.received.map((e) => e.type)).toEqual(
      expect.arrayContaining(['availability.changed', 'booking.created', 'booking.cancelled']),
    );
  });

  it('a sibling that was away gets, when it is back, the events of the 20 bookings made meanwhile, each once', async () => {
    const user = await createUser(http);
    const consultant = await createConsultant(http);
    const received: CalendarEvent[] = [];
    const ours = () => received.filter((e) => e.consultant_id === consultant.id);
    const undelivered = async () =>
      (
        await t.app
          .get(DataSource)
          .query<{ n: number }[]>(
            'SELECT count(*)::int AS n FROM outbox_events WHERE consultant_id = $1 AND delivered_at IS NULL',
            [consultant.id],
          )
      )[0].n;
    // One user books all 20: no share of the consultant's time is capped (event 1).
    const policy = await http
      .as(consultant.token)
      .put(`/consultants/${consultant.id}/policy`, { max_client_share_minutes: null });
    expect(policy).toHaveStatus(200);
    await eventually('the policy event stored', async () => ((await undelivered()) === 0 ? true : undefined));
    // The sibling's first start makes its durable consumer; then its listener stops.
    await (await listenForEvents(url, { consumer: 'away', received })).close();

    const bookings: number[] = [];
    for (let n = 0; n < 20; n++) {
      const slot = await http.as(consultant.token).post(`/consultants/${consultant.id}/availabilities`, {
        date: '2031-07-01',
        start_time: `${String(n).padStart(2, '0')}:00`,
        end_time: `${String(n).padStart(2, '0')}:30`,
      });
      expect(slot).toHaveStatus(201);
      const booking = await http.as(user.token).post('/bookings', { availability_id: slot.body.id });
      expect(booking).toHaveStatus(201);
      bookings.push(booking.body.id);
    }
    // Marked delivered only once JetStream stored them: all 40 are in the stream, nobody listening.
    await eventually('the 40 events stored on JetStream', async () => ((await undelivered()) === 0 ? true : undefined));
    expect(received).toEqual([]);

    const back = await listenForEvents(url, { consumer: 'away', received });
    try {
      await eventually('the 40 events at the sibling', () => (ours().length >= 40 ? true : undefined));
      // A repeat would come before the last event: the consumer hands out one event at a time, in order.
      expect(ours()).toHaveLength(40);
      expect(new Set(ours().map((e) => e.id)).size).toBe(40);
      expect(ours().map((e) => e.sequence)).toEqual(Array.from({ length: 40 }, (_, i) => i + 2));
      const booked = ours().filter((e) => e.type === 'booking.created');
      expect(booked.map((e) => (e.data as { id: number }).id)).toEqual(bookings);
    } finally {
      await back.close();
    }
    // A service subscribing for the first time with from: 'all' reads what the stream holds, the policy's event included.
    const late = await listenForEvents(url, { consumer: 'late', from: 'all' });
    try {
      const lateOurs = () => late.received.filter((e) => e.consultant_id === consultant.id);
      await eventually('the 41 events at the late subscriber', () => (lateOurs().length >= 41 ? true : undefined));
      expect(lateOurs().map((e) => e.sequence)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    } finally {
      await late.close();
    }
  });

  /** Three half-hour slots on `date`: the consultant's events 1, 2 and 3. */
  async function threeSlots(consultant: Created, date: string): Promise<void> {
    for (const hour of ['09', '10', '11']) {
      const slot = await http.as(consultant.token).post(`/consultants/${consultant.id}/availabilities`, {
        date,
        start_time: `${hour}:00`,
        end_time: `${hour}:30`,
      });
      expect(slot).toHaveStatus(201);
    }
  }

  it('gives a handler that threw the event again, before the events behind it', async () => {
    const consultant = await createConsultant(http);
    const offered: number[] = [];
    const failed = new Set<string>();
    const flaky = await listenForEvents(url, {
      consumer: 'flaky',
      check: (event) => {
        if (event.consultant_id !== consultant.id) return;
        offered.push(event.sequence);
        if (event.sequence === 1 && !failed.has(event.id)) {
          failed.add(event.id);
          throw new Error('the sibling’s database is down');
        }
      },
    });
    try {
      await threeSlots(consultant, '2031-08-01');
      const ours = () => flaky.received.filter((e) => e.consultant_id === consultant.id);
      await eventually('the three events handled', () => (ours().length >= 3 ? true : undefined));
      expect(offered).toEqual([1, 1, 2, 3]);
      expect(ours().map((e) => e.sequence)).toEqual([1, 2, 3]);
    } finally {
      await flaky.close();
    }
  });

  it('gives up on an event its handler keeps failing after maxDeliveries, and the events behind it go on', async () => {
    const consultant = await createConsultant(http);
    const offered: number[] = [];
    const stubborn = await listenForEvents(url, {
      consumer: 'stubborn',
      maxDeliveries: 2,
      check: (event) => {
        if (event.consultant_id !== consultant.id) return;
        offered.push(event.sequence);
        if (event.sequence === 1) throw new Error('this event can never be taken');
      },
    });
    try {
      await threeSlots(consultant, '2031-08-02');
      const ours = () => stubborn.received.filter((e) => e.consultant_id === consultant.id);
      await eventually('the two events behind it handled', () => (ours().length >= 2 ? true : undefined));
      expect(offered).toEqual([1, 1, 2, 3]);
      expect(ours().map((e) => e.sequence)).toEqual([2, 3]);
    } finally {
      await stubborn.close();
    }
  });

  it('resolves a batch only once JetStream stored it: with the stream gone it fails, and the retry makes the stream again', async () => {
    const publisher = t.app.get(BrokerPublisher);
    await publisher.publish([]);
    await removeEventStream(url);
    const event: CalendarEvent = {
      id: randomUUID(),
      type: 'availability.changed',
      occurred_at: new Date().toISOString(),
      consultant_id: 2_147_483_647,
      sequence: 1,
      data: { change: 'slot.deleted', slot_id: 1 },
    };
    // Core NATS would have taken it and stored it nowhere; the relay would have marked it delivered.
    await expect(publisher.publish([event])).rejects.toThrow();
    await publisher.publish([event]);
    expect(await storedEvents(url)).toEqual([event]);
  });
});
