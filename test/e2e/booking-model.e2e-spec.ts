import fc from 'fast-check';
import { Client } from 'pg';
import { localDayOf, localWindowToInterval } from '../../src/scheduling';
import { createConsultant, createUser, type Created } from '../support/factories';
import { Http, type Reply } from '../support/http';
import { warnSkipping } from '../support/postgres-server';
import { serverUrl, startTestApp, type TestApp } from '../support/test-app';

/**
 * The booking engine against a plain model (issue 24): random sequences of bookings (by slot,
 * instants and local time), holds, conversions, releases, reschedules and cancellations, run in
 * parallel batches between policy, slot, rule and clock changes; after each command the database
 * is checked against the model and the rules. `MODEL_COMMANDS` (total, default 120) and
 * `MODEL_SEED` size and fix a run; `MODEL_COMMANDS=10000` is the long one (README, Tests).
 */
const TOTAL_COMMANDS = Number(process.env.MODEL_COMMANDS ?? 120);
const COMMANDS_PER_RUN = 40;
const SEED = Number(process.env.MODEL_SEED ?? 24);
const CAP = 4;
const HOLD_CAP = 2;
const DAYS = ['2031-02-03', '2031-02-04', '2031-02-05', '2031-02-06'];
const ZONES = ['Europe/Berlin', 'America/New_York'];

// PGlite runs one statement at a time, so parallel batches prove nothing there.
if (!serverUrl) warnSkipping('booking-model', 'the model-based test needs PostgreSQL; set DATABASE_URL to run it');
const describeOnPostgres = serverUrl ? describe : describe.skip;

interface Consultant extends Created {
  zone: string;
  maxPerDay: number | null;
  slots: number[];
  rules: number[];
}
interface ModelBooking {
  id: number;
  consultantId: number;
  userId: number;
  status: 'confirmed' | 'cancelled' | 'held';
  start: number;
  end: number;
  /** A hold whose expiry the clock has passed. */
  expired: boolean;
  events: Record<string, number>;
}
interface Model {
  consultants: Consultant[];
  users: Created[];
  bookings: Map<number, ModelBooking>;
}
interface Real {
  http: Http;
  db: Client;
}

/** Where to book: a slot of the model's, or a time on one of the days, as instants or local time. */
type Where = { slot: number } | { day: number; from: number; halfHours: number; local: boolean };
type Action =
  | { kind: 'book'; consultant: number; user: number; where: Where }
  | { kind: 'hold'; consultant: number; user: number; where: Where }
  | { kind: 'convert'; pick: number }
  | { kind: 'release'; pick: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'reschedule'; pick: number; where: Where };

const whereArb: fc.Arbitrary<Where> = fc.oneof(
  fc.record({ slot: fc.nat(20) }),
  fc.record({
    day: fc.nat(DAYS.length - 1),
    from: fc.integer({ min: 16, max: 28 }),
    halfHours: fc.integer({ min: 1, max: 3 }),
    local: fc.boolean(),
  }),
);
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('book' as const, 'hold' as const),
    consultant: fc.nat(1),
    user: fc.nat(2),
    where: whereArb,
  }),
  fc.record({ kind: fc.constantFrom('convert' as const, 'release' as const, 'cancel' as const), pick: fc.nat(50) }),
  fc.record({ kind: fc.constant('reschedule' as const), pick: fc.nat(50), where: whereArb }),
);

const hhmm = (halfHours: number) =>
  `${String(Math.floor(halfHours / 2) % 24).padStart(2, '0')}:${halfHours % 2 ? '30' : '00'}`;

/** The request body naming `where` at consultant `c`; null when the model has no such slot. */
function targetOf(c: Consultant, where: Where): Record<string, unknown> | null {
  if ('slot' in where) return c.slots.length ? { availability_id: c.slots[where.slot % c.slots.length] } : null;
  const local = { date: DAYS[where.day], start_time: hhmm(where.from), end_time: hhmm(where.from + where.halfHours) };
  if (where.local) return local;
  const { start, end } = localWindowToInterval(local.date, local.start_time, local.end_time, c.zone, 'reject');
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}

const pickOf = <T>(list: T[], pick: number): T | undefined => (list.length ? list[pick % list.length] : undefined);
const tokenOf = (m: Model, userId: number) => m.users.find((u) => u.id === userId)!.token;
/** Refusals the engine may answer; anything else (a 500 above all) fails the run. */
const REFUSALS = [404, 409, 422];

