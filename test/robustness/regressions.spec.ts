/**
 * Defects the fuzzer and the limit probes found, each pinned by the smallest request that showed
 * it (docs/RELIABILITY.md lists them). Every answer here must be a problem with the given status.
 */
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';
import { inContext, problemErrors, RawRequest, send } from './support/client';
import { changedTables, DbReader } from './support/db';

describe('regressions found by fuzzing', () => {
  let t: TestApp;
  let db: DbReader;
  let consultant: { id: number; token: string };
  let user: { id: number; token: string };
  let slotId: number;

  beforeAll(async () => {
    t = await startTestApp();
    db = await DbReader.open(t);
    const c = await send(t.app, {
      method: 'POST',
      url: '/consultants',
      token: ADMIN_TOKEN,
      body: { first_name: 'Reg', last_name: 'Ression', timezone: 'America/New_York' },
    });
    consultant = { id: c.json.id, token: c.json.api_token };
    const u = await send(t.app, { method: 'POST', url: '/users', body: { first_name: 'Fuzz', last_name: 'Ed' } });
    user = { id: u.json.id, token: u.json.api_token };
    slotId = (
      await send(t.app, {
        method: 'POST',
        url: `/consultants/${consultant.id}/availabilities`,
        token: consultant.token,
        body: { date: '2031-05-05', start_time: '09:00', end_time: '10:00' },
      })
    ).json.id;
    // An overnight window every day: the daily view must turn it into instants around the date asked.
    for (let day = 0; day < 7; day++)
      await send(t.app, {
        method: 'POST',
        url: `/consultants/${consultant.id}/recurring`,
        token: consultant.token,
        body: { day_of_week: day, start_time: '20:00', end_time: '02:00' },
      });
  });
  afterAll(async () => {
    await db?.close();
    await t?.close();
  });

  async function problem(req: RawRequest, status: number, type?: string) {
    const before = await db.snapshot();
    const res = await send(t.app, req);
    const what = `${req.method} ${req.url.slice(0, 120)} ${req.raw ?? JSON.stringify(req.body) ?? ''}`.slice(0, 200);
    inContext(what, () => {
      expect(res).toHaveStatus(status);
      inContext(res.text.slice(0, 300), () => expect(problemErrors(res)).toEqual([]));
      if (type) expect(res.json.type).toBe(type);
    });
    const changed = changedTables(before, await db.snapshot());
    inContext(`${what} stored something`, () => expect(changed).toEqual([]));
    return res;
  }

  it('refuses null in a booking field with a 400 naming it (was a 500 from the time arithmetic)', async () => {
    const bodies: [Record<string, unknown>, string][] = [
      [{ date: '2031-05-05', start_time: '09:00', end_time: null }, 'end_time'],
      [{ date: null, start_time: '09:00', end_time: '10:00' }, 'date'],
      [{ date: '2031-05-05', start_time: null, end_time: '10:00' }, 'start_time'],
      [{ start: null, end: '2031-05-05T14:00:00Z' }, 'start'],
      [{ start: '2031-05-05T13:00:00Z', end: null }, 'end'],
      [{ availability_id: null }, 'availability_id'],
      [{ availability_id: slotId, user_id: null }, 'user_id'],
    ];
    for (const [body, field] of bodies) {
      for (const url of ['/bookings', `/consultant/${consultant.id}/reserve`]) {
        const res = await problem(
          {
            method: 'POST',
            url,
            token: user.token,
            body: url === '/bookings' ? { consultant_id: consultant.id, ...body } : body,
          },
          400,
        );
        inContext(`${url} ${JSON.stringify(body)} names ${field}: ${res.text}`, () =>
          expect(res.json.errors).toContainEqual(expect.objectContaining({ field })),
        );
      }
    }
    await problem(
      { method: 'POST', url: '/bookings', token: user.token, body: { consultant_id: null, availability_id: slotId } },
      400,
    );
  });

  it('refuses keys that name Object.prototype members like any unknown field (they were dropped silently)', async () => {
    for (const key of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
      const res = await problem(
        {
          method: 'POST',
          url: '/users',
          raw: `{"first_name":"A","last_name":"B","${key}":1}`,
          headers: { 'content-type': 'application/json' },
        },
        400,
      );
      expect(res.json.errors).toEqual([{ field: key, message: 'is not a known field' }]);
      await problem(
        {
          method: 'PUT',
          url: `/consultants/${consultant.id}/weekly-schedule`,
          token: consultant.token,
          raw: `{"availability":[{"day":"Mon","start_time":"09:00","end_time":"10:00","${key}":1}]}`,
          headers: { 'content-type': 'application/json' },
        },
        400,
      );
      await problem({ method: 'GET', url: `/consultants?${key}=1` }, 400);
    }
  });

  it('refuses JSON nested deeper than any request needs (ten thousand levels were a 500: stack overflow)', async () => {
    await problem(
      {
        method: 'POST',
        url: '/users',
        raw: '{"first_name":' + '['.repeat(5_000) + ']'.repeat(5_000) + '}',
        headers: { 'content-type': 'application/json' },
      },
      400,
      '/problems/validation-error',
    );
    await problem(
      {
        method: 'POST',
        url: '/users',
        raw: JSON.stringify({
          first_name: 'A',
          last_name: 'B',
          x: JSON.parse('{"a":'.repeat(17) + '1' + '}'.repeat(17)),
        }),
        headers: { 'content-type': 'application/json' },
      },
      400,
    );
    // Sixteen levels is plenty for every body the API takes, and is still validated normally.
    const res = await problem(
      {
        method: 'POST',
        url: '/users',
        raw: JSON.stringify({
          first_name: 'A',
          last_name: 'B',
          x: JSON.parse('{"a":'.repeat(14) + '1' + '}'.repeat(14)),
        }),
        headers: { 'content-type': 'application/json' },
      },
      400,
    );
    expect(res.json.errors).toEqual([{ field: 'x', message: 'is not a known field' }]);
  });

  it('answers a broken URL or an over-long path parameter with a 400 problem (was a raw Fastify 400/414)', async () => {
    for (const url of [
      '/consultants/%E0%A4%A',
      '/consultants/%',
      `/consultants/${'1'.repeat(101)}`,
      `/consultants/${consultant.id}/availabilities/${'a'.repeat(150)}`,
    ]) {
      const res = await problem(
        { method: url.includes('/availabilities/') ? 'DELETE' : 'GET', url, token: ADMIN_TOKEN },
        400,
        '/problems/validation-error',
      );
      // The request id is echoed here too.
      expect(res.headers['x-request-id']).toBeTruthy();
      expect(res.text).not.toMatch(/FST_ERR/);
    }
  });

  it("gives Fastify's own refusals the README's problem types (they were all /problems/bad-request)", async () => {
    const json = { 'content-type': 'application/json' };
    await problem(
      { method: 'POST', url: '/users', raw: '{"first_name":', headers: json },
      400,
      '/problems/malformed-body',
    );
    await problem({ method: 'POST', url: '/users', raw: '', headers: json }, 400, '/problems/malformed-body');
    await problem(
      { method: 'POST', url: '/users', raw: '{"__proto__":{"x":1}}', headers: json },
      400,
      '/problems/malformed-body',
    );
    await problem(
      { method: 'POST', url: '/users', raw: JSON.stringify({ first_name: 'x'.repeat(200_000) }), headers: json },
      413,
      '/problems/payload-too-large',
    );
    await problem(
      { method: 'POST', url: '/users', raw: '<user/>', headers: { 'content-type': 'application/xml' } },
      415,
      '/problems/unsupported-media-type',
    );
  });

  it('refuses a daily view outside the years 1970–9998 (9999-12-31 and 0000-01-01 were 500s)', async () => {
    for (const date of ['9999-12-31', '0000-01-01', '1969-12-31'])
      await problem({ method: 'GET', url: `/consultants/availabilities/${date}` }, 400, '/problems/validation-error');
    for (const date of ['9998-12-31', '1970-01-01']) {
      const res = await send(t.app, { method: 'GET', url: `/consultants/availabilities/${date}` });
      inContext(date, () => expect(res).toHaveStatus(200));
      // Instants print as plain ISO 8601.
      for (const slot of res.json.data.flatMap((d: { slots: { start: string; end: string }[] }) => d.slots))
        expect(`${slot.start} ${slot.end}`).toMatch(/^\d{4}-\d\d-\d\dT\S+Z \d{4}-\d\d-\d\dT\S+Z$/);
    }
  });

  it('documents every refusal a route can give (401, 429, and 413/415 for bodies)', async () => {
    const doc = (await send(t.app, { method: 'GET', url: '/docs-json' })).json;
    // Lists document limit and cursor.
    expect(doc.paths['/consultants'].get.parameters).toContainEqual(expect.objectContaining({ name: 'limit' }));
    const users = doc.paths['/users'].post.responses;
    for (const status of ['401', '413', '415', '429'])
      inContext(`POST /users documents ${status}`, () => expect(users[status]).toBeTruthy());
    // /health is not rate limited.
    expect(doc.paths['/health'].get.responses['429']).toBeUndefined();
  });
});
