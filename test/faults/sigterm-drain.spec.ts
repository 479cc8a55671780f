import { once } from 'node:events';
import { Client } from 'pg';
import { eventually, pause } from '../support/eventually';
import { createConsultant, createUser, halfHour, openEveryDay, type Created } from '../support/factories';
import { describeWithPostgres, networkCode, useServiceOnPostgres } from '../support/service';

interface Outcome {
  op: string;
  /** Sent before the SIGTERM? */
  before: boolean;
  status?: number;
  error?: string;
  complete?: boolean;
  kind?: string;
  /** Sent after the service was first seen refusing a new connection. */
  afterRefusal?: boolean;
}

/**
 * SIGTERM while requests are in flight (bookings held inside their transactions by a row lock,
 * and a stream of reads): every request that had started gets its whole answer, nothing is
 * reset, new connections are refused, the database is closed and the process exits 0.
 */
describeWithPostgres('faults: SIGTERM drain')('faults: SIGTERM under load', () => {
  const s = useServiceOnPostgres();

  it('finishes what is in flight, refuses what is new, answers draining requests as problems, and exits 0', async () => {
    const consultant = await createConsultant(s.api);
    await openEveryDay(s.api, consultant);
    const users: Created[] = [await createUser(s.api), await createUser(s.api)];
    const outcomes: Outcome[] = [];
    let signalled = false;
    let refusing = false;
    const record = async (
      op: string,
      call: () => Promise<{ status: number; text: string; headers: Headers; body: any }>,
    ) => {
      const o: Outcome = { op, before: !signalled, afterRefusal: refusing };
      try {
        const res = await call();
        o.status = res.status;
        // A complete answer: the body arrived whole (fetch reads it to the end) and parses.
        o.complete = res.text.length > 0 && JSON.parse(res.text) !== undefined;
        if (res.status >= 400)
          o.kind = `${res.headers.get('content-type')} ${res.body?.type ?? res.body?.code ?? ''} ${res.text.slice(0, 120)}`;
      } catch (error) {
        o.error = networkCode(error);
        if (o.error === 'ECONNREFUSED') refusing = true;
      }
      outcomes.push(o);
      return o;
    };

    const locker = new Client({ connectionString: s.dbUrl });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT id FROM consultants WHERE id = $1 FOR UPDATE', [consultant.id]);
    let lockHeld = true;
    let reading = true;
    try {
      // Eight bookings that will wait inside their transactions, behind our lock.
      const bookings = Array.from({ length: 8 }, (_, n) =>
        record('book', () =>
          s.api.as(users[n % 2].token).post('/bookings', { consultant_id: consultant.id, ...halfHour(n) }),
        ),
      );
      // Reads, on and on, from four clients, until the process is gone.
      const readers = Array.from({ length: 4 }, async (_, r) => {
        while (reading) {
          const o = await record(r % 2 ? 'read' : 'health', () =>
            r % 2 ? s.api.get(`/consultants/${consultant.id}`) : s.api.get('/health'),
          );
          await pause(o.error === 'ECONNREFUSED' ? 25 : 5);
        }
      });
      await eventually('the bookings to wait on the consultant lock', async () => {
        const rows = await s.sql(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return rows.length >= 8 ? true : undefined;
      });
      // Every reader has kept connections open and answered before the signal.
      await eventually('reads answered on every reader', () =>
        outcomes.filter((o) => o.status === 200).length >= 8 ? true : undefined,
      );

      const exited = once(s.server.child, 'exit');
      signalled = true;
      s.server.child.kill('SIGTERM');
      // A new connection is refused (or told 503) once the drain has begun.
      const late = await eventually('a new connection to be refused', () =>
        fetch(`${s.server.url}/health`, { headers: { connection: 'close' } }).then(
          (res) => (res.status === 503 ? `HTTP ${res.status}` : undefined),
          (error: unknown) => (networkCode(error) === 'ECONNREFUSED' ? 'ECONNREFUSED' : undefined),
        ),
      );
      refusing = true;
      // It is still waiting for the bookings behind our lock.
      expect(s.server.child.exitCode).toBeNull();
      await locker.query('ROLLBACK');
      lockHeld = false;
      const booked = await Promise.all(bookings);
      const [code, signal] = (await exited) as [number | null, string | null];
      reading = false;
      await Promise.all(readers);

      const tally: Record<string, number> = {};
      for (const o of outcomes) {
        const key = `${o.before ? 'before' : 'after'} ${o.op} ${o.status ?? o.error}`;
        tally[key] = (tally[key] ?? 0) + 1;
      }
      for (const kind of new Set(
        outcomes.filter((o) => o.kind).map((o) => `${o.before ? 'before' : 'after'} ${o.op} ${o.status}: ${o.kind}`),
      ))
        console.log(`# ${kind}`);
      console.log(`# exit ${code ?? signal}; new connection during drain: ${late}; ${JSON.stringify(tally)}`);

      // Exit code 0 (so no signal); the service's output says why not.
      expect({ code, signal, output: s.server.output() }).toEqual({
        code: 0,
        signal: null,
        output: expect.any(String),
      });
      // Every booking in flight completed.
      expect(booked.map((o) => o.status)).toEqual(Array(8).fill(201));
      expect(booked.filter((o) => !o.complete)).toEqual([]);
      const started = outcomes.filter((o) => o.before);
      // Every request started before SIGTERM got a whole answer.
      expect(started.filter((o) => o.error || !o.complete)).toEqual([]);
      // And a good answer: /health may already say 503 once shutdown has begun (terminus marks the
      // app as shutting down, so a load balancer stops sending it work); all else is answered normally.
      expect(
        started
          .filter((o) => o.status !== 200 && o.status !== 201 && !(o.op === 'health' && o.status === 503))
          .map((o) => `${o.op} ${o.status}`),
      ).toEqual([]);
      // Requests sent after SIGTERM are refused (or told 503 on a connection already open), never
      // cut off midway. The one exception is HTTP/1.1's keep-alive race: a request written to an
      // idle connection just as the server closes its idle connections is reset (the client cannot
      // know it was not processed; fetch does not retry it). See RELIABILITY.md. The server closes
      // them when it stops listening, so a reset of a request sent once a refusal had been seen is
      // still a failure.
      const afterwards = outcomes.filter((o) => !o.before);
      const keepAliveRace = (o: Outcome) =>
        (o.error === 'ECONNRESET' || o.error === 'UND_ERR_SOCKET') && !o.afterRefusal;
      // After SIGTERM nothing is reset.
      expect(
        afterwards
          .filter((o) => o.error && o.error !== 'ECONNREFUSED' && !keepAliveRace(o))
          .map((o) => `${o.op} ${o.error}${o.afterRefusal ? ' after a refusal' : ''}`),
      ).toEqual([]);
      expect(afterwards.filter((o) => o.status !== undefined && !o.complete)).toEqual([]);
      // Regression: while draining, Fastify itself used to answer requests arriving on open
      // connections with its own plain-JSON 503, bypassing the problem+json filter.
      const drainAnswers = afterwards.filter((o) => o.status === 503);
      // Some requests were answered while draining.
      expect(drainAnswers.length).toBeGreaterThan(0);
      expect(drainAnswers.filter((o) => !/application\/problem\+json/.test(o.kind ?? '')).map((o) => o.kind)).toEqual(
        [],
      );
      const [{ n }] = await s.sql<{ n: number }>('SELECT count(*)::int AS n FROM bookings WHERE consultant_id = $1', [
        consultant.id,
      ]);
      // The eight bookings are stored.
      expect(n).toBe(8);
      const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await eventually("the service's database connections to close", async () => {
        const rows = await s.sql(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> ${lockerPid} AND backend_type = 'client backend'`,
        );
        return rows.length === 0 ? true : undefined;
      });
    } finally {
      reading = false;
      if (lockHeld) await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
  });
});
