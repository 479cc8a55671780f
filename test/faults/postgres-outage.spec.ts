import type { PostgresServer } from '../support/postgres-server';
import { skipWithoutPostgres } from '../support/postgres-server';
import type { ServerProcess } from '../support/server-process';
import {
  Api,
  assertProblem,
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

type Phase = 'up' | 'stopping' | 'down' | 'recovering' | 'recovered';

interface Outcome {
  phase: Phase;
  /** The phase when the answer came. */
  endPhase?: Phase;
  op: 'read' | 'book';
  status?: number;
  error?: string;
  body?: any;
  retryAfter?: string | null;
  contentType?: string | null;
}

// Skipped loudly (skipWithoutPostgres warns), and counted: the tally shows skipped tests rather than nothing at all.
const describeWithPostgres = skipWithoutPostgres('faults: PostgreSQL outage') ? describe.skip : describe;

/**
 * PostgreSQL goes away under load (a clean fast shutdown, then a crash) and comes back: while it
 * is gone every request is a 503 problem (never a 500, never a dropped connection) and /health
 * is a 503; once it is back the service heals by itself, without a restart.
 */
describeWithPostgres('faults: PostgreSQL stopped under load', () => {
  let pg: PostgresServer;
  let dbUrl: string;
  let server: ServerProcess;
  let api: Api;
  let consultant: Party;
  let users: Party[];
  let next = 0;
  const atBreak: (Outcome & { label: string })[] = [];

  beforeAll(async () => {
    ({ pg, url: dbUrl } = await privateDatabase());
    server = await startService({ DATABASE_URL: dbUrl });
    api = new Api(server.url);
    users = [await createUser(api), await createUser(api), await createUser(api)];
  });
  afterAll(async () => {
    if (server) await killService(server);
    if (pg) await pg.destroy();
  });

  /** Six clients loop over a public read and a booking of a fresh half hour until told to stop. */
  function load(phase: () => Phase) {
    const outcomes: Outcome[] = [];
    let running = true;
    const worker = async (w: number) => {
      while (running) {
        const op: Outcome['op'] = w % 2 === 0 ? 'read' : 'book';
        const at = phase();
        try {
          const res =
            op === 'read'
              ? await api.get(`/consultants/${consultant.id}`)
              : await api
                  .as(users[w % users.length].token)
                  .post('/bookings', { consultant_id: consultant.id, ...halfHour(next++) });
          outcomes.push({
            phase: at,
            endPhase: phase(),
            op,
            status: res.status,
            body: res.body,
            retryAfter: res.headers.get('retry-after'),
            contentType: res.headers.get('content-type'),
          });
        } catch (error) {
          outcomes.push({ phase: at, endPhase: phase(), op, error: networkCode(error) });
        }
        await sleep(5);
      }
    };
    const workers = Array.from({ length: 6 }, (_, w) => worker(w));
    return {
      outcomes,
      async finish() {
        running = false;
        await Promise.all(workers);
        return outcomes;
      },
    };
  }

  const summary = (outcomes: Outcome[]) => {
    const by: Record<string, number> = {};
    for (const o of outcomes)
      by[`${o.phase} ${o.op} ${o.status ?? o.error}`] = (by[`${o.phase} ${o.op} ${o.status ?? o.error}`] ?? 0) + 1;
    return JSON.stringify(by);
  };

  async function outage(breakIt: () => Promise<void>, label: string) {
    // A consultant of its own per outage, so the row count below is this outage's alone.
    consultant = await createConsultant(api);
    await openEveryDay(api, consultant);
    let phase: Phase = 'up';
    const run = load(() => phase);
    let healedIn: number | undefined;
    try {
      await sleep(700);
      phase = 'stopping';
      await breakIt();
      phase = 'down';
      await sleep(300);
      const health = await api.get('/health');
      assertProblem(health, [503]);
      expect(health.body).toMatchObject({ database: 'down' });
      await sleep(1500);
      const healthStill = await api.get('/health');
      // Still down.
      expect(healthStill).toHaveStatus(503);

      phase = 'recovering';
      const restarted = Date.now();
      await pg.start();
      await waitFor(
        '/health to answer 200 again',
        async () => ((await api.get('/health')).status === 200 ? true : undefined),
        20_000,
        100,
      );
      healedIn = Date.now() - restarted;
      phase = 'recovered';
      await sleep(700);
    } finally {
      // However the outage went, the load stops, so a failure cannot leave the file hanging.
      await run.finish();
    }
    const outcomes = run.outcomes;
    console.log(`# ${label}: healed ${healedIn ?? '?'} ms after PostgreSQL was back; ${summary(outcomes)}`);

    // Every request got an HTTP answer (the summary of all is logged above).
    expect(outcomes.filter((o) => o.error)).toEqual([]);
    // Requests in flight at the moment of the break are judged apart (see the last test).
    const inFlight = (o: Outcome) => o.phase === 'stopping' || (o.phase === 'up' && o.endPhase !== 'up');
    atBreak.push(...outcomes.filter(inFlight).map((o) => ({ ...o, label })));
    // Never a 500.
    expect(outcomes.filter((o) => o.status === 500 && !inFlight(o))).toEqual([]);
    expect(outcomes.map((o) => o.phase)).toContain('up');
    // All well before the outage.
    expect(
      outcomes
        .filter((o) => o.phase === 'up' && o.endPhase === 'up' && o.status !== 200 && o.status !== 201)
        .map((o) => o.status),
    ).toEqual([]);
    const down = outcomes.filter((o) => o.phase === 'down');
    // Load went on during the outage.
    expect(down.length).toBeGreaterThan(10);
    for (const o of down) {
      // During the outage (the whole outcome is shown on a failure).
      expect(o).toMatchObject({ status: 503 });
      expect(o.contentType ?? '').toMatch(/^application\/problem\+json/);
      expect(o.body.type).toBe('/problems/database-unavailable');
      // A 503 carries Retry-After.
      expect(Number(o.retryAfter)).toBeGreaterThan(0);
    }
    const recovered = outcomes.filter((o) => o.phase === 'recovered');
    expect(recovered.length).toBeGreaterThan(10);
    // All well again after recovery, without a restart.
    expect(recovered.filter((o) => o.status !== 200 && o.status !== 201).map((o) => `${o.op} ${o.status}`)).toEqual([]);
    // The service never exited.
    expect(server.child.exitCode).toBeNull();

    // Every booking the clients were told about exists; the database holds no booking that was
    // answered with a 503 except (at most) those in flight at the moment of the break.
    const told = outcomes.filter((o) => o.op === 'book' && o.status === 201).map((o) => o.body.id as number);
    const rows = await pg.query<{ id: number }>(
      'SELECT id FROM bookings WHERE consultant_id = $1',
      [consultant.id],
      new URL(dbUrl).pathname.slice(1),
    );
    const stored = new Set(rows.map((r) => r.id));
    // Every 201 booking is stored.
    expect(told.filter((id) => !stored.has(id))).toEqual([]);
    const inFlightAtBreak = outcomes.filter((o) => inFlight(o) && o.op === 'book').length;
    // No booking appeared from the outage beyond those in flight (rows stored less bookings told).
    expect(rows.length - told.length).toBeLessThanOrEqual(inFlightAtBreak + 3);
    return outcomes;
  }

  it('fast shutdown: 503s and a failing /health while it is down, then heals by itself', async () => {
    await outage(() => pg.stop(), 'fast shutdown');
    const res = await api.as(users[0].token).post('/bookings', { consultant_id: consultant.id, ...halfHour(next++) });
    expect(res).toHaveStatus(201);
  });

  it('crash (SIGKILL of postgres and its backends): the same, across crash recovery', async () => {
    await outage(() => pg.kill(), 'crash');
    const res = await api.as(users[1].token).post('/bookings', { consultant_id: consultant.id, ...halfHour(next++) });
    expect(res).toHaveStatus(201);
  });

  // Regression: a transaction whose connection dies between two of its statements fails with
  // TypeORM's QueryRunner(Provider)AlreadyReleasedError, which used to be a 500 instead of a 503.
  it('requests in flight when the database went away get a 503 too, never a 500', () => {
    // Some requests were in flight at a break.
    expect(atBreak.length).toBeGreaterThan(0);
    const bad = atBreak.filter(
      (o) => o.error !== undefined || (o.status !== 503 && o.status !== 200 && o.status !== 201),
    );
    expect(bad.map((o) => `${o.label}: ${o.op} ${o.status ?? o.error} ${o.body?.type ?? ''}`)).toEqual([]);
    // An outage is logged as a warning (level 40), never as an error of the code (level 50).
    const errors = server
      .output()
      .split('\n')
      .filter((line) => line.includes('"level":50'));
    expect(errors).toEqual([]);
  });
});
