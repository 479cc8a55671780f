/**
 * Resource limits (issue 7, part 3; OWASP API4 unrestricted resource consumption, API6
 * unrestricted access to sensitive business flows). Requests that ask for too much: a 100-year
 * range, a page of a billion rows, a 10 MB body, JSON nested ten thousand deep, 100,000-character
 * strings, thousands of entries in a bulk schedule. Each is refused with a 4xx problem before the
 * work it asks for is done (it runs at most the caller's token lookup in SQL) and stores nothing.
 * Bursts beyond the rate limit get 429 with Retry-After. What the refusals cost in time is a bench
 * figure (bench/refusal-cost.ts), not a test.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';
import { inContext, problemErrors, RawReply, RawRequest, send } from './support/client';
import { changedTables, DbReader } from './support/db';
import { type OpenApiDocument, operationsOf, resolve } from './support/openapi';

/** SQL statements a refusal may run: the lookup of the caller's token, nothing of the work refused. */
const REFUSAL_STATEMENTS = 1;
/** Operations documented with a JSON body (more may come; fewer means the loops below lost some). */
const BODY_ROUTES = 10;

describe('resource limits', () => {
  let t: TestApp;
  let db: DbReader;
  let doc: OpenApiDocument;
  let consultant: { id: number; token: string };
  let user: { id: number; token: string };
  let slotId: number;
  let ruleId: number;
  let bookingId: number;
  /** The same app, also listening on a real socket, for what inject cannot show (header limits, streaming). */
  let port: number;

  beforeAll(async () => {
    t = await startTestApp();
    db = await DbReader.open(t);
    doc = (await send(t.app, { method: 'GET', url: '/docs-json' })).json;
    const c = await send(t.app, {
      method: 'POST',
      url: '/consultants',
      token: ADMIN_TOKEN,
      body: { first_name: 'Lim', last_name: 'Its', timezone: 'Europe/Berlin' },
    });
    consultant = { id: c.json.id, token: c.json.api_token };
    const u = await send(t.app, { method: 'POST', url: '/users', body: { first_name: 'Max', last_name: 'Load' } });
    user = { id: u.json.id, token: u.json.api_token };
    slotId = (
      await send(t.app, {
        method: 'POST',
        url: `/consultants/${consultant.id}/availabilities`,
        token: consultant.token,
        body: { date: '2031-05-05', start_time: '09:00', end_time: '10:00' },
      })
    ).json.id;
    await send(t.app, {
      method: 'POST',
      url: `/consultants/${consultant.id}/availabilities`,
      token: consultant.token,
      body: { date: '2031-05-05', start_time: '11:00', end_time: '12:00' },
    });
    ruleId = (
      await send(t.app, {
        method: 'POST',
        url: `/consultants/${consultant.id}/recurring`,
        token: consultant.token,
        body: { day: 'Tue', start_time: '09:00', end_time: '17:00' },
      })
    ).json.id;
    bookingId = (
      await send(t.app, { method: 'POST', url: '/bookings', token: user.token, body: { availability_id: slotId } })
    ).json.id;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await db?.close();
    await t?.close();
  });

  /** Sends, and asserts a problem refusal with one of `statuses` that did none of the work and changed no row. */
  async function refused(
    req: RawRequest,
    statuses: number[],
    what = `${req.method} ${req.url.slice(0, 80)}`,
  ): Promise<RawReply> {
    const before = await db.snapshot();
    const res = await send(t.app, req);
    inContext(`${what}: ${res.status}, expected ${statuses.join('/')}: ${res.text.slice(0, 300)}`, () =>
      expect(statuses).toContain(res.status),
    );
    inContext(`${what}: ${res.text.slice(0, 300)}`, () => expect(problemErrors(res)).toEqual([]));
    inContext(`${what} ran ${res.statements} SQL statements`, () =>
      expect(res.statements).toBeLessThanOrEqual(REFUSAL_STATEMENTS),
    );
    // The problem's `instance` repeats the path; nothing else may grow with the request.
    inContext(`${what} answered ${res.text.length} bytes: a refusal must not amplify`, () =>
      expect(res.text.length).toBeLessThan(20_000 + req.url.length),
    );
    const changed = changedTables(before, await db.snapshot());
    inContext(`${what} was refused but stored something`, () => expect(changed).toEqual([]));
    return res;
  }

  /** Every operation with a JSON body, its URL filled with real ids, and a caller allowed to make it. */
  function bodyRoutes(): { url: string; method: string; token?: string; schema: ReturnType<typeof resolve> }[] {
    const ids: Record<string, number> = { slot_id: slotId, rule_id: ruleId };
    const routes = operationsOf(doc)
      .filter((op) => op.body)
      .map((op) => ({
        method: op.method,
        url: op.path.replace(/\{(\w+)\}/g, (_, name: string) =>
          String(name === 'id' ? (op.path.startsWith('/bookings') ? bookingId : consultant.id) : ids[name]),
        ),
        token:
          op.path.startsWith('/users') || op.path.startsWith('/user')
            ? undefined
            : /reserve|^\/bookings/.test(op.path)
              ? user.token
              : ADMIN_TOKEN,
        schema: resolve(doc, op.body!),
      }));
    // The routes documented with a JSON body: a loop over none would check nothing.
    expect(routes.length).toBeGreaterThanOrEqual(BODY_ROUTES);
    return routes;
  }

  describe('ranges and pages', () => {
    it('refuses a 100-year range in the time-range view, as dates or as instants', async () => {
      const base = `/availabilities/timerange?consultant_id=${consultant.id}`;
      await refused({ method: 'GET', url: `${base}&start=2000-01-01&end=2099-12-31` }, [400]);
      await refused({ method: 'GET', url: `${base}&start=1970-01-01T00:00:00Z&end=9998-12-30T00:00:00Z` }, [400]);
      await refused({ method: 'GET', url: `${base}&start=2031-01-01&end=2031-04-03` }, [400], '93 days');
      await refused(
        { method: 'GET', url: `${base}&start=2031-01-01&end=2031-01-31&slot_minutes=1` },
        [400],
        'slot_minutes=1',
      );
      await refused(
        { method: 'GET', url: `${base}&start=2031-01-01&end=2031-01-31&slot_minutes=1000000000` },
        [400],
        'slot_minutes=1e9',
      );
      const ok = await send(t.app, { method: 'GET', url: `${base}&start=2031-01-01&end=2031-04-02` });
      // 92 days is the most, and allowed.
      expect(ok).toHaveStatus(200);
    });

    it('refuses years outside 1970–9998 in every view', async () => {
      await refused(
        { method: 'GET', url: `/availabilities/monthly?year=100000&month=1&consultant_id=${consultant.id}` },
        [400],
      );
      await refused(
        { method: 'GET', url: `/availabilities/monthly?year=9999&month=12&consultant_id=${consultant.id}` },
        [400],
      );
      for (const date of ['9999-12-31', '0000-01-01', '1969-12-31', '99999-01-01'])
        await refused({ method: 'GET', url: `/consultants/availabilities/${date}` }, [400]);
      for (const bound of ['0001-01-01', '9999-12-31T23:59:59Z', '+275760-09-13T00:00:00Z']) {
        await refused(
          { method: 'GET', url: `/consultants/${consultant.id}/availabilities?from=${encodeURIComponent(bound)}` },
          [400],
        );
        await refused({ method: 'GET', url: `/bookings?to=${encodeURIComponent(bound)}`, token: ADMIN_TOKEN }, [400]);
      }
    });

    it('answers a lifetime range on a paginated list with one bounded page', async () => {
      for (const [path, token] of [
        [`/consultants/${consultant.id}/availabilities`, undefined],
        ['/bookings', ADMIN_TOKEN],
      ] as const) {
        const lifetime = await send(t.app, { method: 'GET', url: `${path}?from=1970-01-01&to=9998-12-31`, token });
        const oneDay = await send(t.app, { method: 'GET', url: `${path}?from=2031-05-05&to=2031-05-05`, token });
        expect(lifetime).toHaveStatus(200);
        inContext(`${path}: ${lifetime.json.data.length} rows, ${lifetime.statements} statements`, () => {
          expect(lifetime.json.data.length).toBeLessThanOrEqual(50);
          // The same statements as for one day: the range bounds the page, not the work.
          expect(lifetime.statements).toBe(oneDay.statements);
        });
      }
    });

    it('refuses limit=1000000000 (and every other out-of-range limit) on every list', async () => {
      const lists = operationsOf(doc).filter(
        (op) => op.method === 'GET' && op.parameters.some((p) => p.name === 'limit'),
      );
      // The paginated lists documented.
      expect(lists.length).toBeGreaterThanOrEqual(8);
      for (const op of lists) {
        const url = op.path.replace('{id}', String(consultant.id)).replace('{date}', '2031-05-05');
        for (const limit of ['1000000000', '201', '0', '-1', '1e9', '99999999999999999999', '2.5']) {
          await refused(
            { method: 'GET', url: `${url}?limit=${limit}`, token: op.secured ? ADMIN_TOKEN : undefined },
            [400],
            `${op.id} limit=${limit}`,
          );
        }
      }
    });
  });

  describe('bodies', () => {
    it('refuses a 10 MB body on every route that takes one with 413', async () => {
      const huge = JSON.stringify({ first_name: 'x'.repeat(10 * 1024 * 1024) });
      for (const r of bodyRoutes())
        await refused(
          { method: r.method, url: r.url, token: r.token, raw: huge, headers: { 'content-type': 'application/json' } },
          [413],
          `${r.method} ${r.url} with 10 MB`,
        );
    });

    it('refuses a 10 MB body over a real socket before reading it all', async () => {
      const { status, type, body } = await new Promise<{ status: number; type: string; body: string }>((done, fail) => {
        let answered = false;
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/users',
            headers: { 'content-type': 'application/json', 'content-length': 10 * 1024 * 1024 },
          },
          (res) => {
            answered = true;
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () =>
              done({ status: res.statusCode!, type: String(res.headers['content-type']), body: text }),
            );
          },
        );
        // The server may close the connection while the client is still writing; that is fine once it has answered.
        req.on('error', (error) => answered || fail(error));
        // Only the first megabyte is ever sent: the answer must not wait for the rest.
        req.write('{"first_name":"' + 'x'.repeat(1024 * 1024));
      });
      // Answered though nine of the ten megabytes announced were never sent.
      expect({ status, text: body }).toHaveStatus(413);
      expect(type).toMatch(/^application\/problem\+json/);
    });

    it('refuses JSON nested ten thousand deep, in any place, with a 400', async () => {
      const objects = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
      const arrays = '['.repeat(10_000) + ']'.repeat(10_000);
      for (const r of bodyRoutes()) {
        const field = Object.keys(r.schema.properties ?? {})[0];
        for (const [where, raw] of [
          ['as the body', arrays],
          ['in an unknown field', `{"deep":${objects}}`],
          [`in ${field}`, `{"${field}":${objects}}`],
          [`as ${field}`, `{"${field}":${arrays}}`],
        ]) {
          await refused(
            { method: r.method, url: r.url, token: r.token, raw, headers: { 'content-type': 'application/json' } },
            [400],
            `${r.method} ${r.url} nested ${where}`,
          );
        }
      }
    });

    it('refuses an object of ten thousand keys without echoing them all back', async () => {
      const wide = JSON.stringify(Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, 0])));
      for (const r of bodyRoutes())
        await refused(
          { method: r.method, url: r.url, token: r.token, raw: wide, headers: { 'content-type': 'application/json' } },
          [400],
          `${r.method} ${r.url} with 10,000 keys`,
        );
      const query = Array.from({ length: 3_000 }, (_, i) => `k${i}=1`).join('&');
      await refused({ method: 'GET', url: `/consultants?${query}` }, [400], '3,000 query parameters');
    });

    it('refuses a 100,000-character string in every string field of every body', async () => {
      const long = 'x'.repeat(100_000);
      let fields = 0;
      for (const r of bodyRoutes()) {
        const schema = r.schema;
        const entry = schema.properties?.availability
          ? resolve(doc, resolve(doc, schema.properties.availability).items!)
          : schema;
        for (const [name, prop] of Object.entries(entry.properties ?? {})) {
          if (resolve(doc, prop).type !== 'string') continue;
          fields++;
          const bulk = !!schema.properties?.availability;
          const body = bulk
            ? { availability: [{ day: 'Mon', start_time: '09:00', end_time: '10:00', [name]: long }] }
            : { [name]: long };
          // Just under the 100 KB limit: validation, not the size limit, must refuse it, naming the field.
          const res = await refused(
            { method: r.method, url: r.url, token: r.token, body },
            [400],
            `${r.method} ${r.url} with a 100,000-character ${name}`,
          );
          const field = bulk ? `availability[0].${name}` : name;
          inContext(`${r.url} names ${field}: ${res.text.slice(0, 300)}`, () =>
            expect(res.json.errors).toContainEqual(expect.objectContaining({ field })),
          );
        }
      }
      // The string fields tried.
      expect(fields).toBeGreaterThanOrEqual(20);
    });

    it('refuses 100,000-character query values, path segments and headers', async () => {
      const long = 'x'.repeat(100_000);
      for (const url of [
        `/consultants?specialization=${long}`,
        `/consultants?cursor=${long}`,
        `/bookings?from=${long}`,
        `/availabilities/timerange?start=${long}&end=${long}&consultant_id=${consultant.id}`,
      ]) {
        await refused({ method: 'GET', url, token: ADMIN_TOKEN }, [400], url.slice(0, 40));
      }
      for (const [method, path] of [
        ['GET', `/consultants/${long}`],
        ['GET', `/bookings/${'9'.repeat(100_000)}`],
        ['GET', `/consultants/availabilities/${long}`],
        ['DELETE', `/consultants/${consultant.id}/recurring/${long}`],
      ]) {
        await refused(
          { method, url: path, token: ADMIN_TOKEN },
          [400],
          `${method} ${path.slice(0, 30)}… (100,000 characters)`,
        );
      }
      await refused(
        { method: 'GET', url: '/me', headers: { authorization: `Bearer ${long}` } },
        [401],
        'a 100,000-character token',
      );
      await refused(
        {
          method: 'POST',
          url: '/bookings',
          token: user.token,
          headers: { 'idempotency-key': long },
          body: { availability_id: slotId },
        },
        [400],
        'a 100,000-character Idempotency-Key',
      );
    });

    it('answers headers over 16 KB on a real socket with a 431 problem', async () => {
      for (const init of [
        { url: `/consultants?specialization=${'x'.repeat(100_000)}` },
        { url: '/me', headers: { authorization: `Bearer ${'x'.repeat(20_000)}` } },
      ]) {
        const res = await fetch(`http://127.0.0.1:${port}${init.url}`, { headers: init.headers });
        expect(res.status).toBe(431);
        expect(String(res.headers.get('content-type'))).toMatch(/^application\/problem\+json/);
        expect(((await res.json()) as { status: number }).status).toBe(431);
      }
    });
  });

  describe('bulk schedules', () => {
    const window = (i: number) => ({
      day_of_week: i % 7,
      start_time: `${String(Math.floor(i / 7) % 24).padStart(2, '0')}:00`,
      end_time: `${String(Math.floor(i / 7) % 24).padStart(2, '0')}:30`,
    });
    const routes = () => [
      { method: 'PUT', url: `/consultants/${consultant.id}/weekly-schedule` },
      { method: 'POST', url: `/api/doctors/${consultant.id}/availability/` },
    ];

    it('refuses thousands of entries, all or nothing', async () => {
      for (const r of routes()) {
        // 1,500 compact entries fit in 100 KB: the entry limit refuses them. 5,000 do not: the size limit does.
        for (const n of [101, 1_500, 5_000, 20_000]) {
          const body = { availability: Array.from({ length: n }, (_, i) => window(i)) };
          await refused(
            { method: r.method, url: r.url, token: consultant.token, body },
            [400, 413],
            `${r.method} ${r.url} with ${n} entries`,
          );
        }
        await refused(
          {
            method: r.method,
            url: r.url,
            token: consultant.token,
            body: { availability: Array.from({ length: 2_000 }, () => ({})) },
          },
          [400],
          `${r.url} with 2,000 empty entries`,
        );
      }
    });

    it('takes the largest allowed schedule (100 windows) in a bounded number of statements', async () => {
      const res = await send(t.app, {
        method: 'PUT',
        url: `/consultants/${consultant.id}/weekly-schedule`,
        token: consultant.token,
        body: { availability: Array.from({ length: 100 }, (_, i) => window(i)) },
      });
      expect(res).toHaveStatus(200);
      expect(res.json.length).toBe(100);
      // Written as a set, not a statement a window.
      inContext(`${res.statements} statements`, () => expect(res.statements).toBeLessThan(100));
    });

    it('answers the largest view under the slot ceiling, and refuses a larger one with a way to narrow it', async () => {
      // Around the clock, every day: the most free time a consultant can publish (287 slots a day).
      const allDay = Array.from({ length: 7 }, (_, d) => ({ day_of_week: d, start_time: '00:00', end_time: '23:59' }));
      expect(
        await send(t.app, {
          method: 'PUT',
          url: `/consultants/${consultant.id}/weekly-schedule`,
          token: consultant.token,
          body: { availability: allDay },
        }),
      ).toHaveStatus(200);
      // 17 days: 4,879 slots, under MAX_SLOTS_PER_RESPONSE's default of 5,000.
      const largest = await send(t.app, {
        method: 'GET',
        url: `/availabilities/timerange?consultant_id=${consultant.id}&start=2031-01-01&end=2031-01-17&slot_minutes=5`,
      });
      expect(largest).toHaveStatus(200);
      expect(largest.json.data[0].slots).toHaveLength(17 * 287);
      // 92 days would be about 26,000 slots (5 MB): refused, with a way to narrow it.
      const tooLarge = await send(t.app, {
        method: 'GET',
        url: `/availabilities/timerange?consultant_id=${consultant.id}&start=2031-01-01&end=2031-04-02&slot_minutes=5`,
      });
      expect(tooLarge).toHaveStatus(400);
      expect(problemErrors(tooLarge)).toEqual([]);
      expect(tooLarge.json).toMatchObject({ type: '/problems/response-too-large', max_slots: 5000 });
      // The refusal lists no slot: a short problem, not the 5 MB view.
      expect(tooLarge.text.length).toBeLessThan(2000);
      // No more statements than the largest allowed view: the same schedule read, nothing per slot.
      expect(tooLarge.statements).toBeLessThanOrEqual(largest.statements);
    });
  });
});

