/**
 * Schema-driven fuzzing (issue 7, part 1). Reads /docs-json from the running app and, for every
 * operation in it, sends requests generated from its schemas: valid ones, and ones with a field
 * missing, of the wrong type, out of range, oversized, unknown, with bad ids, dates, times and
 * tokens. Every answer is checked against the contract:
 *   - never a 5xx;
 *   - every error is application/problem+json whose `status` is the HTTP status, with
 *     type/title/detail strings, and no stack trace, SQL or other internals; its status is one
 *     the document lists for the operation, and its body matches the documented problem schema;
 *   - every 2xx is documented for the operation, and its body matches the documented schema
 *     (strictly: no undocumented fields), with API.md's formats for instants, dates and times;
 *   - a request that breaks the contract for certain is never a 2xx; a missing or bad token on a
 *     protected route is a 401; a public route never asks for a token;
 *   - a refused request, and any GET, changes no row (sampled).
 * FUZZ_REQUESTS sets the number of requests (default 400), FUZZ_SEED replays a run.
 */
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';
import { inContext, problemErrors, RawReply, send } from './support/client';
import { changedTables, DbReader } from './support/db';
import { addDays, BASE_DATE, Ref, requestArb, type Template, ZONES } from './support/generators';
import { checkSchema, type OpenApiDocument, type Operation, operationsOf } from './support/openapi';

const REQUESTS = Math.max(1, Number.parseInt(process.env.FUZZ_REQUESTS ?? '', 10) || 400);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomBytes(4).readUInt32LE() >>> 1;
/** One request in this many is wrapped in before/after snapshots of every table. */
const DB_CHECK_EVERY = Math.max(1, Number.parseInt(process.env.FUZZ_DB_CHECK_EVERY ?? '', 10) || 4);
/** New fixtures (a consultant, a user, a slot, a rule, a booking) every this many requests. */
const REFRESH_EVERY = 50;
/**
 * The run's time budget: node:test gave it none, and Jest's 60 s would cut `npm run fuzz` (10,000
 * requests) short. A request takes 20–50 ms on a busy two-core machine; allow 250 ms each.
 */
const FUZZ_TIMEOUT_MS = Math.max(60_000, REQUESTS * 250);

interface Account {
  id: number;
  token: string;
}
interface Owned {
  id: number;
  consultant_id: number;
}
interface World {
  consultants: Account[];
  users: Account[];
  slots: Owned[];
  rules: Owned[];
  bookings: (Owned & { user_id: number })[];
  cursors: { path: string; cursor: string }[];
}

const KEEP = 60;
const remember = <T>(list: T[], item: T) => {
  list.push(item);
  if (list.length > KEEP) list.splice(0, list.length - KEEP);
};

/** A stack frame in a success body (names are echoed there, so SQL-looking text may be the client's own). */
const STACK = /\bat [\w$.<>]+ \(.*:\d+:\d+\)|node_modules\//;

