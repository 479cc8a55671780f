/**
 * Access matrix (issue 7, part 2; OWASP API1 broken object level authorization, API3 broken
 * object property level authorization, API5 broken function level authorization). For every
 * route that takes an id, every method, as two consultants, two users, the admin, no token and a
 * forged token: only what API.md allows succeeds; everything else is a 401, 403 or 404 problem and
 * changes no row of the database (read behind the app's back). Unknown and forbidden fields are
 * 400s that store nothing.
 */
import { randomBytes } from 'node:crypto';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';
import { inContext, problemErrors, RawReply, send } from './support/client';
import { changedTables, DbReader } from './support/db';

type Who = 'A' | 'B' | 'U1' | 'U2' | 'admin' | 'none' | 'forged';
const EVERYONE: Who[] = ['A', 'B', 'U1', 'U2', 'admin', 'none', 'forged'];
const ANY_TOKEN: Who[] = ['A', 'B', 'U1', 'U2', 'admin'];

/**
 * Consultants A and B, users U1 and U2. A has two one-time slots (s1 free, s2 booked by U1 as
 * booking bk) and a weekly rule r1; B has a slot sB and a rule rB of its own.
 */
interface World {
  A: number;
  B: number;
  U1: number;
  U2: number;
  s1: number;
  s2: number;
  sB: number;
  r1: number;
  rB: number;
  bk: number;
  tokens: Record<Who, string | undefined>;
}

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: (w: World) => string;
  body?: (w: World, who: Who) => unknown;
  /** Who API.md lets do this. */
  allowed: Who[];
  /** The answer to an allowed caller. */
  success: number;
}

const DAY = '2031-06-02'; // a Monday
const slotBody = { date: '2031-06-03', start_time: '14:00', end_time: '15:00' };
const bookingBody = (w: World, who: Who) => ({ availability_id: w.s1, ...(who === 'admin' ? { user_id: w.U1 } : {}) });

