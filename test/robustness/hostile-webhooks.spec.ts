/**
 * Issue 22, finding 6: what a consultant (or whoever holds its token) could do with webhooks and
 * Idempotency-Keys. Subscriptions are capped per consultant, exactly, however many creates race;
 * no refusal and no delivery attempt tells the subscriber what a name resolved to or how a
 * connection failed, beyond one word (so webhooks cannot map hosts and ports); and expired
 * Idempotency-Keys go on a schedule, not only when their caller writes again.
 */
import { DataSource } from 'typeorm';
import { AttemptErrorWords1796200000000 } from '../../src/database/migrations/1796200000000-AttemptErrorWords';
import { WebhookResolver } from '../../src/webhooks/webhook-target';
import { eventually } from '../support/eventually';
import {
  assertProblem,
  createConsultant,
  createUser,
  type Created,
  halfHour,
  openEveryDay,
} from '../support/factories';
import type { Http } from '../support/http';
import { type TestApp, useTestApp } from '../support/test-app';
import { type Receiver, startReceiver } from '../support/webhook-receiver';

/** POST /webhooks as `client` (a consultant, or the admin naming the consultant). */
const subscribe = (client: Http, url: string, consultantId?: number) =>
  client.post('/webhooks', { url, event_types: ['availability.changed'], consultant_id: consultantId });

/** Rows of a table for one consultant, read behind the app's back. */
const countOf = async (t: TestApp, consultantId: number): Promise<number> => {
  const [{ n }] = await t.app
    .get(DataSource)
    .query('SELECT count(*)::int AS n FROM webhook_subscriptions WHERE consultant_id = $1', [consultantId]);
  return n;
};

/** A change of the consultant's that makes an `availability.changed` event: a one-time slot. */
let slotDay = 0;
async function change(http: Http, consultant: Created): Promise<void> {
  const date = new Date(Date.UTC(2032, 0, 1) + slotDay++ * 86_400_000).toISOString().slice(0, 10);
  const res = await http
    .as(consultant.token)
    .post(`/consultants/${consultant.id}/availabilities`, { date, start_time: '10:00', end_time: '11:00' });
  expect(res).toHaveStatus(201);
}

/**
 * A fresh consultant subscribed to `url`, one event of its, and the first attempt to deliver it
 * (with the whole text of the deliveries answer, to look for what it must not say).
 */
async function firstAttemptAt(http: Http, url: string) {
  const consultant = await createConsultant(http);
  const created = await subscribe(http.as(consultant.token), url);
  expect(created).toHaveStatus(201);
  await change(http, consultant);
  return eventually(`an attempt to deliver to ${url}`, async () => {
    const res = await http.as(consultant.token).get(`/webhooks/${created.body.id}/deliveries`);
    const attempt = res.body.data[0]?.attempts[0];
    return attempt ? { attempt, text: res.text } : undefined;
  });
}

describe('hostile webhooks: subscriptions are capped per consultant', () => {
  const CAP = 3;
  const service = useTestApp({ env: { WEBHOOKS_PER_OWNER: String(CAP) } });
  const { http, admin } = service;
  let receiver: Receiver;
  beforeAll(async () => (receiver = await startReceiver()));
  afterAll(() => receiver?.close());

  it('refuses the one past the cap with a 422 problem, whoever creates it, and stores nothing', async () => {
    const consultant = await createConsultant(http);
    for (let i = 0; i < CAP; i++)
      expect(await subscribe(http.as(consultant.token), `${receiver.base}/cap-${i}`)).toHaveStatus(201);
    const own = await subscribe(http.as(consultant.token), `${receiver.base}/one-more`);
    assertProblem(own, 422);
    expect(own.body).toMatchObject({ type: '/problems/webhook-limit', title: 'Unprocessable Entity' });
    expect(own.body.detail).toContain(`${CAP} webhook subscriptions`);
    // The admin's subscriptions for the consultant count against the same cap.
    assertProblem(await subscribe(admin, `${receiver.base}/by-admin`, consultant.id), 422);
    expect(await countOf(service.t, consultant.id)).toBe(CAP);
    // Another consultant's cap is its own; a deleted subscription makes room again.
    const other = await createConsultant(http);
    expect(await subscribe(admin, `${receiver.base}/other`, other.id)).toHaveStatus(201);
    const [first] = (await http.as(consultant.token).get('/webhooks')).body.data;
    expect(await http.as(consultant.token).delete(`/webhooks/${first.id}`)).toHaveStatus(204);
    expect(await subscribe(http.as(consultant.token), `${receiver.base}/again`)).toHaveStatus(201);
    expect(await countOf(service.t, consultant.id)).toBe(CAP);
  });

  it('holds exactly under concurrent creates (on PostgreSQL: parallel transactions)', async () => {
    const consultant = await createConsultant(http);
    const answers = await Promise.all(
      Array.from({ length: 8 * CAP }, (_, i) =>
        i % 2
          ? subscribe(http.as(consultant.token), `${receiver.base}/race-${i}`)
          : subscribe(admin, `${receiver.base}/race-${i}`, consultant.id),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array(CAP).fill(201), ...Array(7 * CAP).fill(422)]);
    for (const refused of answers.filter((a) => a.status !== 201)) assertProblem(refused, 422);
    expect(await countOf(service.t, consultant.id)).toBe(CAP);
  });
});

