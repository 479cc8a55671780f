import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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

const skip = skipWithoutPostgres('faults: PostgreSQL outage');

/**
 * PostgreSQL goes away under load (a clean fast shutdown, then a crash) and comes back: while it
 * is gone every request is a 503 problem (never a 500, never a dropped connection) and /health
 * is a 503; once it is back the service heals by itself, without a restart.
 */
describe('faults: PostgreSQL stopped under load', { timeout: 55_000 }, () => {
  // Skipped loudly, and counted: the tally shows a skipped test rather than nothing at all.
  if (skip) return void it('runs against a private PostgreSQL server', { skip }, () => undefined);

  let pg: PostgresServer;
  let dbUrl: string;
  let server: ServerProcess;
  let api: Api;
  let consultant: Party;
  let users: Party[];
  let next = 0;
  const atBreak: (Outcome & { label: string })[] = [];

  before(async () => {
    ({ pg, url: dbUrl } = await privateDatabase());
    server = await startService({ DATABASE_URL: dbUrl });
    api = new Api(server.url);
    users = [await createUser(api), await createUser(api), await createUser(api)];
  });
  after(async () => {
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
      assert.equal(health.body.database, 'down', health.text);
      await sleep(1500);
      const healthStill = await api.get('/health');
      assert.equal(healthStill.status, 503, `still down: ${healthStill.text}`);

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

    const all = summary(outcomes);
    assert.deepEqual(
      outcomes.filter((o) => o.error),
      [],
      `every request got an HTTP answer: ${all}`,
    );
    // Requests in flight at the moment of the break are judged apart (see the last test).
    const inFlight = (o: Outcome) => o.phase === 'stopping' || (o.phase === 'up' && o.endPhase !== 'up');
    atBreak.push(...outcomes.filter(inFlight).map((o) => ({ ...o, label })));
    assert.deepEqual(
      outcomes.filter((o) => o.status === 500 && !inFlight(o)),
      [],
      `never a 500: ${all}`,
    );
    assert.ok(
      outcomes.some((o) => o.phase === 'up'),
      all,
    );
    assert.deepEqual(
      outcomes
        .filter((o) => o.phase === 'up' && o.endPhase === 'up' && o.status !== 200 && o.status !== 201)
        .map((o) => o.status),
      [],
      `all well before the outage: ${all}`,
    );
    const down = outcomes.filter((o) => o.phase === 'down');
    assert.ok(down.length > 10, `load went on during the outage: ${all}`);
    for (const o of down) {
      assert.equal(o.status, 503, `during the outage: ${JSON.stringify(o)}`);
      assert.match(o.contentType ?? '', /^application\/problem\+json/);
      assert.equal(o.body.type, '/problems/database-unavailable');
      assert.ok(Number(o.retryAfter) > 0, 'a 503 carries Retry-After');
    }
    const recovered = outcomes.filter((o) => o.phase === 'recovered');
    assert.ok(recovered.length > 10, all);
    assert.deepEqual(
      recovered.filter((o) => o.status !== 200 && o.status !== 201).map((o) => `${o.op} ${o.status}`),
      [],
      `all well again after recovery, without a restart: ${all}`,
    );
    assert.equal(server.child.exitCode, null, 'the service never exited');

    // Every booking the clients were told about exists; the database holds no booking that was
    // answered with a 503 except (at most) those in flight at the moment of the break.
    const told = outcomes.filter((o) => o.op === 'book' && o.status === 201).map((o) => o.body.id as number);
    const rows = await pg.query<{ id: number }>(
      'SELECT id FROM bookings WHERE consultant_id = $1',
      [consultant.id],
      new URL(dbUrl).pathname.slice(1),
    );
    const stored = new Set(rows.map((r) => r.id));
    assert.deepEqual(
      told.filter((id) => !stored.has(id)),
      [],
      'every 201 booking is stored',
    );
    const inFlightAtBreak = outcomes.filter((o) => inFlight(o) && o.op === 'book').length;
    assert.ok(
      rows.length - told.length <= inFlightAtBreak + 3,
      `no booking appeared from the outage beyond those in flight: ${rows.length} rows, ${told.length} told`,
    );
    return outcomes;
  }

  it('fast shutdown: 503s and a failing /health while it is down, then heals by itself', async () => {
    await outage(() => pg.stop(), 'fast shutdown');
    const res = await api.as(users[0].token).post('/bookings', { consultant_id: consultant.id, ...halfHour(next++) });
    assert.equal(res.status, 201, res.text);
  });

  it('crash (SIGKILL of postgres and its backends): the same, across crash recovery', async () => {
    await outage(() => pg.kill(), 'crash');
    const res = await api.as(users[1].token).post('/bookings', { consultant_id: consultant.id, ...halfHour(next++) });
    assert.equal(res.status, 201, res.text);
  });

  // Regression: a transaction whose connection dies between two of its statements fails with
  // TypeORM's QueryRunner(Provider)AlreadyReleasedError, which used to be a 500 instead of a 503.
  it('requests in flight when the database went away get a 503 too, never a 500', () => {
    assert.ok(atBreak.length > 0, 'some requests were in flight at a break');
    const bad = atBreak.filter(
      (o) => o.error !== undefined || (o.status !== 503 && o.status !== 200 && o.status !== 201),
    );
    assert.deepEqual(
      bad.map((o) => `${o.label}: ${o.op} ${o.status ?? o.error} ${o.body?.type ?? ''}`),
      [],
    );
    // An outage is logged as a warning (level 40), never as an error of the code (level 50).
    const errors = server
      .output()
      .split('\n')
      .filter((line) => line.includes('"level":50'));
    assert.deepEqual(errors, [], 'the service logged the outage as an error');
  });
});
