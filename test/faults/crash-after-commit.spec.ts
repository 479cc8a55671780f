import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { eventually } from '../support/eventually';
import { assertProblem, createConsultant, createSlot, createUser, type Created } from '../support/factories';
import {
  Api,
  describeWithPostgres,
  killService,
  networkCode,
  startService,
  useServiceOnPostgres,
} from '../support/service';

/**
 * The service dies (SIGKILL) right after a booking commits. The client, not knowing whether its
 * booking went through, retries with the same Idempotency-Key on the restarted service: it must
 * get the same booking back, and the database must hold exactly one.
 */
describeWithPostgres('faults: crash after commit')('faults: service killed right after a booking commits', () => {
  const s = useServiceOnPostgres();
  let user: Created;

  beforeAll(async () => {
    user = await createUser(s.api);
  });

  const bookingsOf = (consultant: Created) =>
    s.sql<{ id: number; status: string }>('SELECT id, status FROM bookings WHERE consultant_id = $1 ORDER BY id', [
      consultant.id,
    ]);

  async function restart(): Promise<void> {
    await killService(s.server);
    s.server = await startService({ DATABASE_URL: s.dbUrl });
    s.api = new Api(s.server.url);
  }

  async function freshSlot(date: string) {
    const consultant = await createConsultant(s.api);
    const slot = await createSlot(s.api, consultant, date, '10:00', '11:00');
    return { consultant, body: { availability_id: slot.id } };
  }

  it('killed after the 201 went out: the retry replays the same booking', async () => {
    const { consultant, body } = await freshSlot('2031-04-01');
    const key = randomUUID();
    const first = await s.api.as(user.token).post('/bookings', body, { 'idempotency-key': key });
    expect(first).toHaveStatus(201);
    await restart();
    const retry = await s.api.as(user.token).post('/bookings', body, { 'idempotency-key': key });
    expect(retry).toHaveStatus(201);
    // The same booking, word for word.
    expect(retry.body).toEqual(first.body);
    expect(await bookingsOf(consultant)).toEqual([{ id: first.body.id, status: 'confirmed' }]);
  });

  it('killed after COMMIT reached the database but before the answer left: the retry returns that booking', async () => {
    const { consultant, body } = await freshSlot('2031-04-02');
    const key = randomUUID();
    // A synchronous standby that never comes makes every COMMIT wait after it is written to the
    // WAL: the booking is committed locally, but its answer is held back. That is the moment.
    await s.sql(`ALTER SYSTEM SET synchronous_standby_names = 'never_connects'`);
    await s.sql('SELECT pg_reload_conf()');
    let reset = false;
    const resetCommitWait = async () => {
      if (reset) return;
      reset = true;
      await s.sql('ALTER SYSTEM RESET synchronous_standby_names');
      await s.sql('SELECT pg_reload_conf()');
    };
    try {
      const pending = s.api
        .as(user.token)
        .post('/bookings', body, { 'idempotency-key': key })
        .catch((error: unknown) => networkCode(error));
      const backend = await eventually('the booking to wait in COMMIT', async () => {
        const rows = await s.sql<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'SyncRep'`,
        );
        return rows[0]?.pid;
      });
      s.server.child.kill('SIGKILL');
      const first = await pending;
      // The client never got an answer: a network error code, not an HTTP answer.
      expect(first).toEqual(expect.any(String));
      // Let the commit finish; PostgreSQL keeps it (it was already in the WAL).
      await resetCommitWait();
      await eventually('the orphaned backend to finish', async () =>
        (await s.sql('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [backend])).length ? undefined : true,
      );
    } finally {
      await resetCommitWait();
    }
    const rows = await bookingsOf(consultant);
    // The booking committed though its answer was lost.
    expect(rows).toHaveLength(1);

    await restart();
    const retry = await s.api.as(user.token).post('/bookings', body, { 'idempotency-key': key });
    expect(retry).toHaveStatus(201);
    // The retry returns the committed booking, not a new one.
    expect(retry.body.id).toBe(rows[0].id);
    // Still exactly one booking.
    expect(await bookingsOf(consultant)).toEqual(rows);
    // A different key is a new request, and the slot is taken by the first.
    assertProblem(await s.api.as(user.token).post('/bookings', body, { 'idempotency-key': randomUUID() }), [409]);
  });

  it('killed before the commit: nothing is stored, and the same key books once the orphaned transaction is gone', async () => {
    const { consultant, body } = await freshSlot('2031-04-05');
    const key = randomUUID();
    // Hold the consultant's row so the booking is stuck inside its transaction.
    const locker = new Client({ connectionString: s.dbUrl });
    await locker.connect();
    let released = false;
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT id FROM consultants WHERE id = $1 FOR UPDATE', [consultant.id]);
      const pending = s.api
        .as(user.token)
        .post('/bookings', body, { 'idempotency-key': key })
        .catch((error: unknown) => networkCode(error));
      await eventually('the booking to wait on the lock', async () => {
        const rows = await s.sql(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%change_booking%'`,
        );
        return rows.length ? true : undefined;
      });
      s.server.child.kill('SIGKILL');
      // The client lost its connection: a network error code, not an HTTP answer.
      expect(await pending).toEqual(expect.any(String));
      await restart();
      // The dead process's backend still waits on the lock, holding the key's advisory lock:
      // PostgreSQL notices a vanished client only when it next writes to it.
      const early = await s.api.as(user.token).post('/bookings', body, { 'idempotency-key': key });
      console.log(`# retry while the orphaned transaction waits: ${early.status} ${early.body?.type ?? ''}`);
      assertProblem(early, [409]);
      await locker.query('ROLLBACK');
      released = true;
      const retry = await eventually('the orphaned transaction to end and the retry to book', async () => {
        const res = await s.api.as(user.token).post('/bookings', body, { 'idempotency-key': key });
        return res.status === 409 && res.body.type === '/problems/idempotency-in-flight' ? undefined : res;
      });
      expect(retry).toHaveStatus(201);
      // Exactly one booking, the retry's.
      expect(await bookingsOf(consultant)).toEqual([{ id: retry.body.id, status: 'confirmed' }]);
    } finally {
      if (!released) await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
  });
});
