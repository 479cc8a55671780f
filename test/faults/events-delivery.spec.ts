import { randomBytes } from 'node:crypto';
import type { CalendarEvent } from '@consultant-calendar/client';
import { type EventListener, listenForEvents, natsOrSkip, removeEventStream } from '../support/brokers';
import { eventually } from '../support/eventually';
import { createConsultant, type Created } from '../support/factories';
import type { PostgresServer } from '../support/postgres-server';
import { skipWithoutPostgres } from '../support/postgres-server';
import type { ServerProcess } from '../support/server-process';
import { Api, killService, privateDatabase, startService } from '../support/service';
import { type Received, type Receiver, startReceiver, verifyStandardWebhook } from '../support/webhook-receiver';

const runs = !skipWithoutPostgres('faults: events delivery') && natsOrSkip('faults: events delivery');
const describeWithPostgres = runs ? describe : describe.skip;

const INTERNAL_TOKEN = 'cc_i_fault-events-token-0123456789abcdef';

/** The first arrival of each event id, in arrival order; a repeat must be the same event, word for word. */
function firstArrivals(events: CalendarEvent[]): CalendarEvent[] {
  const seen = new Map<string, string>();
  const first: CalendarEvent[] = [];
  for (const e of events) {
    const text = JSON.stringify(e);
    if (!seen.has(e.id)) {
      seen.set(e.id, text);
      first.push(e);
    } else expect(text).toBe(seen.get(e.id));
  }
  return first;
}

/** Each consultant's sequences in arrival order. */
function sequences(events: CalendarEvent[]): Record<number, number[]> {
  const by: Record<number, number[]> = {};
  for (const e of events) (by[e.consultant_id] ??= []).push(e.sequence);
  return by;
}

/**
 * Events are never lost: the service is SIGKILLed while changes commit and deliveries are under
 * way, restarted, and every committed event still reaches a webhook receiver and a NATS
 * subscriber, in order per consultant (a repeat carries the same id); two instances on one
 * database deliver each event once between them.
 */
