import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, warnSkipping } from '../support/postgres-server';
import { assertProblem, createConsultant, createUser, type Created } from '../support/factories';
import { eventually } from '../support/eventually';
import { Http } from '../support/http';
import { ADMIN_TOKEN, serverUrl, startTestApp, type TestApp } from '../support/test-app';
import { signedHeaders } from '../../src/webhooks/webhook-signature';
import { type Receiver, startReceiver, verifyStandardWebhook } from '../support/webhook-receiver';

const RETRY_DELAY_MS = 200;

if (!serverUrl)
  warnSkipping(
    'webhooks: recording beside a relay batch',
    'PGlite runs one transaction at a time; set DATABASE_URL to run it',
  );

describe('webhooks', () => {
  let t: TestApp;
  let http: Http;
  let admin: Http;
  let receiver: Receiver;
  let user: Created;
  let day = 0;

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestApp({
      env: {
        EVENTS_RELAY: 'true',
        OUTBOX_POLL_MS: '20',
        WEBHOOK_POLL_MS: '20',
        WEBHOOK_RETRY_DELAY_MS: String(RETRY_DELAY_MS),
        WEBHOOK_TIMEOUT_MS: '1000',
        WEBHOOK_RETRY_WINDOW_SECONDS: '60',
        // Longer than the retry test's four failures (at most 0.2 + 0.4 + 0.8 s apart), which must not disable.
        WEBHOOK_DISABLE_AFTER_SECONDS: '5',
      },
    });
    http = new Http(t.app);
    admin = http.as(ADMIN_TOKEN);
    user = await createUser(http);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  /** A consultant subscribed (by itself) to every type at a receiver path of its own. */
  async function subscribed(path: string) {
    const consultant = await createConsultant(http);
    const res = await http.as(consultant.token).post('/webhooks', {
      url: `${receiver.base}${path}`,
      event_types: ['booking.created', 'booking.rescheduled', 'booking.cancelled', 'availability.changed'],
    });
    expect(res).toHaveStatus(201);
    return { consultant, webhook: res.body as { id: number; secret: string } };
  }
  /** One change of the consultant's: a new one-time slot on a day of its own. */
  async function change(consultant: Created): Promise<void> {
    const date = `2031-06-${String(++day).padStart(2, '0')}`;
    const res = await http
      .as(consultant.token)
      .post(`/consultants/${consultant.id}/availabilities`, { date, start_time: '10:00', end_time: '11:00' });
    expect(res).toHaveStatus(201);
  }
  const deliveries = async (consultant: Created, webhookId: number) => {
    const res = await http.as(consultant.token).get(`/webhooks/${webhookId}/deliveries`);
    expect(res).toHaveStatus(200);
    return res.body.data as any[];
  };

  it('subscriptions: the admin for any consultant, a consultant for its own; the secret shown once', async () => {
    const mine = await createConsultant(http);
    const other = await createConsultant(http);
    const body = { url: `${receiver.base}/crud`, event_types: ['booking.created'] };
    const own = await http.as(mine.token).post('/webhooks', body);
    expect(own).toHaveStatus(201);
    expect(own.body).toMatchObject({
      consultant_id: mine.id,
      enabled: true,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    const byAdmin = await admin.post('/webhooks', { ...body, consultant_id: other.id });
    expect(byAdmin).toHaveStatus(201);
    expect(byAdmin.body.consultant_id).toBe(other.id);
    // The secret is not shown again.
    const read = await http.as(mine.token).get(`/webhooks/${own.body.id}`);
    expect(read).toHaveStatus(200);
    expect(read.body).not.toHaveProperty('secret');
    assertProblem(await http.as(mine.token).post('/webhooks', { ...body, consultant_id: other.id }), 403);
    assertProblem(await http.as(mine.token).get(`/webhooks/${byAdmin.body.id}`), 404);
    assertProblem(await http.as(mine.token).delete(`/webhooks/${byAdmin.body.id}`), 404);
    assertProblem(await http.as(user.token).post('/webhooks', body), 403);
    assertProblem(await admin.post('/webhooks', body), 400);
    assertProblem(await admin.post('/webhooks', { ...body, consultant_id: 2_000_000_000 }), 404);
    assertProblem(await http.as(mine.token).post('/webhooks', { ...body, event_types: ['booking.deleted'] }), 400);
    assertProblem(await http.as(mine.token).post('/webhooks', { ...body, event_types: [] }), 400);
    assertProblem(await http.as(mine.token).post('/webhooks', { ...body, url: 'ftp://example.com/x' }), 400);
    assertProblem(await http.as(mine.token).post('/webhooks', { ...body, url: 'not a url' }), 400);
    const listed = await http.as(mine.token).get('/webhooks');
    expect(listed.body.data.map((w: { id: number }) => w.id)).toEqual([own.body.id]);
    assertProblem(await http.as(mine.token).get(`/webhooks?consultant_id=${other.id}`), 403);
    expect((await admin.get(`/webhooks?consultant_id=${other.id}`)).body.data).toHaveLength(1);
    const patched = await http.as(mine.token).patch(`/webhooks/${own.body.id}`, { event_types: ['booking.cancelled'] });
    expect(patched).toHaveStatus(200);
    expect(patched.body.event_types).toEqual(['booking.cancelled']);
    expect(await http.as(mine.token).delete(`/webhooks/${own.body.id}`)).toHaveStatus(204);
    assertProblem(await http.as(mine.token).get(`/webhooks/${own.body.id}`), 404);
  });

  it('delivers each event signed as Standard Webhooks says, webhook-id the event id, and lists the attempt', async () => {
    const { consultant, webhook } = await subscribed('/signed');
    const slot = await http.as(consultant.token).post(`/consultants/${consultant.id}/availabilities`, {
      date: '2031-07-01',
      start_time: '10:00',
      end_time: '11:00',
    });
    const booked = await http.as(user.token).post('/bookings', { availability_id: slot.body.id });
    expect(booked).toHaveStatus(201);
    const [first, second] = await eventually('two deliveries', () => {
      const hits = receiver.on('/signed');
      return hits.length >= 2 ? hits : undefined;
    });
    for (const hit of [first, second]) {
      expect(hit.headers['content-type']).toBe('application/json');
      expect(verifyStandardWebhook(webhook.secret, hit.headers, hit.body)).toBe(true);
      // A changed body, or another secret, fails the check.
      expect(verifyStandardWebhook(webhook.secret, hit.headers, hit.body.replace('}', ' }'))).toBe(false);
      expect(verifyStandardWebhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, hit.headers, hit.body)).toBe(
        false,
      );
      expect(JSON.parse(hit.body).id).toBe(hit.headers['webhook-id']);
    }
    expect(JSON.parse(first.body)).toMatchObject({
      type: 'availability.changed',
      sequence: 1,
      consultant_id: consultant.id,
    });
    expect(JSON.parse(second.body)).toMatchObject({ type: 'booking.created', sequence: 2, data: booked.body });
    const listed = await eventually('both delivered', async () => {
      const all = await deliveries(consultant, webhook.id);
      return all.every((d) => d.status === 'delivered') && all.length === 2 ? all : undefined;
    });
    expect(listed[0]).toMatchObject({
      event_type: 'booking.created',
      event_id: second.headers['webhook-id'],
      sequence: 2,
      next_attempt_at: null,
      attempts: [{ at: expect.any(String), duration_ms: expect.any(Number), response_status: 204, error: null }],
    });
  });

  it('a burst of changes goes out in sequence order, each once, over a kept connection', async () => {
    const { consultant, webhook } = await subscribed('/burst');
    // More than one claim takes of a queue, committed side by side: five writers at a time (the
    // embedded database has one connection, and 45 at once could outwait the pool's 5 s on a busy machine).
    const n = 45;
    for (let wave = 0; wave < n; wave += 5)
      await Promise.all(
        Array.from({ length: 5 }, async (_, k) => {
          const date = new Date(Date.UTC(2032, 0, 1 + wave + k)).toISOString().slice(0, 10);
          const res = await http
            .as(consultant.token)
            .post(`/consultants/${consultant.id}/availabilities`, { date, start_time: '10:00', end_time: '11:00' });
          expect(res).toHaveStatus(201);
        }),
      );
    // A claim records its outcomes after its POSTs were answered: once every delivery is listed
    // delivered, every POST made for them has reached the receiver.
    const listed = await eventually('all listed delivered', async () => {
      const all = await deliveries(consultant, webhook.id);
      return all.length === n && all.every((d) => d.status === 'delivered') ? all : undefined;
    });
    const hits = receiver.on('/burst');
    expect(hits).toHaveLength(n);
    expect(hits.map((h) => JSON.parse(h.body).sequence)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(new Set(hits.map((h) => h.headers['webhook-id'])).size).toBe(n);
    // One after the other on one kept connection, not a connection each.
    expect(new Set(hits.map((h) => h.connection)).size).toBeLessThanOrEqual(2);
    for (const d of listed) expect(d.attempts).toHaveLength(1);
  });

  it('retries a failing receiver with growing gaps and the same webhook-id, in order, until it answers', async () => {
    const { consultant, webhook } = await subscribed('/flaky');
    receiver.answer('/flaky', (_hit, count) => (count <= 4 ? 503 : 200));
    // Each failed attempt's schedule as the service writes it: next_attempt_at less the database's
    // now() of that write, logged by a trigger of this test's (both sides from the database's clock).
    const db = t.app.get(DataSource);
    const log = `retry_schedule_${webhook.id}`;
    await db.query(`CREATE TABLE ${log} (attempts int, scheduled_ms double precision)`);
    await db.query(`CREATE FUNCTION ${log}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF NEW.status = 'pending' AND jsonb_array_length(NEW.attempts) > jsonb_array_length(OLD.attempts) THEN
          INSERT INTO ${log} VALUES (jsonb_array_length(NEW.attempts), extract(epoch FROM NEW.next_attempt_at - now()) * 1000);
        END IF;
        RETURN NEW;
      END $$`);
    await db.query(
      `CREATE TRIGGER ${log} AFTER UPDATE ON webhook_deliveries FOR EACH ROW WHEN (NEW.subscription_id = ${webhook.id}) EXECUTE FUNCTION ${log}()`,
    );
    await change(consultant);
    await change(consultant);
    const hits = await eventually(
      'the fifth attempt and the second event',
      () => {
        const all = receiver.on('/flaky');
        return all.length >= 6 ? all : undefined;
      },
      30_000,
    );
    const first = hits.slice(0, 5);
    expect(new Set(first.map((h) => h.headers['webhook-id'])).size).toBe(1);
    // The second event waited behind the first: the consultant's order holds.
    expect(JSON.parse(hits[5].body).sequence).toBe(2);
    // A claim records its outcomes together, after its queue's last POST: the receiver may have
    // the second event before the list shows the first delivered.
    const firstDelivery = await eventually('the first delivery recorded as delivered', async () => {
      const found = (await deliveries(consultant, webhook.id)).find((d) => d.sequence === 1);
      return found?.status === 'delivered' ? found : undefined;
    });
    expect(firstDelivery.attempts.map((a: { response_status: number }) => a.response_status)).toEqual([
      503, 503, 503, 503, 200,
    ]);
    // Retry n is scheduled between half and all of RETRY_DELAY_MS * 2^(n-1) after failure n: the
    // schedule doubles each time (with jitter); the first delivery's four failures, in order.
    const schedule = await db.query(`SELECT attempts, scheduled_ms FROM ${log} ORDER BY attempts`);
    await db.query(`DROP TRIGGER ${log} ON webhook_deliveries`);
    await db.query(`DROP FUNCTION ${log}()`);
    await db.query(`DROP TABLE ${log}`);
    const bounds = (n: number) => [(RETRY_DELAY_MS * 2 ** (n - 1)) / 2, RETRY_DELAY_MS * 2 ** (n - 1)];
    expect(
      schedule.map((r: { attempts: number; scheduled_ms: number }) => {
        const [shortest, longest] = bounds(r.attempts);
        const scheduled = Math.round(r.scheduled_ms);
        return { retry: r.attempts, within: shortest <= scheduled && scheduled <= longest ? true : scheduled };
      }),
    ).toEqual([1, 2, 3, 4].map((retry) => ({ retry, within: true })));
    expect(firstDelivery.status).toBe('delivered');
  });

  (serverUrl ? it : it.skip)(
    "records an answer while a relay batch holds the subscription's row for its foreign key",
    async () => {
      const { consultant, webhook } = await subscribed('/key-share');
      receiver.answer('/key-share', (_hit, count) => (count === 1 ? 503 : 204));
      await change(consultant);
      // The first attempt fails, so recording the next one writes the subscription's row.
      await eventually('the failed first attempt', async () =>
        (await deliveries(consultant, webhook.id))[0]?.attempts.length === 1 ? true : undefined,
      );
      // A relay batch that writes a delivery of this subscription holds its row FOR KEY SHARE
      // (the delivery's foreign key) until it commits; the sender must not wait for it.
      const db = new Client({ connectionString: t.databaseUrl });
      await db.connect();
      try {
        await db.query('BEGIN');
        await db.query('SELECT 1 FROM webhook_subscriptions WHERE id = $1 FOR KEY SHARE', [webhook.id]);
        const [delivered] = await eventually('the retry recorded while the key lock is held', async () => {
          const all = await deliveries(consultant, webhook.id);
          return all[0]?.status === 'delivered' ? all : undefined;
        });
        expect(delivered.attempts.map((a: { response_status: number }) => a.response_status)).toEqual([503, 204]);
        expect((await http.as(consultant.token).get(`/webhooks/${webhook.id}`)).body.failing_since).toBeNull();
      } finally {
        await db.query('ROLLBACK');
        await db.end();
      }
    },
  );

  it('follows no redirect, gives up a slow receiver at the timeout, and disables one failing for the whole window', async () => {
    const { consultant, webhook } = await subscribed('/down');
    receiver.answer('/down', (_hit, count) =>
      count === 1
        ? { status: 302, headers: { location: `${receiver.base}/elsewhere` } }
        : count === 2
          ? { status: 200, delayMs: 1500 }
          : 500,
    );
    await change(consultant);
    const disabled = await eventually(
      'the subscription to be disabled',
      async () => {
        const res = await http.as(consultant.token).get(`/webhooks/${webhook.id}`);
        return res.body.enabled === false ? res.body : undefined;
      },
      40_000,
    );
    expect(disabled).toMatchObject({ failing_since: expect.any(String), disabled_at: expect.any(String) });
    expect(receiver.on('/elsewhere')).toHaveLength(0);
    const [delivery] = await deliveries(consultant, webhook.id);
    expect(delivery.status).toBe('pending');
    expect(delivery.attempts[0]).toMatchObject({ response_status: 302, error: 'http-302' });
    expect(delivery.attempts[1]).toMatchObject({ response_status: null, error: 'timeout' });
    // Disabled: nothing more is sent, and new events are not queued for it.
    const sent = receiver.on('/down').length;
    // Once the waiting delivery is due, a claim that sends anything later would have taken it first
    // (claims go by next_attempt_at): a change that reaches a second, enabled subscription of the
    // consultant's shows that the disabled one was passed over.
    const due = delivery.next_attempt_at as string;
    await eventually('the waiting delivery to fall due', async () => {
      const [row] = await t.app.get(DataSource).query('SELECT now() >= $1::timestamptz AS due', [due]);
      return row.due ? true : undefined;
    });
    const witness = await http
      .as(consultant.token)
      .post('/webhooks', { url: `${receiver.base}/down-witness`, event_types: ['availability.changed'] });
    expect(witness).toHaveStatus(201);
    await change(consultant);
    await eventually('the change at the enabled subscription', () =>
      receiver.on('/down-witness').length > 0 ? true : undefined,
    );
    expect(receiver.on('/down')).toHaveLength(sent);
    expect(await deliveries(consultant, webhook.id)).toHaveLength(1);
    // Re-enabled, and the receiver fixed: the waiting delivery goes out.
    receiver.answer('/down', () => 200);
    const enabled = await http.as(consultant.token).patch(`/webhooks/${webhook.id}`, { enabled: true });
    expect(enabled).toHaveStatus(200);
    expect(enabled.body).toMatchObject({ enabled: true, failing_since: null, disabled_at: null });
    await eventually('the delivery to go out', async () =>
      (await deliveries(consultant, webhook.id))[0].status === 'delivered' ? true : undefined,
    );
  });

  it('redelivers a delivery on request, with the same webhook-id', async () => {
    const { consultant, webhook } = await subscribed('/again');
    await change(consultant);
    const [delivery] = await eventually('the delivery', async () => {
      const all = await deliveries(consultant, webhook.id);
      return all[0]?.status === 'delivered' ? all : undefined;
    });
    const res = await http.as(consultant.token).post(`/webhooks/${webhook.id}/deliveries/${delivery.id}/redeliver`);
    expect(res).toHaveStatus(202);
    expect(res.body).toMatchObject({ id: delivery.id, status: 'pending' });
    const hits = await eventually('the second send', () =>
      receiver.on('/again').length >= 2 ? receiver.on('/again') : undefined,
    );
    expect(hits[1].headers['webhook-id']).toBe(hits[0].headers['webhook-id']);
    assertProblem(await http.as(consultant.token).post(`/webhooks/${webhook.id}/deliveries/999999/redeliver`), 404);
    const stranger = await createConsultant(http);
    assertProblem(
      await http.as(stranger.token).post(`/webhooks/${webhook.id}/deliveries/${delivery.id}/redeliver`),
      404,
    );
    assertProblem(await http.as(stranger.token).get(`/webhooks/${webhook.id}/deliveries`), 404);
  });
  it("the README's receiver accepts signed deliveries, drops a repeated webhook-id and refuses a forged one", async () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const code = /```js\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Events')))![1];
    const dir = mkdtempSync(join(tmpdir(), 'readme-receiver-'));
    writeFileSync(join(dir, 'receiver.mjs'), code);
    const port = await freePort();
    const consultant = await createConsultant(http);
    const created = await http
      .as(consultant.token)
      .post('/webhooks', { url: `http://127.0.0.1:${port}/`, event_types: ['availability.changed'] });
    expect(created).toHaveStatus(201);
    const child = spawn(process.execPath, [join(dir, 'receiver.mjs')], {
      env: { ...process.env, PORT: String(port), WEBHOOK_SECRET: created.body.secret },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await eventually('the receiver to listen', () =>
        fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' }).then(
          (res) => (res.status === 401 ? true : undefined),
          () => undefined,
        ),
      );
      await change(consultant);
      const [delivery] = await eventually('the delivery', async () => {
        const all = await deliveries(consultant, created.body.id);
        return all[0]?.status === 'delivered' ? all : undefined;
      });
      expect(output).toContain(`event ${delivery.event_id} availability.changed consultant ${consultant.id} #1`);
      const again = await http
        .as(consultant.token)
        .post(`/webhooks/${created.body.id}/deliveries/${delivery.id}/redeliver`);
      expect(again).toHaveStatus(202);
      await eventually('the duplicate', () => (output.includes(`duplicate ${delivery.event_id}`) ? true : undefined));
      expect(output.match(/^event /gm)).toHaveLength(1);
      // Signed with another key: refused.
      const body = JSON.stringify({ type: 'booking.created' });
      const forged = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: signedHeaders(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, 'msg_forged', body),
        body,
      });
      expect(forged.status).toBe(401);
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
