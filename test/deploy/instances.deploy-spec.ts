import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Client } from 'pg';
import { type Cluster, type Instance, skipWithoutCluster, startCluster, startPrometheus } from '../support/cluster';
import { eventually, pause } from '../support/eventually';
import { ADMIN_TOKEN, assertProblem, createConsultant, createUser, halfHour, openEveryDay } from '../support/factories';
import { type Answer, networkCode } from '../support/service';

/**
 * Three instances behind HAProxy (deploy/haproxy.cfg) on the machine's PostgreSQL, their limits
 * in a private Redis: shared budgets, revocation, metrics through Prometheus, a rolling restart
 * and a killed instance under load, and Redis lost.
 */
const SIGNUPS = 12;
const FAILURES = 15;
const BOOKINGS = 8;

/** What a load generator saw: an HTTP status, or a network error's code. */
type Seen = { op: string; status?: number; type?: string; error?: string };

const suite = skipWithoutCluster('deploy: several instances', ['haproxy', 'redis-server', 'prometheus']);

(suite ? describe.skip : describe)('several instances behind HAProxy', () => {
  let cluster: Cluster;
  let db: Client;
  const admin = () => cluster.api.as(ADMIN_TOKEN);
  /** A client address of the test's own, as HAProxy's X-Forwarded-For carries it (TRUST_PROXY=loopback). */
  const from = (address: string) => ({ 'x-forwarded-for': address });

  beforeAll(async () => {
    cluster = await startCluster({
      SIGNUPS_PER_IP_PER_HOUR: String(SIGNUPS),
      FAILED_AUTH_PER_IP_PER_MINUTE: String(FAILURES),
      BOOKINGS_PER_IP_PER_HOUR: String(BOOKINGS),
    });
    db = new Client({ connectionString: cluster.dbUrl });
    await db.connect();
  }, 300_000);

  afterAll(async () => {
    await db?.end();
    await cluster?.stop();
  });

  it('counts each per-address budget once across the instances, exactly, however the requests are spread', async () => {
    // In parallel, so that the instances count the same windows at the same time.
    const signups = await Promise.all(
      Array.from({ length: SIGNUPS + 5 }, () =>
        cluster.api.post('/users', { first_name: 'Sh', last_name: 'Ared' }, from('203.0.113.10')),
      ),
    );
    expect(signups.filter((r) => r.status === 201)).toHaveLength(SIGNUPS);
    for (const r of signups.filter((r) => r.status !== 201)) assertProblem(r, 429, '/problems/signup-limit');
    expect(new Set(signups.map((r) => r.headers.get('x-served-by')))).toEqual(new Set(['i1', 'i2', 'i3']));

    const failures = await Promise.all(
      Array.from({ length: FAILURES + 5 }, () => cluster.api.as('cc_u_not-a-token').get('/me', from('203.0.113.11'))),
    );
    expect(failures.filter((r) => r.status === 401)).toHaveLength(FAILURES);
    for (const r of failures.filter((r) => r.status !== 401)) assertProblem(r, 429, '/problems/auth-failures');

    const consultant = await createConsultant(cluster.api);
    await openEveryDay(cluster.api, consultant);
    const user = await createUser(cluster.api);
    const bookings = await Promise.all(
      Array.from({ length: BOOKINGS + 4 }, (_, n) =>
        cluster.api
          .as(user.token)
          .post('/bookings', { consultant_id: consultant.id, ...halfHour(n) }, from('203.0.113.12')),
      ),
    );
    expect(bookings.filter((r) => r.status === 201)).toHaveLength(BOOKINGS);
    for (const r of bookings.filter((r) => r.status !== 201)) assertProblem(r, 429, '/problems/booking-rate');
    // Another address still has its whole budget.
    const other = await cluster.api
      .as(user.token)
      .post('/bookings', { consultant_id: consultant.id, ...halfHour(100) }, from('203.0.113.13'));
    expect(other).toHaveStatus(201);
  });

  it('refuses a token removed through one instance on every other at the next request', async () => {
    const consultant = await createConsultant(cluster.api);
    const [a, b, c] = cluster.instances;
    // Each instance has the token in its principal cache.
    for (const x of [a, b, c]) expect(await x.api.as(consultant.token).get('/me')).toHaveStatus(200);
    expect(await a.api.as(ADMIN_TOKEN).request('DELETE', `/consultants/${consultant.id}`)).toHaveStatus(204);
    for (const x of [b, c, a])
      assertProblem(await x.api.as(consultant.token).get('/me'), 401, '/problems/unauthorized');
  });

  it("serves metrics on each instance's metrics port only, which a real Prometheus scrapes", async () => {
    const onPublic = await cluster.api.get('/metrics');
    expect(onPublic).toHaveStatus(404);
    const prometheus = await startPrometheus(cluster.instances.map((x) => `127.0.0.1:${x.metricsPort}`));
    try {
      const consultant = await createConsultant(cluster.api);
      await openEveryDay(cluster.api, consultant);
      const booked = await admin().post('/bookings', {
        consultant_id: consultant.id,
        user_id: (await createUser(cluster.api)).id,
        ...halfHour(200),
      });
      expect(booked).toHaveStatus(201);
      // Every instance scraped, and the booking counted by the one that made it.
      await eventually(
        'Prometheus to have scraped every instance',
        async () => {
          const up = await prometheus.query('up{job="consultant-calendar"}');
          return up.length === 3 && up.every((s) => s.value[1] === '1') ? true : undefined;
        },
        60_000,
      );
      const created = await eventually(
        'Prometheus to have scraped a created booking',
        async () => {
          const [sample] = await prometheus.query('sum(cc_bookings_total{outcome="created"})');
          return sample && Number(sample.value[1]) >= 1 ? sample : undefined;
        },
        60_000,
      );
      expect(Number(created.value[1])).toBeGreaterThanOrEqual(1);
      const series = await prometheus.query(
        '{__name__=~"cc_(outbox_lag_seconds|db_pool_connections|nodejs_eventloop_lag_seconds|http_request_duration_seconds_count)"}',
      );
      expect(new Set(series.map((s) => s.metric.__name__))).toEqual(
        new Set([
          'cc_outbox_lag_seconds',
          'cc_db_pool_connections',
          'cc_nodejs_eventloop_lag_seconds',
          'cc_http_request_duration_seconds_count',
        ]),
      );
    } finally {
      await prometheus.stop();
    }
  }, 120_000);

  /** Bookings (as the admin, whom no booking budget limits) and views through HAProxy, until stopped. */
  function steadyLoad(consultantId: number, userIds: number[], firstSlot: number) {
    const seen: Seen[] = [];
    let running = true;
    let slot = firstSlot;
    const record = async (op: string, call: () => Promise<Answer>) => {
      try {
        const res = await call();
        seen.push({ op, status: res.status, type: res.body?.type });
      } catch (error) {
        seen.push({ op, error: networkCode(error) });
      }
    };
    const booker = async (k: number) => {
      while (running) {
        const n = slot++;
        await record('book', () =>
          admin().post('/bookings', {
            consultant_id: consultantId,
            user_id: userIds[k % userIds.length],
            ...halfHour(n),
          }),
        );
      }
    };
    const viewer = async () => {
      while (running) {
        await record('view', () =>
          cluster.api.get(`/availabilities/monthly?year=2031&month=1&consultant_id=${consultantId}`),
        );
        await pause(20);
      }
    };
    const loops = [booker(0), booker(1), viewer(), viewer()];
    return {
      seen,
      async stop() {
        running = false;
        await Promise.all(loops);
        return seen;
      },
    };
  }

  it('restarts every instance in turn under booking and view load without a failed request', async () => {
    const consultant = await createConsultant(cluster.api);
    await openEveryDay(cluster.api, consultant);
    const users = [await createUser(cluster.api), await createUser(cluster.api)];
    const load = steadyLoad(
      consultant.id,
      users.map((u) => u.id),
      1000,
    );
    await eventually('the load to run', () => (load.seen.length >= 20 ? true : undefined));
    for (const x of cluster.instances) {
      const before = load.seen.length;
      x.server.child.kill('SIGTERM');
      // Draining: not ready, still alive, still serving.
      const ready = await eventually(`${x.name} to report draining`, async () => {
        const res = await x.api.get('/health/ready');
        return res.status === 503 ? res : undefined;
      });
      assertProblem(ready, 503, '/problems/not-ready');
      expect(ready.body).toMatchObject({ draining: true });
      expect(await x.api.get('/health/live')).toHaveStatus(200);
      await once(x.server.child, 'exit');
      await cluster.revive(x);
      await eventually('the load to go on', () => (load.seen.length > before + 20 ? true : undefined));
    }
    const seen = await load.stop();
    const failed = seen.filter((s) => s.error !== undefined || (s.status ?? 0) >= 300);
    expect(failed).toEqual([]);
    expect(seen.filter((s) => s.op === 'book').length).toBeGreaterThan(20);
  }, 300_000);

  it('loses no acknowledged booking and doubles none when an instance is killed under booking load', async () => {
    const consultant = await createConsultant(cluster.api);
    await openEveryDay(cluster.api, consultant);
    const users = [await createUser(cluster.api), await createUser(cluster.api)];
    const victim: Instance = cluster.instances[1];
    type Attempt = { key: string; n: number; tries: number; acknowledged?: number; refused?: string };
    const attempts: Attempt[] = [];
    let running = true;
    let slot = 2000;
    /** A client that resends its booking with the same Idempotency-Key until it gets an answer that is not an outage. */
    const client = async (k: number) => {
      while (running) {
        const attempt: Attempt = { key: randomUUID(), n: slot++, tries: 0 };
        attempts.push(attempt);
        const body = { consultant_id: consultant.id, user_id: users[k % users.length].id, ...halfHour(attempt.n) };
        for (;;) {
          attempt.tries++;
          try {
            const res = await admin().post('/bookings', body, { 'idempotency-key': attempt.key });
            if (res.status === 201) attempt.acknowledged = res.body.id;
            else if ([502, 503, 504].includes(res.status) || res.body?.type === '/problems/idempotency-in-flight') {
              await pause(50);
              continue;
            } else attempt.refused = `${res.status} ${res.body?.type}`;
            break;
          } catch {
            await pause(50);
          }
        }
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    await eventually('bookings to be acknowledged', () =>
      attempts.filter((a) => a.acknowledged).length >= 20 ? true : undefined,
    );
    victim.server.child.kill('SIGKILL');
    await once(victim.server.child, 'exit');
    const atKill = attempts.length;
    await eventually('bookings to go on without it', () => (attempts.length > atKill + 30 ? true : undefined));
    running = false;
    await Promise.all(clients);
    await cluster.revive(victim);

    expect(attempts.filter((a) => a.refused)).toEqual([]);
    const { rows } = await db.query<{ id: number; start_at: Date }>(
      `SELECT id, start_at FROM bookings WHERE consultant_id = $1 AND status = 'confirmed'`,
      [consultant.id],
    );
    const stored = rows.map((r) => r.id).sort((x, y) => x - y);
    // Every acknowledged booking is there once, and nothing else is: no retry made a second one.
    expect(stored).toEqual(attempts.map((a) => a.acknowledged!).sort((x, y) => x - y));
    expect(new Set(stored).size).toBe(attempts.length);
    const overlaps = await db.query(
      `SELECT 1 FROM bookings a JOIN bookings b ON a.consultant_id = b.consultant_id AND a.id < b.id
        WHERE a.consultant_id = $1 AND a.status = 'confirmed' AND b.status = 'confirmed' AND a.during && b.during`,
      [consultant.id],
    );
    expect(overlaps.rows).toEqual([]);
  }, 300_000);

  it('keeps booking through HAProxy while Redis is down, counts limits per instance meanwhile, and reports it on /health/ready', async () => {
    const consultant = await createConsultant(cluster.api);
    await openEveryDay(cluster.api, consultant);
    const user = await createUser(cluster.api);
    await cluster.redis.stop();
    for (const x of cluster.instances) {
      const ready = await x.api.get('/health/ready');
      assertProblem(ready, 503, '/problems/not-ready');
      expect(ready.body).toMatchObject({ redis: 'down', database: 'up', draining: false });
      expect(await x.api.get('/health/live')).toHaveStatus(200);
    }
    // HAProxy takes every instance out, and sends to them anyway as its backups.
    await eventually('HAProxy to see no instance ready', async () => {
      const states = await cluster.states();
      return Object.values(states).every((state) => state === 'DOWN') ? true : undefined;
    });
    for (let n = 0; n < 6; n++) {
      const res = await cluster.api
        .as(user.token)
        .post('/bookings', { consultant_id: consultant.id, ...halfHour(3000 + n) }, from('203.0.113.20'));
      expect(res).toHaveStatus(201);
    }
    // Meanwhile each instance counts in its own memory: the budgets still hold, per instance.
    const [first] = cluster.instances;
    const signups = [];
    for (let n = 0; n <= SIGNUPS; n++)
      signups.push(await first.api.post('/users', { first_name: 'Re', last_name: 'Dis' }, from('203.0.113.21')));
    expect(signups.slice(0, SIGNUPS).map((r) => r.status)).toEqual(Array(SIGNUPS).fill(201));
    assertProblem(signups[SIGNUPS], 429, '/problems/signup-limit');
    cluster.redis = await cluster.redis.restart();
    await cluster.allUp();
  }, 120_000);
});
