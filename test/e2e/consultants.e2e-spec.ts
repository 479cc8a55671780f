import { assertProblem, createConsultant, createUser } from '../support/factories';
import { useTestApp } from '../support/test-app';

describe('consultants and users', () => {
  const { http, admin } = useTestApp();

  it('runs the seed "Create Entities" curls (with the admin token)', async () => {
    const consultant = await admin.post('/consultant/', { first_name: 'John', last_name: 'Doe' });
    expect(consultant).toHaveStatus(201);
    expect(consultant.body.first_name).toBe('John');
    expect(consultant.body.timezone).toBe('UTC');
    expect(consultant.body.api_token).toMatch(/^cc_c_/);
    const user = await http.post('/user/', { first_name: 'Jane', last_name: 'Smith' });
    expect(user).toHaveStatus(201);
    expect(user.body.api_token).toMatch(/^cc_u_/);
    const fetched = await http.get(`/consultant/${consultant.body.id}/`);
    expect(fetched).toHaveStatus(200);
    // The token is shown once only.
    expect(fetched.body.api_token).toBeUndefined();
    expect(fetched.body).toEqual((await http.get(`/consultants/${consultant.body.id}`)).body);
  });

  it('creates with a time zone and specialization, and lists by specialization with cursors', async () => {
    for (let i = 0; i < 3; i++)
      await createConsultant(http, { specialization: 'dermatology', timezone: 'Asia/Kolkata' });
    const first = await http.get('/consultants?specialization=dermatology&limit=2');
    expect(first).toHaveStatus(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.data[0].timezone).toBe('Asia/Kolkata');
    expect(first.body.next_cursor).toBeTruthy();
    const second = await http.get(`/consultants?specialization=dermatology&limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data).toHaveLength(1);
    expect(second.body.next_cursor).toBeNull();
    expect(second.body.data[0].id).toBeGreaterThan(first.body.data[1].id);
  });

  it('rejects each invalid field with a named error, and stores nothing', async () => {
    const before = (await http.get('/consultants?limit=200')).body.data.length;
    const cases: [Record<string, unknown>, string][] = [
      [{ last_name: 'Doe' }, 'first_name'],
      [{ first_name: '', last_name: 'Doe' }, 'first_name'],
      [{ first_name: 'x'.repeat(51), last_name: 'Doe' }, 'first_name'],
      [{ first_name: 42, last_name: 'Doe' }, 'first_name'],
      [{ first_name: 'John', last_name: 'Doe', timezone: 'Mars/Olympus' }, 'timezone'],
      [{ first_name: 'John', last_name: 'Doe', timezone: '+05:00' }, 'timezone'],
      [{ first_name: 'John', last_name: 'Doe', specialization: 'x'.repeat(101) }, 'specialization'],
      [{ first_name: 'John', last_name: 'Doe', is_admin: true }, 'is_admin'],
      [{ first_name: 'John', last_name: 'Doe', id: 7 }, 'id'],
      [{ first_name: 'John', last_name: 'Doe', api_token: 'cc_c_x' }, 'api_token'],
    ];
    for (const [body, field] of cases) {
      const res = await admin.post('/consultants', body);
      assertProblem(res, 400);
      // Each body's errors name its bad field (the body and the whole reply show on failure).
      expect({ body, reply: res.body }).toMatchObject({
        reply: { errors: expect.arrayContaining([expect.objectContaining({ field })]) },
      });
    }
    // A zone that is not IANA's, and one IANA's in another spelling (it is stored as spelled).
    for (const [timezone, message] of [
      ['Mars/Olympus', 'must be an IANA time zone such as Europe/Berlin'],
      ['europe/berlin', 'must be spelled as the IANA database spells it, such as Europe/Berlin or UTC'],
    ])
      expect((await admin.post('/consultants', { first_name: 'J', last_name: 'D', timezone })).body.errors).toEqual([
        { field: 'timezone', message },
      ]);
    assertProblem(await admin.post('/consultants', [1, 2]), 400);
    assertProblem(await http.post('/users', { first_name: 'A', last_name: 'B', role: 'admin' }), 400);
    expect((await http.get('/consultants?limit=200')).body.data).toHaveLength(before);
  });

  it('validates ids, page sizes and cursors', async () => {
    for (const id of ['abc', '0', '-1', '1.5', '99999999999', '1e3'])
      assertProblem(await http.get(`/consultants/${id}`), 400);
    assertProblem(await http.get('/consultants/999999'), 404);
    assertProblem(await http.get('/consultants?limit=0'), 400);
    assertProblem(await http.get('/consultants?limit=201'), 400);
    assertProblem(await http.get('/consultants?limit=abc'), 400);
    assertProblem(await http.get('/consultants?cursor=bm90LWpzb24'), 400);
    assertProblem(await http.get('/consultants?unknown=1'), 400);
  });

  it('lets the consultant itself or the admin patch it, and nobody else', async () => {
    const a = await createConsultant(http);
    const b = await createConsultant(http);
    const user = await createUser(http);
    const own = await http
      .as(a.token)
      .patch(`/consultants/${a.id}/`, { timezone: 'America/New_York', specialization: 'cardiology' });
    expect(own).toHaveStatus(200);
    expect(own.body.timezone).toBe('America/New_York');
    expect((await admin.patch(`/consultants/${a.id}`, { first_name: 'Renamed' })).body.first_name).toBe('Renamed');
    assertProblem(await http.as(b.token).patch(`/consultants/${a.id}`, { first_name: 'Hijack' }), 403);
    assertProblem(await http.as(user.token).patch(`/consultants/${a.id}`, { first_name: 'Hijack' }), 403);
    assertProblem(await http.patch(`/consultants/${a.id}`, { first_name: 'Hijack' }), 401);
    assertProblem(await http.as(a.token).patch(`/consultants/${a.id}`, { timezone: 'Nowhere/City' }), 400);
    assertProblem(await http.as(a.token).patch(`/consultants/${a.id}`, { first_name: null }), 400);
    assertProblem(await admin.patch('/consultants/999999', { first_name: 'Ghost' }), 404);
    expect((await http.get(`/consultants/${a.id}`)).body.first_name).toBe('Renamed');
  });

  it('lets only the admin delete a consultant', async () => {
    const a = await createConsultant(http);
    assertProblem(await http.as(a.token).delete(`/consultants/${a.id}`), 403);
    expect(await admin.delete(`/consultants/${a.id}`)).toHaveStatus(204);
    assertProblem(await http.get(`/consultants/${a.id}`), 404);
    assertProblem(await admin.delete(`/consultants/${a.id}`), 404);
    assertProblem(await http.as(a.token).get('/me'), 401);
  });

  it('shows a user to itself and the admin only', async () => {
    const u = await createUser(http);
    const other = await createUser(http);
    const consultant = await createConsultant(http);
    expect((await http.as(u.token).get(`/users/${u.id}`)).body.id).toBe(u.id);
    expect(await admin.get(`/users/${u.id}/`)).toHaveStatus(200);
    assertProblem(await http.as(other.token).get(`/users/${u.id}`), 403);
    assertProblem(await http.as(consultant.token).get(`/users/${u.id}`), 403);
    assertProblem(await http.get(`/users/${u.id}`), 401);
    assertProblem(await admin.get('/users/999999'), 404);
  });
});