describe('hostile webhooks: no refusal names what a host resolved to', () => {
  /** Names the fake DNS knows; a name in `rebinds` answers a public address first, then its own. */
  const PUBLIC = '93.184.215.14';
  const names: Record<string, string[]> = {
    'inside.test': ['10.20.30.40'],
    'mixed.test': [PUBLIC, '172.16.9.9'],
  };
  const rebinds = new Map<string, { address: string; lookups: number }>();
  const resolver: Pick<WebhookResolver, 'resolve'> = {
    async resolve(hostname) {
      const rebinding = rebinds.get(hostname);
      if (rebinding) {
        const address = rebinding.lookups++ === 0 ? PUBLIC : rebinding.address;
        if (address === 'ENOTFOUND')
          throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
        return [{ address, family: 4 }];
      }
      if (names[hostname]) return names[hostname].map((address) => ({ address, family: 4 }));
      // localhost (the finding's example) and unknown names go to the machine's resolver.
      return new WebhookResolver().resolve(hostname);
    },
  };
  const { http } = useTestApp({
    env: {
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false',
      EVENTS_RELAY: 'true',
      OUTBOX_POLL_MS: '20',
      WEBHOOK_POLL_MS: '20',
    },
    override: (builder) => builder.overrideProvider(WebhookResolver).useValue(resolver),
  });
  /** What no answer may contain: resolved addresses and resolver errors. */
  const LEAKS = /127\.0\.0\.1|::1\b|10\.20\.30\.40|172\.16\.9\.9|93\.184|ENOTFOUND|EAI_AGAIN|getaddrinfo|EFORBIDDEN/;

  it.each([
    ['http://localhost:8080/hook', 'its host resolves to a private or reserved address'],
    ['https://inside.test/hook', 'its host resolves to a private or reserved address'],
    ['https://mixed.test/hook', 'its host resolves to a private or reserved address'],
    ['http://10.20.30.40:22/hook', 'its host is a private or reserved address'],
    ['https://no-such-host.invalid/hook', 'its host does not resolve'],
  ])('%s: a 400 that says only "%s"', async (url, category) => {
    const consultant = await createConsultant(http);
    const res = await subscribe(http.as(consultant.token), url);
    assertProblem(res, 400);
    expect(res.body.errors).toEqual([{ field: 'url', message: `is refused: ${category}` }]);
    expect(res.text).not.toMatch(LEAKS);
  });

  it.each([
    ['rebinds to a private address', 'refused-target', '10.20.30.40'],
    ['stops resolving', 'unresolved-target', 'ENOTFOUND'],
  ])('a name that %s at delivery: the attempt says %s, and nothing more', async (_what, word, address) => {
    const name = `${word}.test`;
    rebinds.set(name, { address, lookups: 0 });
    const { attempt, text } = await firstAttemptAt(http, `http://${name}:8080/hook`);
    expect(attempt).toEqual({
      at: expect.any(String),
      duration_ms: expect.any(Number),
      response_status: null,
      error: word,
    });
    expect(text).not.toMatch(LEAKS);
  });
});