describeWithPostgres('faults: events survive a crash and are shared between instances', () => {
  let pg: PostgresServer;
  let dbUrl: string;
  let receiver: Receiver;
  let nats: EventListener;
  let natsUrl: string;
  const servers: ServerProcess[] = [];
  const secrets = new Map<number, string>();

  const env = () => ({
    DATABASE_URL: dbUrl,
    MICROSERVICE_URL: natsUrl,
    INTERNAL_TOKEN,
    EVENTS_RELAY: 'true',
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_POLL_MS: '50',
    // The lease of a claim follows the time limit: a short one ran out on a busy machine while the
    // POSTs were answered, and the other instance sent them again.
    WEBHOOK_TIMEOUT_MS: '10000',
    WEBHOOK_RETRY_DELAY_MS: '200',
  });
  const start = async () => {
    const server = await startService(env());
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    ({ pg, url: dbUrl } = await privateDatabase());
    receiver = await startReceiver();
    natsUrl = `nats://127.0.0.1:4222?namespace=faults-${process.pid}-${randomBytes(4).toString('hex')}`;
    nats = await listenForEvents(natsUrl);
  });
  afterAll(async () => {
    for (const s of servers) await killService(s);
    await nats?.close();
    if (nats) await removeEventStream(natsUrl);
    await receiver?.close();
    if (pg) await pg.destroy();
  });

  const sql = <T = any>(text: string, params: unknown[] = []) =>
    pg.query<T>(text, params, new URL(dbUrl).pathname.slice(1));
  /** The committed events, each consultant's in sequence order. */
  const committed = () =>
    sql<{ id: string; consultant_id: number; sequence: number }>(
      'SELECT id, consultant_id, sequence FROM outbox_events ORDER BY consultant_id, sequence',
    );
  const webhookEvents = (hits: Received[]) => hits.map((h) => JSON.parse(h.body) as CalendarEvent);

  /** Slots for each consultant, one after another, concurrently across consultants, until `stop()` or an error. */
  function write(api: Api, consultants: Created[], from: number) {
    let stopped = false;
    const done = Promise.all(
      consultants.map(async (c) => {
        for (let n = from; !stopped; n++) {
          const date = new Date(Date.UTC(2032, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
          const res = await api
            .as(c.token)
            .post(`/consultants/${c.id}/availabilities`, { date, start_time: '10:00', end_time: '11:00' })
            .catch(() => undefined);
          if (!res) return;
          expect(res).toHaveStatus(201);
        }
      }),
    );
    return { done, stop: () => (stopped = true) };
  }

  /** Waits until every committed event reached both the receiver and NATS; checks order and repeats. */
  async function expectAllDelivered(before = new Set<string>()) {
    const events = (await committed()).filter((e) => !before.has(e.id));
    const ids = new Set(events.map((e) => e.id));
    await eventually(
      `all ${ids.size} events at the receiver and on NATS`,
      async () => {
        const hooks = new Set(webhookEvents(receiver.received).map((e) => e.id));
        const onNats = new Set(nats.received.map((e) => e.id));
        return [...ids].every((id) => hooks.has(id) && onNats.has(id)) ? true : undefined;
      },
      120_000,
    );
    const expected: Record<number, number[]> = {};
    for (const e of events) (expected[e.consultant_id] ??= []).push(e.sequence);
    for (const hit of receiver.received)
      expect(verifyStandardWebhook(secrets.get(JSON.parse(hit.body).consultant_id)!, hit.headers, hit.body)).toBe(true);
    const fresh = (received: CalendarEvent[]) => received.filter((e) => !before.has(e.id));
    expect(sequences(firstArrivals(fresh(webhookEvents(receiver.received))))).toEqual(expected);
    expect(sequences(firstArrivals(fresh(nats.received)))).toEqual(expected);
    return events.length;
  }

  /** Three consultants, each subscribed to every event at the receiver. */
  async function subscribedConsultants(api: Api): Promise<Created[]> {
    const consultants = await Promise.all([1, 2, 3].map(() => createConsultant(api)));
    for (const c of consultants) {
      const res = await api.as(c.token).post('/webhooks', {
        url: `${receiver.base}/hook`,
        event_types: ['availability.changed', 'booking.created', 'booking.rescheduled', 'booking.cancelled'],
      });
      expect(res).toHaveStatus(201);
      secrets.set(c.id, res.body.secret);
    }
    return consultants;
  }

  /** The committed events not among `seen`, once at least `n` of them are there. */
  const committedBeyond = (seen: Set<string>, n: number) =>
    eventually(`${n} new events committed`, async () => {
      const fresh = (await committed()).filter((e) => !seen.has(e.id));
      return fresh.length >= n ? fresh : undefined;
    });

  it('SIGKILL while changes commit and deliveries are in flight: after a restart every committed event arrives, in order', async () => {
    const first = await start();
    const api = new Api(first.url);
    const consultants = await subscribedConsultants(api);
    // A slow receiver keeps deliveries in flight when the service dies.
    receiver.answer('/hook', () => ({ status: 200, delayMs: 150 }));
    const writers = write(api, consultants, 0);
    await eventually('some deliveries', () => (receiver.received.length >= 5 ? true : undefined));
    await killService(first);
    writers.stop();
    await writers.done;
    const before = (await committed()).length;
    const undelivered = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox_events WHERE delivered_at IS NULL`,
    );
    const unsent = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'pending'`,
    );
    console.log(
      `# killed with ${before} events committed, ${undelivered[0].n} not relayed, ${unsent[0].n} webhooks unsent`,
    );
    expect(undelivered[0].n + unsent[0].n).toBeGreaterThan(0);

    receiver.answer('/hook', () => 200);
    const second = await start();
    expect(await expectAllDelivered()).toBe(before);
    await killService(second);
  });

  it('two instances on one database: each event delivered once between them while both run, at least once when one is killed', async () => {
    const [a, b] = [await start(), await start()];
    const alreadyDelivered = new Set((await committed()).map((e) => e.id));
    // Deliveries of an earlier test may still arrive: each test counts only its own consultants' events.
    const consultants = await subscribedConsultants(new Api(a.url));
    const ours = new Set(consultants.map((c) => c.id));
    const mine = (events: CalendarEvent[]) => events.filter((e) => ours.has(e.consultant_id));
    const writersA = write(new Api(a.url), consultants, 1000);
    const writersB = write(new Api(b.url), consultants, 2000);
    // Both write until each consultant has a few events from each instance's writers.
    await committedBeyond(alreadyDelivered, 30);
    writersA.stop();
    writersB.stop();
    await Promise.all([writersA.done, writersB.done]);
    const fresh = (await committed()).filter((e) => !alreadyDelivered.has(e.id));
    // One more change after them all: once it has arrived, so has any repeat relayed before it.
    const last = await new Api(a.url)
      .as(consultants[0].token)
      .post(`/consultants/${consultants[0].id}/availabilities`, {
        date: '2040-01-01',
        start_time: '10:00',
        end_time: '11:00',
      });
    expect(last).toHaveStatus(201);
    const all = (await committed()).filter((e) => !alreadyDelivered.has(e.id));
    expect(all).toHaveLength(fresh.length + 1);
    await eventually(
      'every new event at the receiver and on NATS',
      () => {
        const hooks = new Set(mine(webhookEvents(receiver.received)).map((e) => e.id));
        const onNats = new Set(mine(nats.received).map((e) => e.id));
        return all.every((e) => hooks.has(e.id) && onNats.has(e.id)) ? true : undefined;
      },
      120_000,
    );
    // Exactly once each, webhooks and NATS alike, though two relays and two senders ran.
    expect(mine(webhookEvents(receiver.received))).toHaveLength(all.length);
    expect(mine(nats.received)).toHaveLength(all.length);
    expect(sequences(mine(webhookEvents(receiver.received)))).toEqual(sequences(all as unknown as CalendarEvent[]));
    expect(sequences(mine(nats.received))).toEqual(sequences(all as unknown as CalendarEvent[]));

    // One dies while both deliver to a slow receiver; the other finishes the work.
    receiver.answer('/hook', () => ({ status: 200, delayMs: 150 }));
    const delivered = new Set([...alreadyDelivered, ...all.map((e) => e.id)]);
    const arrivedBefore = receiver.received.length;
    const writers = write(new Api(b.url), consultants, 3000);
    await eventually('deliveries under way', () => (receiver.received.length >= arrivedBefore + 5 ? true : undefined));
    await killService(a);
    // More changes are written after the kill.
    const atKill = (await committed()).length;
    await eventually('changes committed after the kill', async () =>
      (await committed()).length >= atKill + 6 ? true : undefined,
    );
    writers.stop();
    await writers.done;
    receiver.answer('/hook', () => 200);
    await expectAllDelivered(delivered);
  });
});