function expectAnswer(res: Reply, ok: number, what: string): boolean {
  const problem = res.status === ok ? '' : ` ${String(res.body?.type).replace('/problems/', '')}`;
  const tally = `${what.replace(/ [\d{].*$/, '')} ${res.status}${problem}`;
  answers[tally] = (answers[tally] ?? 0) + 1;
  if (res.status === ok) return true;
  if (!REFUSALS.includes(res.status)) throw new Error(`${what}: unexpected ${res.status} ${res.text}`);
  return false;
}

/** Several booking actions at once; the model learns what each answer says was done. */
class Batch implements fc.AsyncCommand<Model, Real> {
  constructor(readonly actions: Action[]) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const touched: ModelBooking[] = [];
    // One action per booking or hold in a batch: the order of two answers about one booking need
    // not be the order in which their changes committed.
    const claimed = new Set<number>();
    await Promise.all(this.actions.map((a) => this.one(a, m, r, touched, claimed)));
    actions += this.actions.length;
    await checkInvariants(m, r, touched);
  }
  private async one(a: Action, m: Model, r: Real, touched: ModelBooking[], claimed: Set<number>): Promise<void> {
    if (a.kind === 'book' || a.kind === 'hold') {
      const c = m.consultants[a.consultant];
      const user = m.users[a.user];
      const target = targetOf(c, a.where);
      if (!target) return;
      const body = { consultant_id: c.id, ...target, ...(a.kind === 'hold' ? { hold_minutes: 30 } : {}) };
      const res = await r.http.as(user.token).post(a.kind === 'hold' ? '/holds' : '/bookings', body);
      if (!expectAnswer(res, 201, `${a.kind} ${JSON.stringify(body)}`)) return;
      const b: ModelBooking = {
        id: res.body.id,
        consultantId: c.id,
        userId: user.id,
        status: a.kind === 'hold' ? 'held' : 'confirmed',
        start: Date.parse(res.body.start),
        end: Date.parse(res.body.end),
        expired: false,
        events: a.kind === 'hold' ? {} : { 'booking.created': 1 },
      };
      m.bookings.set(b.id, b);
      touched.push(b);
      return;
    }
    const all = [...m.bookings.values()];
    const holds = all.filter((b) => b.status === 'held');
    const booked = all.filter((b) => b.status !== 'held');
    if (a.kind === 'convert' || a.kind === 'release') {
      const h = pickOf(holds, a.pick);
      if (!h || claimed.has(h.id)) return;
      claimed.add(h.id);
      const http = r.http.as(tokenOf(m, h.userId));
      if (a.kind === 'release') {
        if (expectAnswer(await http.delete(`/holds/${h.id}`), 204, `release ${h.id}`)) m.bookings.delete(h.id);
        return;
      }
      const wasExpired = h.expired;
      const res = await http.post('/bookings', { hold_id: h.id });
      if (!expectAnswer(res, 201, `convert ${h.id}`)) return;
      if (wasExpired) throw new Error(`hold ${h.id} was booked after its expiry`);
      Object.assign(h, { status: 'confirmed', events: { 'booking.created': 1 } });
      touched.push(h);
      return;
    }
    const b = pickOf(booked, a.pick);
    if (!b || claimed.has(b.id)) return;
    claimed.add(b.id);
    const http = r.http.as(tokenOf(m, b.userId));
    if (a.kind === 'cancel') {
      const wasConfirmed = b.status === 'confirmed';
      if (!expectAnswer(await http.post(`/bookings/${b.id}/cancel`), 200, `cancel ${b.id}`)) return;
      if (wasConfirmed) b.events['booking.cancelled'] = (b.events['booking.cancelled'] ?? 0) + 1;
      b.status = 'cancelled';
      return;
    }
    const target = targetOf(
      m.consultants.find((c) => c.id === b.consultantId)!,
      a.where,
    );
    if (!target) return;
    const res = await http.post(`/bookings/${b.id}/reschedule`, target);
    if (!expectAnswer(res, 200, `reschedule ${b.id} to ${JSON.stringify(target)}`)) return;
    Object.assign(b, { start: Date.parse(res.body.start), end: Date.parse(res.body.end) });
    b.events['booking.rescheduled'] = (b.events['booking.rescheduled'] ?? 0) + 1;
    touched.push(b);
  }
  toString = () => `batch(${JSON.stringify(this.actions)})`;
}