describe('rate limiting', () => {
  const LIMIT = 20;
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
  });
  afterAll(() => t.close());

  /** A client address of the test's own (documentation range 198.51.100.0/24): a budget no other test spent. */
  let clients = 0;
  const ownAddress = () => `198.51.100.${++clients}`;

  async function burst(n: number, req: (i: number) => RawRequest): Promise<RawReply[]> {
    const replies: RawReply[] = [];
    for (let i = 0; i < n; i++) replies.push(await send(t.app, req(i)));
    return replies;
  }

  it('answers a burst beyond the limit with 429, Retry-After and a problem, before any work', async () => {
    const from = ownAddress();
    const replies = await burst(LIMIT + 10, () => ({ method: 'GET', url: '/consultants', remoteAddress: from }));
    expect(replies.map((r) => r.status)).toEqual([...Array(LIMIT).fill(200), ...Array(10).fill(429)]);
    for (const r of replies.slice(LIMIT)) {
      expect(problemErrors(r)).toEqual([]);
      expect(r.json.type).toBe('/problems/rate-limited');
      inContext(`Retry-After: ${r.headers['retry-after']}`, () => {
        expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
        expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(60);
      });
      // Refused before the list was read.
      expect(r.statements).toBe(0);
    }
  });

  it('counts one budget per client across all routes, not one per route', async () => {
    const from = ownAddress();
    const signup = await send(t.app, {
      method: 'POST',
      url: '/users',
      body: { first_name: 'Rate', last_name: 'Limited' },
      remoteAddress: from,
    });
    expect(signup.status).toBe(201);
    const user = { id: signup.json.id, token: signup.json.api_token };
    const routes = [
      '/me',
      '/consultants',
      '/bookings',
      `/users/${user.id}`,
      '/consultants/availabilities/2031-05-05',
      `/users/${user.id}/calendar.ics`,
    ];
    const replies = await burst(LIMIT + 1, (i) => ({
      method: 'GET',
      url: routes[i % routes.length],
      token: user.token,
      remoteAddress: from,
    }));
    inContext(replies.map((r) => r.status).join(','), () =>
      expect(replies.map((r) => r.status === 429)).toEqual([...Array(LIMIT).fill(false), true]),
    );
  });

  it('gives each principal its own budget and never limits /health', async () => {
    const from = ownAddress();
    const admin = await burst(LIMIT, () => ({ method: 'GET', url: '/me', token: ADMIN_TOKEN, remoteAddress: from }));
    // The admin has a budget of its own.
    expect(admin.map((r) => r.status)).toEqual(Array(LIMIT).fill(200));
    expect(await send(t.app, { method: 'GET', url: '/me', token: ADMIN_TOKEN, remoteAddress: from })).toHaveStatus(429);
    const health = await burst(LIMIT * 2, () => ({ method: 'GET', url: '/health', remoteAddress: from }));
    // Health checks are not limited.
    expect(health.map((r) => r.status)).toEqual(Array(LIMIT * 2).fill(200));
  });

  it('limits sign-ups per IP, so fresh tokens cannot be minted without bound', async () => {
    const from = ownAddress();
    const spent = await burst(LIMIT, () => ({ method: 'GET', url: '/consultants', remoteAddress: from }));
    expect(spent.map((r) => r.status)).toEqual(Array(LIMIT).fill(200));
    // This IP has spent its budget: signing up (which would mint a fresh budget) is limited too.
    const res = await send(t.app, {
      method: 'POST',
      url: '/users',
      body: { first_name: 'Mint', last_name: 'Ed' },
      remoteAddress: from,
    });
    expect(res).toHaveStatus(429);
  });

  it('answers made-up tokens with 401 at the cost of one lookup, never a 5xx', async () => {
    const from = ownAddress();
    const replies = await burst(50, (i) => ({
      method: 'GET',
      url: '/consultants',
      token: `cc_u_made-up-${i}`,
      remoteAddress: from,
    }));
    expect(replies.map((r) => r.status)).toEqual(Array(50).fill(401));
    // One lookup of the token at most (a malformed one needs none), whatever the route would do.
    expect(Math.max(...replies.map((r) => r.statements))).toBeLessThanOrEqual(1);
  });
});
