import { Client } from 'pg';
import type { PostgresServer } from '../support/postgres-server';
import { skipWithoutPostgres } from '../support/postgres-server';
import type { ServerProcess } from '../support/server-process';
import {
  Api,
  assertProblem,
  createConsultant,
  createSlot,
  createUser,
  killService,
  type Party,
  privateDatabase,
  randomUUID,
  startService,
  waitFor,
} from './fault-kit';

// Skipped loudly (skipWithoutPostgres warns), and counted: the tally shows skipped tests rather than nothing at all.
const describeWithPostgres = skipWithoutPostgres('faults: connection terminated') ? describe.skip : describe;

/**
 * A booking's database connection dies mid-transaction: the booking waits on the consultant's
 * row lock (held by another connection), and its backend is terminated. Nothing it wrote may
 * survive, the client must get an answer it can retry (503, or 409), and the retry must succeed.
 */
describeWithPostgres('faults: booking connection terminated mid-transaction', () => {
  let pg: PostgresServer;
  let dbUrl: string;
  let server: ServerProcess;
  let api: Api;
  let consultant: Party;
  let user: Party;

  beforeAll(async () => {
    ({ pg, url: dbUrl } = await privateDatabase());
    server = await startService({ DATABASE_URL: dbUrl });
    api = new Api(server.url);
    consultant = await createConsultant(api);
    user = await createUser(api);
  });
  afterAll(async () => {
    if (server) await killService(server);
    if (pg) await pg.destroy();
  });

  const sql = async <T = any>(text: string, params: unknown[] = []) =>
    pg.query<T>(text, params, new URL(dbUrl).pathname.slice(1));

  /** Books while another connection holds the consultant's row, then terminates the booking's backend. */
  async function bookThroughTermination(body: Record<string, unknown>, headers: Record<string, string>) {
    const locker = new Client({ connectionString: dbUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT id FROM consultants WHERE id = $1 FOR UPDATE', [consultant.id]);
      const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const pending = api.as(user.token).post('/bookings', body, headers);
      // The booking's backend: waiting on a lock, behind our row lock.
      const victim = await waitFor('the booking to wait on the consultant lock', async () => {
        const rows = await sql<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> $1 AND wait_event_type = 'Lock' AND query ILIKE '%change_booking%'`,
          [lockerPid],
        );
        return rows[0]?.pid;
      });
      const [{ terminated }] = await sql<{ terminated: boolean }>('SELECT pg_terminate_backend($1) AS terminated', [
        victim,
      ]);
      expect(terminated).toBe(true);
      const answer = await pending;
      console.log(`# terminated booking answered ${answer.status} ${answer.text}`);
      return answer;
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end().catch(() => undefined);
    }
  }

  async function footprint(slotId: number) {
    const [{ bookings }] = await sql<{ bookings: number }>(
      'SELECT count(*)::int AS bookings FROM bookings WHERE consultant_id = $1',
      [consultant.id],
    );
    const [{ is_booked }] = await sql<{ is_booked: boolean }>('SELECT is_booked FROM availabilities WHERE id = $1', [
      slotId,
    ]);
    const [{ keys }] = await sql<{ keys: number }>('SELECT count(*)::int AS keys FROM idempotency_keys');
    return { bookings, is_booked, keys };
  }

  it('without an Idempotency-Key: a retryable problem, no partial rows, and the retry books', async () => {
    const slot = await createSlot(api, consultant, '2031-03-03', '10:00', '11:00');
    const failed = await bookThroughTermination({ availability_id: slot.id }, {});
    assertProblem(failed, [503, 409]);
    // A 503 says when to retry.
    if (failed.status === 503) expect(failed.headers.get('retry-after')).toBeTruthy();
    // Nothing of the killed transaction survives.
    expect(await footprint(slot.id)).toEqual({ bookings: 0, is_booked: false, keys: 0 });

    const retried = await api.as(user.token).post('/bookings', { availability_id: slot.id });
    expect(retried).toHaveStatus(201);
    expect(await footprint(slot.id)).toEqual({ bookings: 1, is_booked: true, keys: 0 });
    const health = await api.get('/health');
    // The pool dropped the dead connection.
    expect(health).toHaveStatus(200);
  });

  it('with an Idempotency-Key: the outage is not stored as the answer, so the retry with the same key books', async () => {
    const slot = await createSlot(api, consultant, '2031-03-04', '10:00', '11:00');
    const key = randomUUID();
    const failed = await bookThroughTermination({ availability_id: slot.id }, { 'idempotency-key': key });
    assertProblem(failed, [503, 409]);
    const before = await footprint(slot.id);
    // Only the first test's booking exists, and no key was stored.
    expect(before).toEqual({ bookings: 1, is_booked: false, keys: 0 });

    const retried = await api
      .as(user.token)
      .post('/bookings', { availability_id: slot.id }, { 'idempotency-key': key });
    expect(retried).toHaveStatus(201);
    const replay = await api.as(user.token).post('/bookings', { availability_id: slot.id }, { 'idempotency-key': key });
    expect(replay).toHaveStatus(201);
    // The key now replays the booking.
    expect(replay.body.id).toBe(retried.body.id);
    expect(await footprint(slot.id)).toEqual({ bookings: 2, is_booked: true, keys: 1 });
  });

  // Regression: when the connection dies while the transaction is between two statements, TypeORM
  // releases the query runner and the next statement throws Query Runner(Provider)AlreadyReleasedError,
  // which used to be a 500.
  it('a connection dropped between two statements of a booking is a 503 too, never a 500', async () => {
    const consultant2 = await createConsultant(api);
    const rule = await api
      .as(consultant2.token)
      .post(`/consultants/${consultant2.id}/recurring`, { day: 'Mon', start_time: '00:00', end_time: '23:30' });
    expect(rule).toHaveStatus(201);
    const reaper = new Client({ connectionString: dbUrl });
    await reaper.connect();
    let reaping = true;
    let reaped = 0;
    const reap = (async () => {
      while (reaping) {
        const { rowCount } = await reaper.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()`,
        );
        reaped += rowCount ?? 0;
      }
    })();
    const statuses: Record<number, number> = {};
    try {
      // 2031-01-06 is a Monday: 46 half hours between 00:00 and 23:00 UTC.
      const monday = Date.UTC(2031, 0, 6);
      await Promise.all(
        [0, 1, 2, 3].map(async (w) => {
          for (let n = w; n < 46; n += 4) {
            const start = monday + n * 1_800_000;
            // Half the clients send an Idempotency-Key (its own code path), half do not.
            const headers: Record<string, string> = w % 2 === 0 ? { 'idempotency-key': randomUUID() } : {};
            const res = await api.as(user.token).post(
              '/bookings',
              {
                consultant_id: consultant2.id,
                start: new Date(start).toISOString(),
                end: new Date(start + 1_800_000).toISOString(),
              },
              headers,
            );
            statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          }
        }),
      );
    } finally {
      reaping = false;
      await reap.catch(() => undefined);
      await reaper.end();
    }
    const errors = [...new Set(server.output().match(/"type":"\w+Error"/g) ?? [])].join(', ');
    console.log(
      `# ${reaped} idle-in-transaction backends terminated; answers ${JSON.stringify(statuses)}; errors logged: ${errors}`,
    );
    // Some transactions were caught between statements.
    expect(reaped).toBeGreaterThan(0);
    // No 500 among the answers (shown whole on a failure).
    expect(statuses).not.toHaveProperty('500');
  });
});