/** A consultant's policy: buffers, daily limit, grid. */
class SetPolicy implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly consultant: number,
    readonly policy: {
      buffer_before_minutes: number;
      buffer_after_minutes: number;
      max_bookings_per_day: number | null;
      slot_minutes: number | null;
    },
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const c = m.consultants[this.consultant];
    const res = await r.http.as(c.token).put(`/consultants/${c.id}/policy`, this.policy);
    expect(res).toHaveStatus(200);
    c.maxPerDay = this.policy.max_bookings_per_day;
    await checkInvariants(m, r, []);
  }
  toString = () => `policy(${this.consultant}, ${JSON.stringify(this.policy)})`;
}

/** The two kinds of schedule a consultant edits: where each lives, and what a new one's body is. */
const SCHEDULES = {
  slot: {
    path: 'availabilities',
    body: (day: number) => ({ date: DAYS[day] }),
    list: (c: Consultant) => c.slots,
  },
  rule: {
    path: 'recurring',
    body: (day: number) => ({ day: ['Mon', 'Tue', 'Wed', 'Thu'][day] }),
    list: (c: Consultant) => c.rules,
  },
};

/**
 * A one-time slot or weekly window added (refused when it overlaps another), or one deleted (a
 * slot is refused while booked).
 */
class ChangeSchedule implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly kind: keyof typeof SCHEDULES,
    readonly consultant: number,
    readonly add: { day: number; from: number; halfHours: number } | null,
    readonly pick: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const c = m.consultants[this.consultant];
    const { path, body, list } = SCHEDULES[this.kind];
    const http = r.http.as(c.token);
    if (this.add) {
      const { day, from, halfHours } = this.add;
      const sent = { ...body(day), start_time: hhmm(from), end_time: hhmm(from + halfHours) };
      const res = await http.post(`/consultants/${c.id}/${path}`, sent);
      if (expectAnswer(res, 201, `add ${this.kind} ${JSON.stringify(sent)}`)) list(c).push(res.body.id);
    } else {
      const id = pickOf(list(c), this.pick);
      if (id === undefined) return;
      if (expectAnswer(await http.delete(`/consultants/${c.id}/${path}/${id}`), 204, `delete ${this.kind} ${id}`))
        list(c).splice(list(c).indexOf(id), 1);
    }
    await checkInvariants(m, r, []);
  }
  toString = () => `${this.kind}(${this.consultant}, ${JSON.stringify(this.add)}, ${this.pick})`;
}

/** The clock passes the expiry of some live holds: their expires_at moves into the past, as time would move it. */
class PassHoldExpiries implements fc.AsyncCommand<Model, Real> {
  constructor(readonly picks: number[]) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const live = [...m.bookings.values()].filter((b) => b.status === 'held' && !b.expired);
    const passed = [...new Set(this.picks.map((p) => pickOf(live, p)).filter((b) => b !== undefined))];
    await r.db.query(`UPDATE bookings SET expires_at = now() - interval '1 second' WHERE id = ANY($1)`, [
      passed.map((b) => b.id),
    ]);
    for (const b of passed) b.expired = true;
    await checkInvariants(m, r, []);
  }
  toString = () => `clock(${JSON.stringify(this.picks)})`;
}

const span = fc.record({
  day: fc.nat(DAYS.length - 1),
  from: fc.integer({ min: 14, max: 34 }),
  halfHours: fc.integer({ min: 1, max: 6 }),
});
const commandArbs = [
  fc.array(actionArb, { minLength: 2, maxLength: 6 }).map((actions) => new Batch(actions)),
  fc.array(actionArb, { minLength: 2, maxLength: 6 }).map((actions) => new Batch(actions)),
  fc.array(actionArb, { minLength: 2, maxLength: 6 }).map((actions) => new Batch(actions)),
  fc
    .tuple(
      fc.nat(1),
      fc.record({
        buffer_before_minutes: fc.constantFrom(0, 15, 30),
        buffer_after_minutes: fc.constantFrom(0, 15),
        max_bookings_per_day: fc.constantFrom(null, 1, 2, 3),
        slot_minutes: fc.constantFrom(null, 30, 60),
      }),
    )
    .map(([c, policy]) => new SetPolicy(c, policy)),
  fc
    .tuple(fc.constantFrom('slot' as const, 'rule' as const), fc.nat(1), fc.option(span), fc.nat(20))
    .map(([kind, c, add, pick]) => new ChangeSchedule(kind, c, add, pick)),
  fc.array(fc.nat(20), { minLength: 1, maxLength: 3 }).map((picks) => new PassHoldExpiries(picks)),
];

