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
  networkCode,
  type Party,
  privateDatabase,
  randomUUID,
  startService,
  waitFor,
} from './fault-kit';

// Skipped loudly (skipWithoutPostgres warns), and counted: the tally shows skipped tests rather than nothing at all.
const describeWithPostgres = skipWithoutPostgres('faults: crash after commit') ? describe.skip : describe;

/**
 * The service dies (SIGKILL) right after a booking commits. The client, not knowing whether its
 * booking went through, retries with the same Idempotency-Key on the restarted service: it must
 * get the same booking back, and the database must hold exactly one.
 */
describeWithPostgres('faults: service killed right after a booking commits', () => {
  let pg: PostgresServer;
  let dbUrl: string;
  let server: ServerProcess;
  let api: Api;
  let user: Party;

  beforeAll(async () => {
    ({ pg, url: dbUrl } = await privateDatabase());
    server = await startService({ DATABASE_URL: dbUrl });
    api = new Api(server.url);
    user = await createUser(api);
  });
  afterAll(async () => {
    if (server) await killService(server);
    if (pg) await pg.destroy();
  });

  const sql = <T = any>(text: string, params: unknown[] = []) =>
    pg.query<T>(text, params, new URL(dbUrl).pathname.slice(1));
  const bookingsOf = (consultant: Party) =>
    sql<{ id: number; status: string }>('SELECT id, status FROM bookings WHERE consultant_id = $1 ORDER BY id', [
      consultant.id,
    ]);

  async function restart(): Promise<void> {
    await killService(server);
    server = await startService({ DATABASE_URL: dbUrl });
    api = new Api(server.url);
  }

  async function freshSlot(date: string) {
    const consultant = await createConsultant(api);
    const slot = await createSlot(api, consultant, date, '10:00', '11:00');
    return { consultant, body: { availability_id: slot.id } };
  }

  it('killed after the 201 went out: the retry replays the same booking', async () => {
    const { consultant, body } = await freshSlot('2031-04-01');
    const key = randomUUID();
    const first = await api.as(user.token).post('/bookings', body, { 'idempotency-key': key });
    expect(first).toHaveStatus(201);
    await restart();
    const retry = await api.as(user.token).post('/bookings', body, { 'idempotency-key': key });
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
    await sql(`ALTER SYSTEM SET synchronous_standby_names = 'never_connects'`);
    await sql('SELECT pg_reload_conf()');
    let reset = false;
    const resetCommitWait = async () => {
      if (reset) return;
      reset = true;
      await sql('ALTER SYSTEM RESET synchronous_standby_names');
      await sql('SELECT pg_reload_conf()');
    };
    try {
      const pending = api
        .as(user.token)
        .post('/bookings', body, { 'idempotency-key': key })
        .catch((error: unknown) => networkCode(error));
      const backend = await waitFor('the booking to wait in COMMIT', async () => {
        const rows = await sql<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'SyncRep'`,
        );
        return rows[0]?.pid;
      });
      server.child.kill('SIGKILL');
      const first = await pending;
      // The client never got an answer: a network error code, not an HTTP answer.
      expect(first).toEqual(expect.any(String));
      // Let the commit finish; PostgreSQL keeps it (it was already in the WAL).
      await resetCommitWait();
      await waitFor('the orphaned backend to finish', async () =>
        (await sql('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [backend])).length ? undefined : true,
      );
    } finally {
      await resetCommitWait();
    }
    const rows = await bookingsOf(consultant);
    // The booking committed though its answer was lost.
    expect(rows).toHaveLength(1);

    await restart();
    const retry = await api.as(user.token).post('/bookings', body, { 'idempotency-key': key });
    expect(retry).toHaveStatus(201);
    // The retry returns the committed booking, not a new one.
    expect(retry.body.id).toBe(rows[0].id);
    // Still exactly one booking.
    expect(await bookingsOf(consultant)).toEqual(rows);
    // A different key is a new request, and the slot is taken by the first.
    assertProblem(await api.as(user.token).post('/bookings', body, { 'idempotency-key': randomUUID() }), [409]);
  });

  it('killed before the commit: nothing is stored, and the same key books once the orphaned transaction is gone', async () => {
    const { consultant, body } = await freshSlot('2031-04-05');
    const key = randomUUID();
    // Hold the consultant's row so the booking is stuck inside its transaction.
    const locker = new Client({ connectionString: dbUrl });
    await locker.connect();
    let released = false;
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT id FROM consultants WHERE id = $1 FOR UPDATE', [consultant.id]);
      const pending = api
        .as(user.token)
        .post('/bookings', body, { 'idempotency-key': key })
        .catch((error: unknown) => networkCode(error));
      await waitFor('the booking to wait on the lock', async () => {
        const rows = await sql(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%change_booking%'`,
        );
        return rows.length ? true : undefined;
      });
      server.child.kill('SIGKILL');
      // The client lost its connection: a network error code, not an HTTP answer.
      expect(await pending).toEqual(expect.any(String));
      await restart();
      // The dead process's backend still waits on the lock, holding the key's advisory lock:
      // PostgreSQL notices a vanished client only when it next writes to it.
      const early = await api.as(user.token).post('/bookings', body, { 'idempotency-key': key });
      console.log(`# retry while the orphaned transaction waits: ${early.status} ${early.body?.type ?? ''}`);
      assertProblem(early, [409]);
      await locker.query('ROLLBACK');
      released = true;
      const retry = await waitFor(
        'the orphaned transaction to end and the retry to book',
        async () => {
          const res = await api.as(user.token).post('/bookings', body, { 'idempotency-key': key });
          return res.status === 409 && res.body.type === '/problems/idempotency-in-flight' ? undefined : res;
        },
        10_000,
        100,
      );
      expect(retry).toHaveStatus(201);
      // Exactly one booking, the retry's.
      expect(await bookingsOf(consultant)).toEqual([{ id: retry.body.id, status: 'confirmed' }]);
    } finally {
      if (!released) await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
  });
});