describe('hostile webhooks: delivery attempts keep one word, not the connection error', () => {
  // Private targets allowed (a private network): the case where errno text would map it best.
  const service = useTestApp({ env: { EVENTS_RELAY: 'true', OUTBOX_POLL_MS: '20', WEBHOOK_POLL_MS: '20' } });
  const { http } = service;
  let receiver: Receiver;
  let closedPort: number;
  beforeAll(async () => {
    receiver = await startReceiver();
    receiver.answer('/broken', () => 500);
    const gone = await startReceiver();
    closedPort = Number(new URL(gone.base).port);
    await gone.close();
  });
  afterAll(() => receiver?.close());

  it.each([
    ['a closed port', 'connection-failed', null, () => `http://127.0.0.1:${closedPort}/hook`],
    ['TLS to a plain HTTP receiver', 'tls-failed', null, () => `${receiver.base.replace('http:', 'https:')}/tls`],
    ['a 500 answer', 'http-500', 500, () => `${receiver.base}/broken`],
  ])('%s: %s', async (_what, word, status, url) => {
    const { attempt, text } = await firstAttemptAt(http, url());
    expect(attempt).toEqual({
      at: expect.any(String),
      duration_ms: expect.any(Number),
      response_status: status,
      error: word,
    });
    expect(text).not.toMatch(/ECONNREFUSED|EPROTO|SSL|127\.0\.0\.1|connect |answered/);
  });

  it('attempts stored before this version are rewritten to their words by the migration', async () => {
    const consultant = await createConsultant(http);
    const created = await subscribe(http.as(consultant.token), `${receiver.base}/old`);
    expect(created).toHaveStatus(201);
    const texts = [
      null,
      'answered 302',
      'no answer within 5000 ms',
      'EFORBIDDENTARGET: inside.example is 10.0.0.5, a private address',
      'EFORBIDDENTARGET: gone.example resolves to no address',
      'ENOTFOUND: getaddrinfo ENOTFOUND gone.example',
      'ECONNREFUSED: connect ECONNREFUSED 10.0.0.5:22',
      'DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate',
    ];
    const attempts = texts.map((error) => ({
      at: '2030-01-01T09:00:00.000Z',
      duration_ms: 1,
      response_status: null,
      error,
    }));
    const db = service.t.app.get(DataSource);
    await db.query(
      `INSERT INTO webhook_deliveries (subscription_id, event_id, consultant_id, sequence, event, status, attempts, retry_until)
       VALUES ($1, gen_random_uuid(), $2, 1, jsonb_build_object('type', 'availability.changed'), 'failed', $3, now())`,
      [created.body.id, consultant.id, JSON.stringify(attempts)],
    );
    const runner = db.createQueryRunner();
    try {
      await new AttemptErrorWords1796200000000().up(runner);
    } finally {
      await runner.release();
    }
    const res = await http.as(consultant.token).get(`/webhooks/${created.body.id}/deliveries`);
    expect(res.body.data[0].attempts.map((a: { error: string | null }) => a.error)).toEqual([
      null,
      'http-302',
      'timeout',
      'refused-target',
      'unresolved-target',
      'unresolved-target',
      'connection-failed',
      'tls-failed',
    ]);
    expect(res.text).not.toMatch(/10\.0\.0\.5|example|ECONN|ENOTFOUND|EFORBIDDEN|certificate/);
  });
});

describe('hostile webhooks: expired Idempotency-Keys are purged on a schedule', () => {
  const service = useTestApp({ env: { IDEMPOTENCY_PURGE_INTERVAL_MS: '50' } });
  const { http } = service;
  const db = () => service.t.app.get(DataSource);

  it('deletes keys past their 24 hours without a new write of their caller, in batches, and keeps live ones', async () => {
    const consultant = await createConsultant(http);
    await openEveryDay(http, consultant);
    const user = await createUser(http);
    const book = (n: number, key: string) =>
      http
        .as(user.token)
        .post('/bookings', { consultant_id: consultant.id, ...halfHour(n) }, { 'idempotency-key': key });
    expect(await book(0, 'expired-key')).toHaveStatus(201);
    const live = await book(1, 'live-key');
    expect(live).toHaveStatus(201);
    // By the database's clock: one key of the user's passes its 24 hours, and so do 2,500 keys of
    // callers that never come back (more than one batch).
    await db().query(
      `UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 second' WHERE principal = $1 AND key = 'expired-key'`,
      [`user:${user.id}`],
    );
    await db().query(
      `INSERT INTO idempotency_keys (principal, key, fingerprint, status_code, response, created_at)
       SELECT 'user:gone', 'k' || i, repeat('0', 64), 201, '{}', now() - interval '3 days' FROM generate_series(1, 2500) i`,
    );
    const left = await eventually('the expired keys to be purged', async () => {
      const rows: { principal: string; key: string }[] = await db().query(
        `SELECT principal, key FROM idempotency_keys WHERE principal IN ($1, 'user:gone') ORDER BY key`,
        [`user:${user.id}`],
      );
      return rows.length === 1 ? rows : undefined;
    });
    expect(left).toEqual([{ principal: `user:${user.id}`, key: 'live-key' }]);
    // The live key still replays its first answer.
    const replay = await book(1, 'live-key');
    expect(replay).toHaveStatus(201);
    expect(replay.body.id).toBe(live.body.id);
  });
});