/** Every route of API.md that takes an id (path or body), with who may call it. */
const CASES: Case[] = [
  {
    name: 'read a consultant',
    method: 'GET',
    url: (w) => `/consultants/${w.A}`,
    allowed: EVERYONE.filter((x) => x !== 'forged'),
    success: 200,
  },
  {
    name: 'read a consultant (seed path)',
    method: 'GET',
    url: (w) => `/consultant/${w.A}/`,
    allowed: EVERYONE.filter((x) => x !== 'forged'),
    success: 200,
  },
  {
    name: 'change a consultant',
    method: 'PATCH',
    url: (w) => `/consultants/${w.A}`,
    body: () => ({ first_name: 'Changed' }),
    allowed: ['A', 'admin'],
    success: 200,
  },
  {
    name: 'delete a consultant',
    method: 'DELETE',
    url: (w) => `/consultants/${w.B}`,
    allowed: ['admin'],
    success: 204,
  },
  {
    name: "read a consultant's policy",
    method: 'GET',
    url: (w) => `/consultants/${w.A}/policy`,
    allowed: EVERYONE.filter((x) => x !== 'forged'),
    success: 200,
  },
  {
    name: "replace a consultant's policy",
    method: 'PUT',
    url: (w) => `/consultants/${w.A}/policy`,
    body: () => ({ buffer_after_minutes: 0 }),
    allowed: ['A', 'admin'],
    success: 200,
  },
  {
    name: 'add a date override',
    method: 'POST',
    url: (w) => `/consultants/${w.A}/date-overrides`,
    body: () => ({ date: '2031-06-09', unavailable: true }),
    allowed: ['A', 'admin'],
    success: 201,
  },
  {
    name: "list a consultant's date overrides",
    method: 'GET',
    url: (w) => `/consultants/${w.A}/date-overrides`,
    allowed: EVERYONE.filter((x) => x !== 'forged'),
    success: 200,
  },
  { name: 'read a user', method: 'GET', url: (w) => `/users/${w.U1}`, allowed: ['U1', 'admin'], success: 200 },
  {
    name: 'publish a slot',
    method: 'POST',
    url: (w) => `/consultants/${w.A}/availabilities`,
    body: () => slotBody,
    allowed: ['A', 'admin'],
    success: 201,
  },
  {
    name: "list a consultant's slots",
    method: 'GET',
    url: (w) => `/consultants/${w.A}/availabilities`,
    allowed: EVERYONE.filter((x) => x !== 'forged'),
    success: 200,
  },
  {
    name: "list a consultant's slots (seed path)",
    method: 'GET',
    url: (w) => `/consultant/${w.A}/availability/`,
    allowed: EVERYONE.filter((x) => x !== 'forged'),
    success: 200,
  },
  {
    name: 'delete a slot',
    method: 'DELETE',
    url: (w) => `/consultants/${w.A}/availabilities/${w.s1}`,
    allowed: ['A', 'admin'],
    success: 204,
  },
  {
    name: 'delete a slot (seed path, id in the body)',
    method: 'DELETE',
    url: (w) => `/consultant/${w.A}/availability/`,
    body: (w) => ({ id: w.s1 }),
    allowed: ['A', 'admin'],
    success: 204,
  },
  {
    name: 'delete a slot (seed path, ?id=)',
    method: 'DELETE',
    url: (w) => `/consultant/${w.A}/availability/?id=${w.s1}`,
    allowed: ['A', 'admin'],
    success: 204,
  },
  {
    name: 'add a weekly rule',
    method: 'POST',
    url: (w) => `/consultants/${w.A}/recurring`,
    body: () => ({ day: 'Tue', start_time: '09:00', end_time: '10:00' }),
    allowed: ['A', 'admin'],
    success: 201,
  },
  {
    name: 'add a weekly rule (seed path)',
    method: 'POST',
    url: (w) => `/consultant/${w.A}/recurring/`,
    body: () => ({ day_of_week: 1, start_time: '09:00', end_time: '10:00' }),
    allowed: ['A', 'admin'],
    success: 201,
  },
  {
    name: 'list weekly rules',
    method: 'GET',
    url: (w) => `/consultants/${w.A}/recurring`,
    allowed: EVERYONE.filter((x) => x !== 'forged'),
    success: 200,
  },
  {
    name: 'list weekly rules (seed path)',
    method: 'GET',
    url: (w) => `/consultant/${w.A}/recurring/`,
    allowed: EVERYONE.filter((x) => x !== 'forged'),
    success: 200,
  },
  {
    name: "list a doctor's schedule (seed 004)",
    method: 'GET',
    url: (w) => `/api/doctors/${w.A}/availability/`,
    allowed: EVERYONE.filter((x) => x !== 'forged'),
    success: 200,
  },
  {
    name: 'change a weekly rule',
    method: 'PATCH',
    url: (w) => `/consultants/${w.A}/recurring/${w.r1}`,
    body: () => ({ is_active: false }),
    allowed: ['A', 'admin'],
    success: 200,
  },
  {
    name: 'delete a weekly rule',
    method: 'DELETE',
    url: (w) => `/consultants/${w.A}/recurring/${w.r1}`,
    allowed: ['A', 'admin'],
    success: 204,
  },
  {
    name: 'replace the weekly schedule',
    method: 'PUT',
    url: (w) => `/consultants/${w.A}/weekly-schedule`,
    body: () => ({ availability: [{ day: 'Wed', start_time: '09:00', end_time: '12:00' }] }),
    allowed: ['A', 'admin'],
    success: 200,
  },
  {
    name: 'bulk-add windows (seed 004)',
    method: 'POST',
    url: (w) => `/api/doctors/${w.A}/availability/`,
    body: () => ({ availability: [{ day: 'Thu', start_time: '09:00', end_time: '12:00' }] }),
    allowed: ['A', 'admin'],
    success: 201,
  },
  {
    name: 'toggle a weekly rule (seed 004)',
    method: 'PATCH',
    url: (w) => `/api/availability/${w.r1}/toggle/`,
    allowed: ['A', 'admin'],
    success: 200,
  },
  {
    name: 'book (seed path)',
    method: 'POST',
    url: (w) => `/consultant/${w.A}/reserve/`,
    body: bookingBody,
    allowed: ['U1', 'U2', 'admin'],
    success: 201,
  },
  {
    name: 'book',
    method: 'POST',
    url: () => '/bookings',
    body: bookingBody,
    allowed: ['U1', 'U2', 'admin'],
    success: 201,
  },
  {
    name: 'hold',
    method: 'POST',
    url: () => '/holds',
    body: bookingBody,
    allowed: ['U1', 'U2', 'admin'],
    success: 201,
  },
  {
    name: 'read a booking',
    method: 'GET',
    url: (w) => `/bookings/${w.bk}`,
    allowed: ['U1', 'A', 'admin'],
    success: 200,
  },
  {
    name: 'cancel a booking',
    method: 'POST',
    url: (w) => `/bookings/${w.bk}/cancel`,
    allowed: ['U1', 'A', 'admin'],
    success: 200,
  },
  {
    name: 'reschedule a booking',
    method: 'POST',
    url: (w) => `/bookings/${w.bk}/reschedule`,
    body: (w) => ({ availability_id: w.s1 }),
    allowed: ['U1', 'admin'],
    success: 200,
  },
  {
    name: "a consultant's calendar feed",
    method: 'GET',
    url: (w) => `/consultants/${w.A}/calendar.ics`,
    allowed: ['A', 'admin'],
    success: 200,
  },
  {
    name: "a user's calendar feed",
    method: 'GET',
    url: (w) => `/users/${w.U1}/calendar.ics`,
    allowed: ['U1', 'admin'],
    success: 200,
  },
  {
    name: "a user's bookings by filter",
    method: 'GET',
    url: (w) => `/bookings?user_id=${w.U1}`,
    allowed: ['U1', 'A', 'B', 'admin'],
    success: 200,
  },
  {
    name: "a consultant's bookings by filter",
    method: 'GET',
    url: (w) => `/bookings?consultant_id=${w.A}`,
    allowed: ['A', 'U1', 'U2', 'admin'],
    success: 200,
  },
  // The path names one owner, the id another: each must be a 404 even to the path's owner or the admin.
  {
    name: "B deletes A's slot through its own path",
    method: 'DELETE',
    url: (w) => `/consultants/${w.B}/availabilities/${w.s1}`,
    allowed: [],
    success: 0,
  },
  {
    name: "B deletes A's slot through the seed path",
    method: 'DELETE',
    url: (w) => `/consultant/${w.B}/availability?id=${w.s1}`,
    allowed: [],
    success: 0,
  },
  {
    name: "B changes A's rule through its own path",
    method: 'PATCH',
    url: (w) => `/consultants/${w.B}/recurring/${w.r1}`,
    body: () => ({ is_active: false }),
    allowed: [],
    success: 0,
  },
  {
    name: "B deletes A's rule through its own path",
    method: 'DELETE',
    url: (w) => `/consultants/${w.B}/recurring/${w.r1}`,
    allowed: [],
    success: 0,
  },
  {
    name: "booking A's slot under B's path",
    method: 'POST',
    url: (w) => `/consultant/${w.B}/reserve`,
    body: bookingBody,
    allowed: [],
    success: 0,
  },
  {
    name: "booking A's slot naming B",
    method: 'POST',
    url: () => '/bookings',
    body: (w, who) => ({ ...bookingBody(w, who), consultant_id: w.B }),
    allowed: [],
    success: 0,
  },
  {
    name: "rescheduling onto another consultant's slot",
    method: 'POST',
    url: (w) => `/bookings/${w.bk}/reschedule`,
    body: (w) => ({ availability_id: w.sB }),
    allowed: [],
    success: 0,
  },
];