/** The database against the model and the rules, for this run's consultants and users. */
async function checkInvariants(m: Model, r: Real, touched: ModelBooking[]): Promise<void> {
  executed++;
  const consultants = m.consultants.map((c) => c.id);
  const users = m.users.map((u) => u.id);
  const { rows } = await r.db.query<{
    id: number;
    consultant_id: number;
    user_id: number;
    status: string;
    start: number;
    end: number;
    blocked_start: number;
    blocked_end: number;
    live: boolean;
  }>(
    `SELECT id, consultant_id, user_id, status, extract(epoch FROM start_at) * 1000 AS start, extract(epoch FROM end_at) * 1000 AS end,
            extract(epoch FROM blocked_start_at) * 1000 AS blocked_start, extract(epoch FROM blocked_end_at) * 1000 AS blocked_end,
            status = 'confirmed' OR (status = 'held' AND expires_at > now()) AS live
       FROM bookings WHERE consultant_id = ANY($1) ORDER BY id`,
    [consultants],
  );
  // No booking lost, doubled or changed but by an answer the model saw.
  expect(
    rows.map((b) => ({ id: b.id, status: b.status === 'expired' ? 'held' : b.status, start: +b.start, end: +b.end })),
  ).toEqual(
    [...m.bookings.values()]
      .sort((a, b) => a.id - b.id)
      .map((b) => ({ id: b.id, status: b.status, start: b.start, end: b.end })),
  );
  for (const b of rows) if (b.status === 'expired') expect(m.bookings.get(b.id)!.expired).toBe(true);
  // No two confirmed bookings or live holds of a consultant overlap, buffers included.
  const live = rows.filter((b) => b.live);
  for (const a of live)
    for (const b of live)
      if (
        a.id < b.id &&
        a.consultant_id === b.consultant_id &&
        +a.blocked_start < +b.blocked_end &&
        +b.blocked_start < +a.blocked_end
      )
        throw new Error(`bookings ${a.id} and ${b.id} overlap, buffers included`);
  // The per-user caps.
  for (const u of users) {
    expect(live.filter((b) => b.user_id === u && b.status === 'confirmed').length).toBeLessThanOrEqual(CAP);
    expect(live.filter((b) => b.user_id === u && b.status === 'held').length).toBeLessThanOrEqual(HOLD_CAP);
  }
  // The daily limit, on each day this batch booked, held or moved onto.
  for (const t of touched) {
    const c = m.consultants.find((x) => x.id === t.consultantId)!;
    if (c.maxPerDay === null) continue;
    const day = localDayOf(t.start, c.zone);
    const onDay = live.filter((b) => b.consultant_id === c.id && +b.start >= day.start && +b.start < day.end);
    if (onDay.length > c.maxPerDay)
      throw new Error(`${onDay.length} bookings on a day of consultant ${c.id} limited to ${c.maxPerDay}`);
  }
  // A slot is booked exactly when a confirmed booking holds it; a user's count is a recount.
  const flags = await r.db.query(
    `SELECT a.id FROM availabilities a WHERE a.consultant_id = ANY($1)
        AND a.is_booked <> EXISTS (SELECT 1 FROM bookings b WHERE b.availability_id = a.id AND b.status = 'confirmed')`,
    [consultants],
  );
  if (flags.rows.length)
    throw new Error(
      `is_booked disagrees with the confirmed bookings of slots ${flags.rows.map((s) => s.id).join(', ')}`,
    );
  const counts = await r.db.query(
    `SELECT u.id, u.confirmed_bookings, (SELECT count(*) FROM bookings b WHERE b.user_id = u.id AND b.status = 'confirmed')::int AS recount
       FROM users u WHERE u.id = ANY($1) AND u.confirmed_bookings <> (SELECT count(*) FROM bookings b WHERE b.user_id = u.id AND b.status = 'confirmed')`,
    [users],
  );
  if (counts.rows.length) throw new Error(`confirmed_bookings is not a recount: ${JSON.stringify(counts.rows)}`);
  // Every committed change has exactly one event, numbered in sequence per consultant.
  const events = await r.db.query<{ consultant_id: number; type: string; sequence: number; booking: number | null }>(
    `SELECT consultant_id, type, sequence, (data->>'id')::int AS booking FROM outbox_events WHERE consultant_id = ANY($1) ORDER BY consultant_id, sequence`,
    [consultants],
  );
  for (const c of consultants) {
    const sequences = events.rows.filter((e) => e.consultant_id === c).map((e) => e.sequence);
    expect(sequences).toEqual(sequences.map((_, i) => i + 1));
  }
  const seen = new Map<number, Record<string, number>>();
  for (const e of events.rows.filter((x) => x.type.startsWith('booking.'))) {
    const tally = seen.get(e.booking!) ?? {};
    tally[e.type] = (tally[e.type] ?? 0) + 1;
    seen.set(e.booking!, tally);
  }
  for (const b of m.bookings.values()) expect(seen.get(b.id) ?? {}).toEqual(b.events);
}

