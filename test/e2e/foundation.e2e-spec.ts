import { assertProblem, createConsultant, createUser } from '../support/factories';
import { ADMIN_TOKEN, useTestApp } from '../support/test-app';

describe('foundation: pipeline, docs, health, auth', () => {
  const { http } = useTestApp();

  it('reports health with the database up', async () => {
    const res = await http.get('/health');
    expect(res).toHaveStatus(200);
    expect(res.body).toEqual({ status: 'ok', database: 'up' });
  });

  it('echoes a sane X-Request-Id and generates one otherwise', async () => {
    const given = await http.get('/health', { 'x-request-id': 'trace-abc.123' });
    expect(given.headers['x-request-id']).toBe('trace-abc.123');
    const generated = await http.get('/health', { 'x-request-id': 'bad id with spaces' });
    expect(String(generated.headers['x-request-id'])).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves an OpenAPI 3 document with problem+json errors and every route', async () => {
    const res = await http.get('/docs-json');
    expect(res).toHaveStatus(200);
    expect(res.body.openapi).toMatch(/^3\./);
    for (const path of [
      '/consultants',
      '/consultant',
      '/consultants/{id}',
      '/consultant/{id}',
      '/users',
      '/user',
      '/users/{id}',
      '/me',
      '/health',
    ]) {
      // Every route is documented.
      expect(Object.keys(res.body.paths)).toContain(path);
      expect(res.body.paths[path]).toBeTruthy();
    }
    const create = res.body.paths['/consultants'].post;
    expect(create.responses['400'].content['application/problem+json']).toBeTruthy();
    expect(create.responses['401']).toBeTruthy();
    expect(create.responses['403']).toBeTruthy();
    expect(create.security).toEqual([{ bearer: [] }]);
    const schema = res.body.components.schemas.CreateConsultantDto;
    expect(schema.required.sort()).toEqual(['first_name', 'last_name']);
    expect(schema.properties.timezone.example).toBe('Europe/Berlin');
    const ui = await http.get('/docs');
    expect(ui).toHaveStatus(200);
    expect(ui.text).toMatch(/swagger/i);
  });

  it('answers an unknown route with a problem+json 404', async () => {
    assertProblem(await http.get('/nowhere'), 404);
  });

  it('refuses a body over 100 KB with 413, and bad JSON with 400', async () => {
    const big = { first_name: 'x'.repeat(110 * 1024), last_name: 'y' };
    assertProblem(await http.as(ADMIN_TOKEN).post('/consultants', big), 413);
    const bad = await http
      .as(ADMIN_TOKEN)
      .request('POST', '/consultants', '{"first_name":', { 'content-type': 'application/json' });
    assertProblem(bad, 400);
  });

  it('takes JSON bodies only: a form or plain-text body is a 415 that stores nothing', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
      assertProblem(await http.request('POST', '/users', 'first_name=A&last_name=B', { 'content-type': type }), 415);
    }
    expect(await http.post('/users', { first_name: 'A', last_name: 'B' })).toHaveStatus(201);
  });

  describe('auth', () => {
    it('says 401 without a token, with a malformed header and with an unknown token', async () => {
      assertProblem(await http.post('/consultants', { first_name: 'A', last_name: 'B' }), 401);
      assertProblem(
        await http.post('/consultants', { first_name: 'A', last_name: 'B' }, { authorization: 'Basic abc' }),
        401,
      );
      assertProblem(
        await http.as('cc_c_not-a-real-token').post('/consultants', { first_name: 'A', last_name: 'B' }),
        401,
      );
      assertProblem(await http.as('cc_a_wrong').get('/me'), 401);
    });

    it('says 403 to a consultant or user creating a consultant', async () => {
      const consultant = await createConsultant(http);
      const user = await createUser(http);
      assertProblem(await http.as(consultant.token).post('/consultants', { first_name: 'A', last_name: 'B' }), 403);
      assertProblem(await http.as(user.token).post('/consultants', { first_name: 'A', last_name: 'B' }), 403);
    });

    it('tells each principal who it is on /me', async () => {
      const consultant = await createConsultant(http, { first_name: 'Ann' });
      const user = await createUser(http, { first_name: 'Bob' });
      expect((await http.as(ADMIN_TOKEN).get('/me')).body).toEqual({ role: 'admin' });
      const me = await http.as(consultant.token).get('/me/');
      expect(me).toHaveStatus(200);
      expect({ role: me.body.role, id: me.body.id, first_name: me.body.first_name }).toEqual({
        role: 'consultant',
        id: consultant.id,
        first_name: 'Ann',
      });
      expect((await http.as(user.token).get('/me')).body.role).toBe('user');
      assertProblem(await http.get('/me'), 401);
    });
  });
});
