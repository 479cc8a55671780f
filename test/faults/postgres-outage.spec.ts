import { Client } from 'pg';
import { eventually, pause } from '../support/eventually';
import {
  assertProblem,
  createConsultant,
  createUser,
  halfHour,
  openEveryDay,
  type Created,
} from '../support/factories';
import { describeWithPostgres, networkCode, useServiceOnPostgres } from '../support/service';

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

/**
 * PostgreSQL goes away under load (a clean fast shutdown, then a crash) and comes back: while it
 * is gone every request is a 503 problem (never a 500, never a dropped connection) and /health
 * is a 503; once it is back the service heals by itself, without a restart.
 */
describeWithPostgres('faults: PostgreSQL outage')('faults: PostgreSQL stopped under load', () => {
  const s = useServiceOnPostgres();

  /** Six clients loop over a public read and a booking of a fresh half hour until told to stop. */
  function load(consultant: Created, users: Created[], phase: () => Phase) {
    let next = 0;
    const outcomes: Outcome[] = [];
    let running = true;
    const worker = async (w: number) => {
      while (running) {
        const op: Outcome['op'] = w % 2 === 0 ? 'read' : 'book';
        const at = phase();
        try {
          const res =
            op === 'read'
              ? await s.api.get(`/consultants/${consultant.id}`)
              : await s.api
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
        await pause(5);
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

  /** How many answers of `op` came in `phase`. */
  const answered = (outcomes: Outcome[], phase: Phase, op: Outcome['op']) =>
    outcomes.filter((o) => o.phase === phase && o.endPhase === phase && o.op === op).length;

  async function outage(breakIt: () => Promise<void>, label: string) {
    // A consultant and users of its own per outage, so the row counts below are this outage's alone.
    const consultant = await createConsultant(s.api);
    await openEveryDay(s.api, consultant);
    const users = [await createUser(s.api), await createUser(s.api), await createUser(s.api)];
    let phase: Phase = 'up';
    const run = load(consultant, users, () => phase);
    // A booking held inside its transaction by our lock on the consultant's row: in flight at the break.
    const locker = new Client({ connectionString: s.dbUrl });
    // It dies with the server: that is the point.
    locker.on('error', () => undefined);
    await locker.connect();
    let stuck: Promise<Outcome> | undefined;
    try {
      // Both reads and bookings answered while all is well.
      await eventually('reads and bookings answered before the outage', () =>
        answered(run.outcomes, 'up', 'read') >= 10 && answered(run.outcomes, 'up', 'book') >= 10 ? true : undefined,
      );
      await locker.query('BEGIN');
      await locker.query('SELECT id FROM consultants WHERE id = $1 FOR UPDATE', [consultant.id]);
      stuck = s.api
        .as(users[0].token)
        .post('/bookings', { consultant_id: consultant.id, ...halfHour(10_000) })
        .then(
          (res): Outcome => ({ phase: 'stopping', op: 'book', status: res.status, body: res.body }),
          (error: unknown): Outcome => ({ phase: 'stopping', op: 'book', error: networkCode(error) }),
        );
      await eventually('the held booking to wait on the lock', async () =>
        (await s.sql(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))
          .length
          ? true
          : undefined,
      );
      phase = 'stopping';
      await breakIt();
      phase = 'down';
      const health = await eventually('/health to say the database is down', async () => {
        const res = await s.api.get('/health');
        return res.status === 503 ? res : undefined;
      });
      assertProblem(health, 503);
      expect(health.body).toMatchObject({ database: 'down' });
      await eventually('reads and bookings answered during the outage', () =>
        answered(run.outcomes, 'down', 'read') >= 10 && answered(run.outcomes, 'down', 'book') >= 10 ? true : undefined,
      );
      // Still down.
      expect(await s.api.get('/health')).toHaveStatus(503);

      phase = 'recovering';
      await s.pg.start();
      await eventually('/health to answer 200 again', async () =>
        (await s.api.get('/health')).status === 200 ? true : undefined,
      );
      phase = 'recovered';
      await eventually('reads and bookings answered after recovery', () =>
        answered(run.outcomes, 'recovered', 'read') >= 10 && answered(run.outcomes, 'recovered', 'book') >= 10
          ? true
          : undefined,
      );
    } finally {
      // However the outage went, the load stops, so a failure cannot leave the file hanging.
      await run.finish();
      await locker.end().catch(() => undefined);
    }
    const outcomes = run.outcomes;
    console.log(`# ${label}: ${summary(outcomes)}`);

    // Every request got an HTTP answer (the summary of all is logged above).
    expect(outcomes.filter((o) => o.error)).toEqual([]);
    // Requests in flight at the moment of the break, the held booking among them, are judged apart.
    const inFlight = (o: Outcome) => o.phase === 'stopping' || (o.phase === 'up' && o.endPhase !== 'up');
    const atBreak = [await stuck!, ...outcomes.filter(inFlight)];
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
    for (const o of down) {
      // During the outage (the whole outcome is shown on a failure).
      expect(o).toMatchObject({ status: 503 });
      expect(o.contentType ?? '').toMatch(/^application\/problem\+json/);
      expect(o.body.type).toBe('/problems/database-unavailable');
      // A 503 carries Retry-After.
      expect(Number(o.retryAfter)).toBeGreaterThan(0);
    }
    const recovered = outcomes.filter((o) => o.phase === 'recovered');
    // All well again after recovery, without a restart.
    expect(recovered.filter((o) => o.status !== 200 && o.status !== 201).map((o) => `${o.op} ${o.status}`)).toEqual([]);
    // The service never exited.
    expect(s.server.child.exitCode).toBeNull();

    // Every booking the clients were told about exists; the database holds no booking that was
    // answered with a 503 except (at most) those in flight at the moment of the break.
    const told = outcomes.filter((o) => o.op === 'book' && o.status === 201).map((o) => o.body.id as number);
    const rows = await s.sql<{ id: number }>('SELECT id FROM bookings WHERE consultant_id = $1', [consultant.id]);
    const stored = new Set(rows.map((r) => r.id));
    // Every 201 booking is stored.
    expect(told.filter((id) => !stored.has(id))).toEqual([]);
    // No booking appeared from the outage beyond those in flight and not told 201 (rows stored less bookings told).
    const untoldAtBreak = atBreak.filter((o) => o.op === 'book' && o.status !== 201).length;
    expect(rows.length - told.length).toBeLessThanOrEqual(untoldAtBreak);
    // Regression: a transaction whose connection dies between two of its statements fails with
    // TypeORM's QueryRunner(Provider)AlreadyReleasedError, which used to be a 500 instead of a 503.
    // Requests in flight when the database went away get a 503 too (or their answer), never a 500.
    const bad = atBreak.filter(
      (o) => o.error !== undefined || (o.status !== 503 && o.status !== 200 && o.status !== 201),
    );
    expect(bad.map((o) => `${label}: ${o.op} ${o.status ?? o.error} ${o.body?.type ?? ''}`)).toEqual([]);
    // The booking held at the break is one of them: a 503.
    expect(await stuck).toMatchObject({ status: 503 });
    // An outage is logged as a warning (level 40), never as an error of the code (level 50).
    expect(
      s.server
        .output()
        .split('\n')
        .filter((line) => line.includes('"level":50')),
    ).toEqual([]);
    const res = await s.api.as(users[0].token).post('/bookings', { consultant_id: consultant.id, ...halfHour(20_000) });
    expect(res).toHaveStatus(201);
  }

  it('fast shutdown: 503s and a failing /health while it is down, then heals by itself', async () => {
    await outage(() => s.pg.stop(), 'fast shutdown');
  });

  it('crash (SIGKILL of postgres and its backends): the same, across crash recovery', async () => {
    await outage(() => s.pg.kill(), 'crash');
  });
});