describe(`schema-driven fuzzing (${REQUESTS} requests, seed ${SEED})`, () => {
  let t: TestApp;
  let db: DbReader;
  let doc: OpenApiDocument;
  let ops: Operation[];
  const world: World = { consultants: [], users: [], slots: [], rules: [], bookings: [], cursors: [] };
  const tally = {
    byStatus: new Map<number, number>(),
    byOp: new Map<string, Map<number, number>>(),
    dbChecks: 0,
    ms: 0,
  };
  const failures: { rule: string; request: string; status: number; detail: string }[] = [];
  let fixtureDay = 0;

  beforeAll(async () => {
    t = await startTestApp();
    db = await DbReader.open(t);
    const res = await send(t.app, { method: 'GET', url: '/docs-json' });
    expect(res).toHaveStatus(200);
    doc = res.json;
    ops = operationsOf(doc);
  });
  afterAll(async () => {
    await db?.close();
    await t?.close();
  });

  const admin = (method: string, url: string, body?: unknown, token = ADMIN_TOKEN) =>
    send(t.app, { method, url, token, body });

  /** Fresh rows to aim at: the run deletes and books what it finds, so replenish as it goes. */
  async function refreshFixtures(): Promise<void> {
    const c = await admin('POST', '/consultants', {
      first_name: 'Fix',
      last_name: `Ture${world.consultants.length}`,
      timezone: ZONES[fixtureDay % ZONES.length],
    });
    expect(c).toHaveStatus(201);
    remember(world.consultants, { id: c.json.id, token: c.json.api_token });
    const u = await admin('POST', '/users', { first_name: 'Fix', last_name: 'User' });
    expect(u).toHaveStatus(201);
    remember(world.users, { id: u.json.id, token: u.json.api_token });
    const date = addDays(BASE_DATE, 14 + (fixtureDay++ % 300));
    for (const start of ['09:00', '11:00']) {
      const s = await admin('POST', `/consultants/${c.json.id}/availabilities`, {
        date,
        start_time: start,
        end_time: start.replace(/^\d+/, (h) => String(Number(h) + 1).padStart(2, '0')),
      });
      expect(s).toHaveStatus(201);
      remember(world.slots, { id: s.json.id, consultant_id: c.json.id });
    }
    const r = await admin('POST', `/consultants/${c.json.id}/recurring`, {
      day_of_week: fixtureDay % 7,
      start_time: '13:00',
      end_time: '18:00',
    });
    expect(r).toHaveStatus(201);
    remember(world.rules, { id: r.json.id, consultant_id: c.json.id });
    const b = await admin('POST', '/bookings', {
      availability_id: world.slots[world.slots.length - 1].id,
      user_id: u.json.id,
    });
    expect(b).toHaveStatus(201);
    remember(world.bookings, { id: b.json.id, consultant_id: c.json.id, user_id: u.json.id });
  }

  // ------------------------------------------------------------ resolving a template

  interface Resolved {
    method: string;
    url: string;
    headers: Record<string, string>;
    token?: string;
    raw?: string;
    body?: unknown;
    hasBody: boolean;
    bodyBytes: number;
    label: string;
  }

  function resolveTemplate(tp: Template, n: number): Resolved {
    const ctx: { consultantId?: number; userId?: number } = {};
    const pick = <T>(list: T[], r: Ref, prefer?: (x: T) => boolean): T | undefined => {
      if (!list.length) return undefined;
      const coherent = prefer && r.pick % 5 !== 0 ? list.filter(prefer) : [];
      const from = coherent.length ? coherent : list;
      return from[Math.floor(r.pick / 5) % from.length];
    };
    const resolveRef = (r: Ref): unknown => {
      switch (r.pool) {
        case 'consultant': {
          const c =
            ctx.consultantId !== undefined && r.pick % 5 !== 0 ? ctx.consultantId : pick(world.consultants, r)?.id;
          ctx.consultantId ??= c;
          return c ?? 1;
        }
        case 'user': {
          const u = pick(world.users, r)?.id;
          ctx.userId ??= u;
          return u ?? 1;
        }
        case 'slot':
        case 'rule': {
          const row = pick(
            r.pool === 'slot' ? world.slots : world.rules,
            r,
            (x) => ctx.consultantId === undefined || x.consultant_id === ctx.consultantId,
          );
          ctx.consultantId ??= row?.consultant_id;
          return row?.id ?? 1;
        }
        case 'booking': {
          const b = pick(world.bookings, r);
          ctx.consultantId ??= b?.consultant_id;
          ctx.userId ??= b?.user_id;
          return b?.id ?? 1;
        }
        case 'cursor':
          // Mostly a cursor this list handed out; sometimes another list's, which must be a 400.
          return pick(world.cursors, r, (c) => c.path === tp.op.path)?.cursor ?? 'WzFd';
      }
    };
    const deep = (v: unknown): unknown =>
      v instanceof Ref
        ? resolveRef(v)
        : Array.isArray(v)
          ? v.map(deep)
          : v && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)]))
            : v;

    // Sub-resources first, so that the consultant in the path can be the one they belong to.
    const names = Object.keys(tp.path).sort((a, b) => (a === 'id' ? 1 : 0) - (b === 'id' ? 1 : 0));
    const segments: Record<string, string> = {};
    for (const name of names) {
      const p = tp.path[name];
      segments[name] = p instanceof Ref ? String(resolveRef(p)) : p.raw;
    }
    const path = tp.op.path.replace(/\{(\w+)\}/g, (_, name: string) => segments[name]);
    const body = tp.body?.value !== undefined || (tp.body && 'value' in tp.body) ? deep(tp.body.value) : undefined;
    const query = tp.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(deep(v)))}`).join('&');
    const headers: Record<string, string> = { ...tp.headers };
    let raw: string | undefined;
    if (tp.body?.raw !== undefined) {
      raw = tp.body.raw;
      if (tp.body.contentType !== undefined) headers['content-type'] = tp.body.contentType;
    } else if (tp.body && 'value' in tp.body) {
      const type = tp.body.contentType ?? 'application/json';
      raw =
        type === 'application/x-www-form-urlencoded'
          ? new URLSearchParams(
              Object.entries(body as object).map(([k, x]): [string, string] => [k, String(x)]),
            ).toString()
          : JSON.stringify(body);
      headers['content-type'] = type;
    }

    let token: string | undefined;
    const other = <T extends Account>(list: T[], not?: number) => list.find((a) => a.id !== not);
    switch (tp.principal) {
      case 'admin':
        token = ADMIN_TOKEN;
        break;
      case 'owner':
        token = (
          world.consultants.find((c) => c.id === ctx.consultantId) ?? world.consultants[world.consultants.length - 1]
        )?.token;
        break;
      case 'other-consultant':
        token = other(world.consultants, ctx.consultantId)?.token;
        break;
      case 'party-user':
        token = (world.users.find((u) => u.id === ctx.userId) ?? world.users[world.users.length - 1])?.token;
        break;
      case 'other-user':
        token = other(world.users, ctx.userId)?.token;
        break;
      case 'forged':
        token = ['cc_c_', 'cc_u_', 'cc_a_', ''][n % 4] + randomBytes(32).toString('base64url');
        break;
      case 'malformed':
        headers.authorization = [
          'Basic YWRtaW46YWRtaW4=',
          'Bearer',
          'Bearer a b',
          `Bearer ${'x'.repeat(300)}`,
          'bearer ',
          ADMIN_TOKEN,
          'Token abc',
        ][n % 7];
        break;
    }
    const url = path + (query ? `?${query}` : '');
    return {
      method: tp.op.method,
      url,
      headers,
      token,
      raw,
      body,
      hasBody: raw !== undefined,
      bodyBytes: Buffer.byteLength(raw ?? ''),
      label: `${tp.op.method} ${url.slice(0, 160)} as ${tp.principal}${tp.mutations.length ? ` [${tp.mutations.join(', ')}]` : ''}`,
    };
  }

  // ------------------------------------------------------------ checking an answer

  function check(tp: Template, req: Resolved, res: RawReply): string[] {
    const problems: string[] = [];
    const fail = (rule: string, detail: string) => problems.push(`${rule}: ${detail}`);
    if (res.status >= 500) fail('5xx', res.text.slice(0, 300));
    if (!res.headers['x-request-id']) fail('request-id', 'no X-Request-Id on the response');
    const documented = tp.op.responses[String(res.status)];
    if (res.status >= 400) {
      for (const e of problemErrors(res)) fail('problem+json', e);
      if (!documented) fail('undocumented-refusal', `${res.status} is not a documented answer of ${tp.op.id}`);
      else {
        // Strictly as documented: a problem carries no extension the document does not name.
        const schema = documented.content['application/problem+json'];
        if (res.json && schema)
          for (const e of checkSchema(doc, res.json, schema).slice(0, 3)) fail('problem-schema', e);
      }
    } else if (res.status >= 200 && res.status < 300) {
      if (!documented) fail('undocumented-2xx', `${res.status} is not a documented answer of ${tp.op.id}`);
      else {
        const [[type, schema] = []] = Object.entries(documented.content);
        if (res.status === 204) {
          if (res.text !== '') fail('204-body', res.text.slice(0, 100));
        } else if (type === 'application/json') {
          if (!/^application\/json/.test(String(res.headers['content-type'])))
            fail('content-type', `${res.headers['content-type']} for a JSON answer`);
          else if (schema) for (const e of checkSchema(doc, res.json, schema).slice(0, 5)) fail('response-schema', e);
        } else if (type === 'text/calendar') {
          if (!/^text\/calendar/.test(String(res.headers['content-type'])) || !res.text.startsWith('BEGIN:VCALENDAR'))
            fail('calendar', res.text.slice(0, 100));
        }
      }
      if (STACK.test(res.text)) fail('leak', 'stack trace in a success body');
      if (tp.mustRefuse) fail('accepted-invalid', `${res.status} to a request that breaks the contract`);
    } else fail('status', `unexpected ${res.status}`);

    // Authentication decides before validation, once the body has parsed and the path routed.
    const guarded = tp.reachesGuard && req.bodyBytes <= 100 * 1024;
    if (guarded && (tp.principal === 'forged' || tp.principal === 'malformed') && res.status !== 401)
      fail('bad-token', `${res.status}, not 401`);
    if (guarded && tp.principal === 'none' && tp.op.secured && res.status !== 401)
      fail('no-token', `${res.status}, not 401 on a protected route`);
    if (tp.principal === 'none' && !tp.op.secured && (res.status === 401 || res.status === 403))
      fail('public', `${res.status} on a public route without a token`);
    return problems;
  }

  /** Learns the ids (and tokens, cursors) the app hands out, so later requests can aim at them. */
  function learn(tp: Template, res: RawReply): void {
    if (res.status >= 300 || !res.json) return;
    const body = res.json;
    const path = tp.op.path;
    if (Array.isArray(body)) {
      for (const r of body)
        if (r?.day !== undefined) remember(world.rules, { id: r.id, consultant_id: r.consultant_id });
      return;
    }
    if (typeof body.next_cursor === 'string') remember(world.cursors, { path, cursor: body.next_cursor });
    if (res.status !== 201) return;
    if (/^\/consultants?$/.test(path)) remember(world.consultants, { id: body.id, token: body.api_token });
    else if (/^\/users?$/.test(path)) remember(world.users, { id: body.id, token: body.api_token });
    else if (path.endsWith('/availabilities'))
      remember(world.slots, { id: body.id, consultant_id: body.consultant_id });
    else if (path.endsWith('/recurring')) remember(world.rules, { id: body.id, consultant_id: body.consultant_id });
    else if (body.status === 'confirmed')
      remember(world.bookings, { id: body.id, consultant_id: body.consultant_id, user_id: body.user_id });
  }

  it('reads an OpenAPI document that lists every route with its answers', () => {
    // Every operation of API.md (38 of them) is in /docs-json.
    expect(ops.length).toBeGreaterThanOrEqual(38);
    for (const op of ops) {
      inContext(`${op.id} documents no success`, () =>
        expect(Object.keys(op.responses)).toContainEqual(expect.stringMatching(/^2/)),
      );
      // Any route answers a bad token with 401 and a flood with 429 (the health probes are not
      // rate limited); a body can be too large or not JSON.
      const limited = !op.path.startsWith('/health');
      for (const status of ['401', ...(limited ? ['429'] : []), ...(op.body ? ['413', '415'] : [])])
        inContext(`${op.id} does not document ${status}`, () => expect(op.responses[status]).toBeTruthy());
    }
  });

  it(
    'answers every generated request within the contract',
    async () => {
      const arb = fc.constantFrom(...ops).chain((op) => requestArb(doc, op));
      const templates = fc.sample(arb, { numRuns: REQUESTS, seed: SEED });
      const started = performance.now();
      for (let i = 0; i < templates.length; i++) {
        if (i % REFRESH_EVERY === 0) await refreshFixtures();
        const tp = templates[i];
        const req = resolveTemplate(tp, i);
        const checkDb = i % DB_CHECK_EVERY === 0;
        const before = checkDb
          ? await db.snapshot(['consultants', 'users', 'availabilities', 'recurring_rules', 'bookings'])
          : undefined;
        const res = await send(t.app, {
          method: req.method,
          url: req.url,
          token: req.token,
          headers: req.headers,
          raw: req.raw,
        });
        const problems = check(tp, req, res);
        if (before && (res.status >= 400 || req.method === 'GET')) {
          tally.dbChecks++;
          const changed = changedTables(
            before,
            await db.snapshot(['consultants', 'users', 'availabilities', 'recurring_rules', 'bookings']),
          );
          if (changed.length) problems.push(`stored-on-refusal: ${res.status} but ${changed.join(', ')} changed`);
        }
        for (const p of problems) {
          const [rule, ...detail] = p.split(': ');
          failures.push({ rule, request: req.label, status: res.status, detail: detail.join(': ') });
        }
        tally.byStatus.set(res.status, (tally.byStatus.get(res.status) ?? 0) + 1);
        const perOp = tally.byOp.get(tp.op.id) ?? new Map<number, number>();
        perOp.set(res.status, (perOp.get(res.status) ?? 0) + 1);
        tally.byOp.set(tp.op.id, perOp);
        learn(tp, res);
      }
      tally.ms = performance.now() - started;
      printTally(templates.length);
      const byRule = groupBy(failures, (f) => f.rule).map(
        ([rule, list]) => `${rule} ×${list.length}, e.g. ${list[0].request} → ${list[0].status}: ${list[0].detail}`,
      );
      inContext(`${failures.length} failures (replay with FUZZ_SEED=${SEED} FUZZ_REQUESTS=${REQUESTS})`, () =>
        expect(byRule).toEqual([]),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  function printTally(total: number): void {
    const lines = [
      `fuzz tally: ${total} requests, seed ${SEED}, ${(tally.ms / 1000).toFixed(1)} s on ${t.databaseUrl ? 'PostgreSQL' : 'embedded PGlite'}, ${tally.dbChecks} database invariance checks, ${failures.length} failures`,
      `  by status: ${[...tally.byStatus]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}×${n}`)
        .join('  ')}`,
    ];
    const never2xx = ops
      .filter((op) => ![...(tally.byOp.get(op.id)?.keys() ?? [])].some((s) => s < 300))
      .map((op) => op.id);
    lines.push(`  operations without a 2xx in this run: ${never2xx.length ? never2xx.join('; ') : 'none'}`);
    if (process.env.FUZZ_VERBOSE)
      for (const op of ops)
        lines.push(
          `    ${op.id}: ${[...(tally.byOp.get(op.id) ?? [])]
            .sort(([a], [b]) => a - b)
            .map(([st, n]) => `${st}×${n}`)
            .join(' ')}`,
        );
    for (const [rule, list] of groupBy(failures, (f) => f.rule))
      lines.push(
        `  FAIL ${rule} ×${list.length}: ${list
          .slice(0, 3)
          .map((f) => `${f.request} → ${f.status}: ${f.detail}`)
          .join(' | ')}`,
      );
    console.log(lines.join('\n'));
  }
});

function groupBy<T>(list: T[], key: (x: T) => string): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const x of list) groups.set(key(x), [...(groups.get(key(x)) ?? []), x]);
  return [...groups];
}