const REFUSALS = [401, 403, 404];

describe('access matrix', () => {
  let t: TestApp;
  let db: DbReader;
  const matrix: string[] = [];
  const counts = { requests: 0, allowed: 0, refused: 0, fields: 0 };

  beforeAll(async () => {
    t = await startTestApp();
    db = await DbReader.open(t);
  });
  afterAll(async () => {
    console.log(
      `access matrix: ${counts.allowed + counts.refused} route × caller checks (${counts.allowed} allowed, ${counts.refused} refused and checked against the database), ` +
        `${counts.fields} forbidden-field requests, ${counts.requests} requests in all; ✓ allowed and succeeded, else the refusal:\n${matrix.join('\n')}`,
    );
    await db?.close();
    await t?.close();
  });

  const call = (method: string, url: string, token?: string, body?: unknown) => {
    counts.requests++;
    return send(t.app, { method, url, token, body });
  };
  async function created(method: string, url: string, token: string, body: unknown): Promise<any> {
    const res = await call(method, url, token, body);
    inContext(`${method} ${url}: ${res.status} ${res.text}`, () => expect([201, 200]).toContain(res.status));
    return res.json;
  }

  async function makeWorld(): Promise<World> {
    const A = await created('POST', '/consultants', ADMIN_TOKEN, { first_name: 'Ada', last_name: 'A' });
    const B = await created('POST', '/consultants', ADMIN_TOKEN, { first_name: 'Bea', last_name: 'B' });
    const U1 = await created('POST', '/users', ADMIN_TOKEN, { first_name: 'Uma', last_name: 'One' });
    const U2 = await created('POST', '/users', ADMIN_TOKEN, { first_name: 'Udo', last_name: 'Two' });
    const s1 = await created('POST', `/consultants/${A.id}/availabilities`, A.api_token, {
      date: DAY,
      start_time: '10:00',
      end_time: '11:00',
    });
    const s2 = await created('POST', `/consultants/${A.id}/availabilities`, A.api_token, {
      date: DAY,
      start_time: '12:00',
      end_time: '13:00',
    });
    const sB = await created('POST', `/consultants/${B.id}/availabilities`, B.api_token, {
      date: DAY,
      start_time: '10:00',
      end_time: '11:00',
    });
    const r1 = await created('POST', `/consultants/${A.id}/recurring`, A.api_token, {
      day: 'Mon',
      start_time: '15:00',
      end_time: '17:00',
    });
    const rB = await created('POST', `/consultants/${B.id}/recurring`, B.api_token, {
      day: 'Mon',
      start_time: '15:00',
      end_time: '17:00',
    });
    const bk = await created('POST', '/bookings', U1.api_token, { availability_id: s2.id });
    return {
      A: A.id,
      B: B.id,
      U1: U1.id,
      U2: U2.id,
      s1: s1.id,
      s2: s2.id,
      sB: sB.id,
      r1: r1.id,
      rB: rB.id,
      bk: bk.id,
      tokens: {
        A: A.api_token,
        B: B.api_token,
        U1: U1.api_token,
        U2: U2.api_token,
        admin: ADMIN_TOKEN,
        none: undefined,
        forged: `cc_c_${randomBytes(32).toString('base64url')}`,
      },
    };
  }

  const describeRes = (res: RawReply) => `${res.status} ${res.text.slice(0, 200)}`;

  for (const c of CASES) {
    it(`${c.method} ${c.name}: ${c.allowed.length ? `only ${c.allowed.join(', ')}` : 'nobody'}`, async () => {
      const row: string[] = [];
      // Refusals and reads change nothing (refusals are checked), so one world serves them all;
      // each successful write gets a fresh one.
      const shared = await makeWorld();
      for (const who of EVERYONE) {
        const allowed = c.allowed.includes(who);
        const w = allowed && c.method !== 'GET' ? await makeWorld() : shared;
        const before = await db.snapshot();
        const res = await call(c.method, c.url(w), w.tokens[who], c.body?.(w, who));
        const what = `${who} ${c.method} ${c.url(w)}`;
        if (allowed) {
          inContext(`${what} is allowed: ${describeRes(res)}`, () => expect(res).toHaveStatus(c.success));
          row.push(`${who} ✓`);
          counts.allowed++;
          continue;
        }
        row.push(`${who} ${res.status}`);
        counts.refused++;
        inContext(`${what} must be refused with 401, 403 or 404: ${describeRes(res)}`, () =>
          expect(REFUSALS).toContain(res.status),
        );
        if (who === 'none' || who === 'forged')
          inContext(`${what} without a valid token: ${describeRes(res)}`, () => expect(res).toHaveStatus(401));
        inContext(`${what}: ${res.text}`, () => expect(problemErrors(res)).toEqual([]));
        const changed = changedTables(before, await db.snapshot());
        inContext(`${what} was refused (${res.status}) but changed ${changed.join(', ')}`, () =>
          expect(changed).toEqual([]),
        );
      }
      matrix.push(`  ${c.method.padEnd(6)} ${c.name.padEnd(48)} ${row.join('  ')}`);
    });
  }

  it('lists only the bookings the caller is a party to, whatever the filter', async () => {
    const w = await makeWorld();
    // A second booking between U2 and B, so every caller has something it must not see.
    const other = await created('POST', '/bookings', w.tokens.U2!, { availability_id: w.sB });
    const parties: Record<number, { consultant: number; user: number }> = {
      [w.bk]: { consultant: w.A, user: w.U1 },
      [other.id]: { consultant: w.B, user: w.U2 },
    };
    const may = (who: Who, id: number) =>
      who === 'admin' || parties[id].consultant === w[who as 'A'] || parties[id].user === w[who as 'U1'];
    for (const who of ANY_TOKEN) {
      for (const query of [
        '',
        `user_id=${w.U1}`,
        `user_id=${w.U2}`,
        `consultant_id=${w.A}`,
        `consultant_id=${w.B}`,
        'status=confirmed',
      ]) {
        // Every page: the admin's list holds the other tests' bookings too.
        const ids: number[] = [];
        let res: RawReply | undefined;
        for (let cursor: string | null = ''; cursor !== null; cursor = res.json.next_cursor) {
          res = await call('GET', `/bookings?limit=200&${query}${cursor ? `&cursor=${cursor}` : ''}`, w.tokens[who]);
          if (res.status === 403) break;
          inContext(`${who} GET /bookings?${query}`, () => expect(res!).toHaveStatus(200));
          ids.push(...res.json.data.map((b: { id: number }) => b.id).filter((id: number) => id in parties));
        }
        for (const id of ids)
          inContext(`${who} sees booking ${id} through /bookings?${query}`, () => expect(may(who, id)).toBe(true));
        // The admin sees every booking.
        if (who === 'admin' && !query.includes('_id')) expect(ids.sort()).toEqual([w.bk, other.id].sort());
      }
    }
    // Asking for someone else's side outright is refused rather than answered empty.
    expect(await call('GET', `/bookings?user_id=${w.U1}`, w.tokens.U2)).toHaveStatus(403);
    expect(await call('GET', `/bookings?consultant_id=${w.A}`, w.tokens.B)).toHaveStatus(403);
  });

  it('never says who booked a slot on a public read', async () => {
    const w = await makeWorld();
    // The daily view lists free time only; the others mark the booked slot.
    const reads = [
      `/consultants/${w.A}/availabilities`,
      `/consultant/${w.A}/availability`,
      `/availabilities/monthly/?year=2031&month=6&consultant_id=${w.A}`,
      `/availabilities/timerange/?start=${DAY}&end=${DAY}&consultant_id=${w.A}&include_booked=true`,
      `/consultants/availabilities/${DAY}/`,
    ];
    for (const url of reads) {
      for (const who of ['none', 'B', 'U2'] as Who[]) {
        const res = await call('GET', url, w.tokens[who]);
        inContext(url, () => expect(res).toHaveStatus(200));
        if (!url.startsWith('/consultants/availabilities/'))
          inContext(`${url} shows the booked slot as booked`, () => expect(res.text).toContain('"is_booked":true'));
        for (const secret of ['user_id', 'Uma', 'One', 'api_token', 'booking_id'])
          inContext(`${url} as ${who} reveals ${secret}`, () => expect(res.text).not.toContain(secret));
      }
    }
  });

  describe('fields a client may not set (mass assignment)', () => {
    /** Each with a value a client might try: the field is refused whatever its value. */
    const FORBIDDEN: [string, (w: World) => unknown][] = [
      ['is_booked', () => true],
      ['status', () => 'cancelled'],
      ['user_id', (w) => w.U2],
      ['id', () => 1],
      ['role', () => 'admin'],
      ['consultant_id', (w) => w.B],
      ['created_at', () => '2020-01-01T00:00:00Z'],
      ['api_token', () => 'cc_c_chosen-by-the-client'],
      ['is_admin', () => true],
      // Names of Object.prototype members, which class-transformer used to drop without a word.
      ['constructor', () => 1],
      ['toString', () => 'x'],
      ['hasOwnProperty', () => 1],
    ];
    /** Write routes with a body, a valid body for each, and the fields that body may legitimately carry. */
    const WRITES: {
      name: string;
      method: Case['method'];
      url: (w: World) => string;
      body: (w: World) => Record<string, unknown>;
      who: Who[];
      own: string[];
    }[] = [
      {
        name: 'create a consultant',
        method: 'POST',
        url: () => '/consultants',
        body: () => ({ first_name: 'N', last_name: 'N' }),
        who: ['admin'],
        own: [],
      },
      {
        name: 'create a consultant (seed path)',
        method: 'POST',
        url: () => '/consultant/',
        body: () => ({ first_name: 'N', last_name: 'N' }),
        who: ['admin'],
        own: [],
      },
      {
        name: 'change a consultant',
        method: 'PATCH',
        url: (w) => `/consultants/${w.A}`,
        body: () => ({ first_name: 'N' }),
        who: ['A', 'admin'],
        own: [],
      },
      {
        name: 'sign up',
        method: 'POST',
        url: () => '/users',
        body: () => ({ first_name: 'N', last_name: 'N' }),
        who: ['none', 'admin'],
        own: [],
      },
      {
        name: 'sign up (seed path)',
        method: 'POST',
        url: () => '/user/',
        body: () => ({ first_name: 'N', last_name: 'N' }),
        who: ['none'],
        own: [],
      },
      {
        name: 'publish a slot',
        method: 'POST',
        url: (w) => `/consultants/${w.A}/availabilities`,
        body: () => slotBody,
        who: ['A', 'admin'],
        own: [],
      },
      {
        name: 'delete a slot (seed path)',
        method: 'DELETE',
        url: (w) => `/consultant/${w.A}/availability`,
        body: (w) => ({ id: w.s1 }),
        who: ['A'],
        own: ['id'],
      },
      {
        name: 'add a weekly rule',
        method: 'POST',
        url: (w) => `/consultants/${w.A}/recurring`,
        body: () => ({ day: 'Tue', start_time: '09:00', end_time: '10:00' }),
        who: ['A', 'admin'],
        own: [],
      },
      {
        name: 'add a weekly rule (seed path)',
        method: 'POST',
        url: (w) => `/consultant/${w.A}/recurring`,
        body: () => ({ day: 'Tue', start_time: '09:00', end_time: '10:00' }),
        who: ['A'],
        own: [],
      },
      {
        name: 'change a weekly rule',
        method: 'PATCH',
        url: (w) => `/consultants/${w.A}/recurring/${w.r1}`,
        body: () => ({ is_active: false }),
        who: ['A', 'admin'],
        own: [],
      },
      {
        name: 'replace the weekly schedule',
        method: 'PUT',
        url: (w) => `/consultants/${w.A}/weekly-schedule`,
        body: () => ({ availability: [{ day: 'Wed', start_time: '09:00', end_time: '12:00' }] }),
        who: ['A', 'admin'],
        own: [],
      },
      {
        name: 'bulk-add windows (seed 004)',
        method: 'POST',
        url: (w) => `/api/doctors/${w.A}/availability`,
        body: () => ({ availability: [{ day: 'Thu', start_time: '09:00', end_time: '12:00' }] }),
        who: ['A', 'admin'],
        own: [],
      },
      {
        name: 'book',
        method: 'POST',
        url: () => '/bookings',
        body: (w) => ({ availability_id: w.s1 }),
        who: ['U1'],
        own: ['consultant_id', 'user_id'],
      },
      {
        name: 'book (seed path)',
        method: 'POST',
        url: (w) => `/consultant/${w.A}/reserve`,
        body: (w) => ({ availability_id: w.s1 }),
        who: ['U1'],
        own: ['user_id'],
      },
      {
        name: 'reschedule',
        method: 'POST',
        url: (w) => `/bookings/${w.bk}/reschedule`,
        body: (w) => ({ availability_id: w.s1 }),
        who: ['U1', 'admin'],
        own: [],
      },
    ];
    let w: World;
    beforeAll(async () => {
      w = await makeWorld();
    });

    for (const write of WRITES) {
      it(`${write.method} ${write.name}: every unknown or forbidden field is a 400 that stores nothing`, async () => {
        for (const who of write.who) {
          for (const [field, value] of FORBIDDEN.filter(([f]) => !write.own.includes(f))) {
            const before = await db.snapshot();
            counts.fields++;
            const res = await call(write.method, write.url(w), w.tokens[who], { ...write.body(w), [field]: value(w) });
            const what = `${who} ${write.method} ${write.url(w)} with ${field}=${JSON.stringify(value(w))}`;
            inContext(what, () => expect(res).toHaveStatus(400));
            inContext(what, () => expect(problemErrors(res)).toEqual([]));
            inContext(`${what} names the field: ${res.text}`, () =>
              expect(res.json.errors).toContainEqual(expect.objectContaining({ field })),
            );
            const changed = changedTables(before, await db.snapshot());
            inContext(`${what} was refused but stored something`, () => expect(changed).toEqual([]));
          }
          // Inside each entry of a bulk schedule too.
          if (write.body(w).availability) {
            for (const field of ['is_active', 'id', 'consultant_id', 'is_booked']) {
              const body = write.body(w) as { availability: Record<string, unknown>[] };
              const before = await db.snapshot();
              const res = await call(write.method, write.url(w), w.tokens[who], {
                availability: [{ ...body.availability[0], [field]: 1 }],
              });
              inContext(`${who} ${write.name} with availability[0].${field}`, () => expect(res).toHaveStatus(400));
              inContext(res.text, () =>
                expect(res.json.errors).toContainEqual(expect.objectContaining({ field: `availability[0].${field}` })),
              );
              const changed = changedTables(before, await db.snapshot());
              inContext(`${write.name} with availability[0].${field} stored something`, () =>
                expect(changed).toEqual([]),
              );
            }
          }
        }
      });
    }

    it('refuses a user booking for someone else, and stores nothing', async () => {
      for (const [url, extra] of [
        ['/bookings', {}],
        [`/consultant/${w.A}/reserve`, {}],
      ] as const) {
        const before = await db.snapshot();
        const res = await call('POST', url, w.tokens.U1, { availability_id: w.s1, user_id: w.U2, ...extra });
        inContext(`U1 books for U2 at ${url}: ${res.text}`, () => expect([400, 403]).toContain(res.status));
        expect(changedTables(before, await db.snapshot())).toEqual([]);
      }
    });
  });
});
