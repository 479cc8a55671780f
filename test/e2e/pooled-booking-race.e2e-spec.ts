import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { warnSkipping } from '../support/postgres-server';
import { createConsultant, createUser, type Created, openEveryDay } from '../support/factories';
import { Http } from '../support/http';
import { serverUrl, startTestApp, type TestApp } from '../support/test-app';

const REQUESTS = 200;
const POOL = 5;

// PGlite runs one statement at a time, so a race there proves nothing: these need a real server.
if (!serverUrl) warnSkipping('pooled-booking-race', 'concurrency tests need PostgreSQL; set DATABASE_URL to run them');
const describeOnPostgres = serverUrl ? describe : describe.skip;

describeOnPostgres('pooled booking races against PostgreSQL', () => {
  let t: TestApp;
  let http: Http;
  let users: Created[];
  let pools = 0;

  beforeAll(async () => {
    t = await startTestApp({ env: { DATABASE_POOL_SIZE: '20' } });
    http = new Http(t.app);
    users = await Promise.all(Array.from({ length: 20 }, () => createUser(http)));
  });
  afterAll(() => t?.close());

  /** A pool of POOL consultants, each free the whole day (openEveryDay). */
  async function openPool(): Promise<{ specialization: string; ids: number[] }> {
    const specialization = `race-${++pools}-${randomUUID().slice(0, 8)}`;
    const ids: number[] = [];
    for (let i = 0; i < POOL; i++) {
      const consultant = await createConsultant(http, { specialization });
      await openEveryDay(http, consultant);
      ids.push(consultant.id);
    }
    return { specialization, ids };
  }

  /** REQUESTS pooled bookings of one hour at once; the answers by status, and the winners' consultants. */
  async function race(specialization: string, hour: { start: string; end: string }, withKeys = false) {
    const replies = await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) =>
        http
          .as(users[i % users.length].token)
          .post('/bookings', { specialization, ...hour }, withKeys ? { 'idempotency-key': randomUUID() } : {}),
      ),
    );
    const tally: Record<number, number> = {};
    for (const r of replies) tally[r.status] = (tally[r.status] ?? 0) + 1;
    const winners = replies.filter((r) => r.status === 201).map((r) => r.body.consultant_id as number);
    const refusals = new Set(replies.filter((r) => r.status === 409).map((r) => r.body.type));
    return { tally, winners, refusals };
  }

  async function overlaps(): Promise<number> {
    const client = new Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM bookings a JOIN bookings b ON a.consultant_id = b.consultant_id AND a.id < b.id
           AND tstzrange(a.blocked_start_at, a.blocked_end_at) && tstzrange(b.blocked_start_at, b.blocked_end_at)
          WHERE a.status IN ('confirmed', 'held') AND b.status IN ('confirmed', 'held')`,
      );
      return rows[0].n;
    } finally {
      await client.end();
    }
  }

  const expectOneEach = (result: Awaited<ReturnType<typeof race>>, ids: number[]) => {
    expect(result.tally).toEqual({ 201: POOL, 409: REQUESTS - POOL });
    expect([...result.winners].sort((a, b) => a - b)).toEqual(ids);
    expect([...result.refusals]).toEqual(['/problems/time-taken']);
  };

  it(`gives ${REQUESTS} concurrent pooled bookings of one hour exactly one each of ${POOL} free consultants`, async () => {
    const { specialization, ids } = await openPool();
    expectOneEach(await race(specialization, { start: '2031-02-04T10:00:00Z', end: '2031-02-04T11:00:00Z' }), ids);
    expect(await overlaps()).toBe(0);
  });

  it('does the same with an Idempotency-Key on each request (each candidate tried behind a savepoint)', async () => {
    const { specialization, ids } = await openPool();
    const hour = { start: '2031-02-05T10:00:00Z', end: '2031-02-05T11:00:00Z' };
    expectOneEach(await race(specialization, hour, true), ids);
    expect(await overlaps()).toBe(0);
  });

  it(`gives the same answer to each of ${POOL} pools racing at once`, async () => {
    const opened: { specialization: string; ids: number[] }[] = [];
    for (let i = 0; i < 5; i++) opened.push(await openPool());
    const hour = { start: '2031-02-06T10:00:00Z', end: '2031-02-06T11:00:00Z' };
    const results = await Promise.all(opened.map(({ specialization }) => race(specialization, hour)));
    results.forEach((result, i) => expectOneEach(result, opened[i].ids));
    expect(await overlaps()).toBe(0);
  });
});
