import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { eventually } from '../support/eventually';
import { assertProblem, createConsultant, createSlot, createUser, type Created } from '../support/factories';
import { describeWithPostgres, useServiceOnPostgres } from '../support/service';

/**
 * A booking's database connection dies mid-transaction: the booking waits on the consultant's
 * row lock (held by another connection), and its backend is terminated. Nothing it wrote may
 * survive, the client must get a 503 with Retry-After, and the retry must succeed.
 */
describeWithPostgres('faults: connection terminated')('faults: booking connection terminated mid-transaction', () => {
  const s = useServiceOnPostgres();

  /** A consultant with a slot on `date` and a user of this test's own, so no test sees another's rows. */
  async function fresh(date: string) {
    const consultant = await createConsultant(s.api);
    const slot = await createSlot(s.api, consultant, date, '10:00', '11:00');
    return { consultant, user: await createUser(s.api), slot };
  }

  /** Books while another connection holds the consultant's row, then terminates the booking's backend. */
  async function bookThroughTermination(
    consultant: Created,
    user: Created,
    body: Record<string, unknown>,
    headers: Record<string, string>,
  ) {
    const locker = new Client({ connectionString: s.dbUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT id FROM consultants WHERE id = $1 FOR UPDATE', [consultant.id]);
      const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const pending = s.api.as(user.token).post('/bookings', body, headers);
      // The booking's backend: waiting on a lock, behind our row lock.
      const victim = await eventually('the booking to wait on the consultant lock', async () => {
        const rows = await s.sql<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> $1 AND wait_event_type = 'Lock' AND query ILIKE '%change_booking%'`,
          [lockerPid],
        );
        return rows[0]?.pid;
      });
      const [{ terminated }] = await s.sql<{ terminated: boolean }>('SELECT pg_terminate_backend($1) AS terminated', [
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

  async function footprint(slotId: number, user: Created) {
    const [{ bookings }] = await s.sql<{ bookings: number }>(
      'SELECT count(*)::int AS bookings FROM bookings WHERE availability_id = $1',
      [slotId],
    );
    const [{ is_booked }] = await s.sql<{ is_booked: boolean }>('SELECT is_booked FROM availabilities WHERE id = $1', [
      slotId,
    ]);
    const [{ keys }] = await s.sql<{ keys: number }>(
      'SELECT count(*)::int AS keys FROM idempotency_keys WHERE principal = $1',
      [`user:${user.id}`],
    );
    return { bookings, is_booked, keys };
  }

  it('without an Idempotency-Key: a retryable problem, no partial rows, and the retry books', async () => {
    const { consultant, user, slot } = await fresh('2031-03-03');
    const failed = await bookThroughTermination(consultant, user, { availability_id: slot.id }, {});
    assertProblem(failed, 503);
    // A 503 says when to retry.
    expect(Number(failed.headers.get('retry-after'))).toBeGreaterThan(0);
    // Nothing of the killed transaction survives.
    expect(await footprint(slot.id, user)).toEqual({ bookings: 0, is_booked: false, keys: 0 });

    const retried = await s.api.as(user.token).post('/bookings', { availability_id: slot.id });
    expect(retried).toHaveStatus(201);
    expect(await footprint(slot.id, user)).toEqual({ bookings: 1, is_booked: true, keys: 0 });
    const health = await s.api.get('/health');
    // The pool dropped the dead connection.
    expect(health).toHaveStatus(200);
  });

  it('with an Idempotency-Key: the outage is not stored as the answer, so the retry with the same key books', async () => {
    const { consultant, user, slot } = await fresh('2031-03-04');
    const key = randomUUID();
    const failed = await bookThroughTermination(
      consultant,
      user,
      { availability_id: slot.id },
      { 'idempotency-key': key },
    );
    assertProblem(failed, 503);
    expect(Number(failed.headers.get('retry-after'))).toBeGreaterThan(0);
    // No booking, and no key stored.
    expect(await footprint(slot.id, user)).toEqual({ bookings: 0, is_booked: false, keys: 0 });

    const retried = await s.api
      .as(user.token)
      .post('/bookings', { availability_id: slot.id }, { 'idempotency-key': key });
    expect(retried).toHaveStatus(201);
    const replay = await s.api
      .as(user.token)
      .post('/bookings', { availability_id: slot.id }, { 'idempotency-key': key });
    expect(replay).toHaveStatus(201);
    // The key now replays the booking.
    expect(replay.body.id).toBe(retried.body.id);
    expect(await footprint(slot.id, user)).toEqual({ bookings: 1, is_booked: true, keys: 1 });
  });

  // Regression: when the connection dies while the transaction is between two statements, TypeORM
  // releases the query runner and the next statement throws Query Runner(Provider)AlreadyReleasedError,
  // which used to be a 500.
  it('a connection dropped between two statements of a booking is a 503 too, never a 500', async () => {
    const consultant2 = await createConsultant(s.api);
    const user = await createUser(s.api);
    const rule = await s.api
      .as(consultant2.token)
      .post(`/consultants/${consultant2.id}/recurring`, { day: 'Mon', start_time: '00:00', end_time: '23:30' });
    expect(rule).toHaveStatus(201);
    const reaper = new Client({ connectionString: s.dbUrl });
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
            const res = await s.api.as(user.token).post(
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
    const errors = [...new Set(s.server.output().match(/"type":"\w+Error"/g) ?? [])].join(', ');
    console.log(
      `# ${reaped} idle-in-transaction backends terminated; answers ${JSON.stringify(statuses)}; errors logged: ${errors}`,
    );
    // Some transactions were caught between statements.
    expect(reaped).toBeGreaterThan(0);
    // No 500 among the answers (shown whole on a failure).
    expect(statuses).not.toHaveProperty('500');
  });
});
