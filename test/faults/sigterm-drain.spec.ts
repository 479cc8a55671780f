import { once } from 'node:events';
import { Client } from 'pg';
import type { PostgresServer } from '../support/postgres-server';
import { skipWithoutPostgres } from '../support/postgres-server';
import type { ServerProcess } from '../support/server-process';
import {
  Api,
  createConsultant,
  createUser,
  halfHour,
  killService,
  networkCode,
  openEveryDay,
  type Party,
  privateDatabase,
  sleep,
  startService,
  waitFor,
} from './fault-kit';

interface Outcome {
  op: string;
  /** Sent before the SIGTERM? */
  before: boolean;
  status?: number;
  error?: string;
  complete?: boolean;
  kind?: string;
  sentAt?: number;
  doneAt?: number;
}

// Skipped loudly (skipWithoutPostgres warns), and counted: the tally shows skipped tests rather than nothing at all.
const describeWithPostgres = skipWithoutPostgres('faults: SIGTERM drain') ? describe.skip : describe;

/**
 * SIGTERM while requests are in flight (bookings held inside their transactions by a row lock,
 * and a stream of reads): every request that had started gets its whole answer, nothing is
 * reset, new connections are refused, the database is closed and the process exits 0.
 */
describeWithPostgres('faults: SIGTERM under load', () => {
  let pg: PostgresServer;
  let dbUrl: string;
  let server: ServerProcess;
  let api: Api;
  let consultant: Party;
  let users: Party[];
  const drained: Outcome[] = [];

  beforeAll(async () => {
    ({ pg, url: dbUrl } = await privateDatabase());
    server = await startService({ DATABASE_URL: dbUrl });
    api = new Api(server.url);
    consultant = await createConsultant(api);
    await openEveryDay(api, consultant);
    users = [await createUser(api), await createUser(api)];
  });
  afterAll(async () => {
    if (server) await killService(server);
    if (pg) await pg.destroy();
  });

  it('finishes what is in flight, refuses what is new, and exits 0', async () => {
    const sql = <T = any>(text: string) => pg.query<T>(text, [], new URL(dbUrl).pathname.slice(1));
    const outcomes: Outcome[] = [];
    let signalled = false;
    const record = async (
      op: string,
      call: () => Promise<{ status: number; text: string; headers: Headers; body: any }>,
    ) => {
      const o: Outcome = { op, before: !signalled, sentAt: Date.now() };
      try {
        const res = await call();
        o.status = res.status;
        // A complete answer: the body arrived whole (fetch reads it to the end) and parses.
        o.complete = res.text.length > 0 && JSON.parse(res.text) !== undefined;
        if (res.status >= 400)
          o.kind = `${res.headers.get('content-type')} ${res.body?.type ?? res.body?.code ?? ''} ${res.text.slice(0, 120)}`;
      } catch (error) {
        o.error = networkCode(error);
      }
      o.doneAt = Date.now();
      outcomes.push(o);
      return o;
    };

    const locker = new Client({ connectionString: dbUrl });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT id FROM consultants WHERE id = $1 FOR UPDATE', [consultant.id]);
    let lockHeld = true;
    let reading = true;
    try {
      // Eight bookings that will wait inside their transactions, behind our lock.
      const bookings = Array.from({ length: 8 }, (_, n) =>
        record('book', () =>
          api.as(users[n % 2].token).post('/bookings', { consultant_id: consultant.id, ...halfHour(n) }),
        ),
      );
      // Reads, on and on, from four clients, until the process is gone.
      const readers = Array.from({ length: 4 }, async (_, r) => {
        while (reading) {
          const o = await record(r % 2 ? 'read' : 'health', () =>
            r % 2 ? api.get(`/consultants/${consultant.id}`) : api.get('/health'),
          );
          if (o.error === 'ECONNREFUSED') await sleep(20);
          await sleep(5);
        }
      });
      await waitFor('the bookings to wait on the consultant lock', async () => {
        const rows = await sql(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return rows.length >= 8 ? true : undefined;
      });
      await sleep(200);

      const exited = once(server.child, 'exit');
      signalled = true;
      const signalledAt = Date.now();
      server.child.kill('SIGTERM');
      await sleep(700);
      // It waits for the bookings in flight.
      expect(server.child.exitCode).toBeNull();
      // A new connection is refused now.
      const late = await fetch(`${server.url}/health`, { headers: { connection: 'close' } }).then(
        (res) => `HTTP ${res.status}`,
        (error: unknown) => networkCode(error),
      );
      await locker.query('ROLLBACK');
      lockHeld = false;
      const booked = await Promise.all(bookings);
      const [code, signal] = (await exited) as [number | null, string | null];
      const exitMs = Date.now() - signalledAt;
      reading = false;
      await Promise.all(readers);

      const tally: Record<string, number> = {};
      for (const o of outcomes)
        tally[`${o.before ? 'before' : 'after'} ${o.op} ${o.status ?? o.error}`] =
          (tally[`${o.before ? 'before' : 'after'} ${o.op} ${o.status ?? o.error}`] ?? 0) + 1;
      for (const kind of new Set(
        outcomes.filter((o) => o.kind).map((o) => `${o.before ? 'before' : 'after'} ${o.op} ${o.status}: ${o.kind}`),
      ))
        console.log(`# ${kind}`);
      if (process.env.FAULT_DEBUG)
        for (const o of outcomes.filter((x) => x.error !== 'ECONNREFUSED' && x.status !== 200 && x.status !== 201))
          console.log(
            `# ${o.op} ${o.status ?? o.error} sent +${o.sentAt! - signalledAt} done +${o.doneAt! - signalledAt}`,
          );
      drained.push(...outcomes);
      console.log(
        `# exit ${code ?? signal} ${exitMs} ms after SIGTERM; new connection during drain: ${late}; ${JSON.stringify(tally)}`,
      );

      // Exit code 0 (so no signal); the service's output says why not.
      expect({ code, signal, output: server.output() }).toEqual({ code: 0, signal: null, output: expect.any(String) });
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
      // No new work is accepted while draining.
      expect(late).toMatch(/^ECONNREFUSED$|^HTTP 503$/);
      // Requests sent after SIGTERM are refused (or told 503 on a connection already open), never
      // cut off midway. The one exception is HTTP/1.1's keep-alive race: a request written to an
      // idle connection in the very milliseconds the server closes its idle connections is reset
      // (the client cannot know it was not processed; fetch does not retry it). See RELIABILITY.md.
      // Those milliseconds come later on a busy machine: with two Jest workers they came ~190 ms
      // after the signal, so the window is 500 ms; a reset after it is still a failure.
      const afterwards = outcomes.filter((o) => !o.before);
      const keepAliveRace = (o: Outcome) =>
        (o.error === 'ECONNRESET' || o.error === 'UND_ERR_SOCKET') && o.sentAt! - signalledAt < 500;
      // After SIGTERM nothing is reset.
      expect(
        afterwards
          .filter((o) => o.error && o.error !== 'ECONNREFUSED' && !keepAliveRace(o))
          .map((o) => `${o.op} ${o.error} +${o.sentAt! - signalledAt} ms`),
      ).toEqual([]);
      expect(afterwards.filter((o) => o.status !== undefined && !o.complete)).toEqual([]);
      const [{ n }] = await pg.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM bookings WHERE consultant_id = $1',
        [consultant.id],
        new URL(dbUrl).pathname.slice(1),
      );
      // The eight bookings are stored.
      expect(n).toBe(8);
      const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await waitFor(
        "the service's database connections to close",
        async () => {
          const rows = await sql(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> ${lockerPid} AND backend_type = 'client backend'`,
          );
          return rows.length === 0 ? true : undefined;
        },
        3000,
      );
    } finally {
      reading = false;
      if (lockHeld) await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
  });

  // Regression: while draining, Fastify itself used to answer requests arriving on open
  // connections with its own plain-JSON 503, bypassing the problem+json filter.
  it('503s sent while draining are problem+json like every other error', () => {
    const drainAnswers = drained.filter((o) => !o.before && o.status === 503);
    // Some requests were answered while draining.
    expect(drainAnswers.length).toBeGreaterThan(0);
    expect(drainAnswers.filter((o) => !/application\/problem\+json/.test(o.kind ?? '')).map((o) => o.kind)).toEqual([]);
  });
});