let executed = 0;
let actions = 0;
/** Answers by action and status, so a run shows what it exercised. */
const answers: Record<string, number> = {};

describeOnPostgres('the booking engine against a model (PostgreSQL)', () => {
  let t: TestApp;
  let http: Http;
  let db: Client;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        DATABASE_POOL_SIZE: '20',
        MAX_FUTURE_BOOKINGS_PER_USER: String(CAP),
        MAX_HOLDS_PER_USER: String(HOLD_CAP),
      },
    });
    http = new Http(t.app);
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  /** Each run starts from consultants and users of its own, each consultant with three weekly windows and two slots. */
  async function setup(): Promise<{ model: Model; real: Real }> {
    const consultants: Consultant[] = [];
    for (const zone of ZONES) {
      const c = await createConsultant(http, { timezone: zone });
      const rules: number[] = [];
      for (const day of ['Mon', 'Tue', 'Wed']) {
        const res = await http
          .as(c.token)
          .post(`/consultants/${c.id}/recurring`, { day, start_time: '09:00', end_time: '13:00' });
        expect(res).toHaveStatus(201);
        rules.push(res.body.id);
      }
      const slots: number[] = [];
      for (const start_time of ['09:00', '10:00']) {
        const res = await http.as(c.token).post(`/consultants/${c.id}/availabilities`, {
          date: DAYS[3],
          start_time,
          end_time: `${Number(start_time.slice(0, 2)) + 1}:00`,
        });
        expect(res).toHaveStatus(201);
        slots.push(res.body.id);
      }
      consultants.push({ ...c, zone, maxPerDay: null, slots, rules });
    }
    const users = [await createUser(http), await createUser(http), await createUser(http)];
    return { model: { consultants, users, bookings: new Map() }, real: { http, db } };
  }

  // The time limit: tens of milliseconds a command, with a wide margin for a busy machine.
  it(
    `keeps every rule over ${TOTAL_COMMANDS} random commands in parallel batches (seed ${SEED})`,
    async () => {
      const sequence = fc.array(fc.oneof(...commandArbs), { minLength: COMMANDS_PER_RUN, maxLength: COMMANDS_PER_RUN });
      // One sequence per round, from a consultant pair and users of its own, until the total is run.
      let runs = 0;
      while (executed < TOTAL_COMMANDS) {
        await fc.assert(
          fc.asyncProperty(sequence, (commands) => fc.asyncModelRun(setup, commands)),
          { numRuns: 1, seed: SEED + runs++, endOnFailure: true },
        );
        if (runs % 25 === 0) process.stderr.write(`booking-model: ${executed} commands in ${runs} runs so far\n`);
      }
      const tally = Object.entries(answers)
        .map(([what, n]) => `${what} ${n}`)
        .join(', ');
      process.stderr.write(
        `booking-model: ${executed} commands, ${actions} booking actions (${tally}) in ${runs} runs\n`,
      );
      // The sequences must book, hold and refuse, or they prove little.
      for (const what of ['book 201', 'hold 201', 'convert 201', 'reschedule 200', 'cancel 200', 'release 204'])
        expect(answers[what]).toBeGreaterThan(0);
    },
    60_000 + TOTAL_COMMANDS * 500,
  );
});
