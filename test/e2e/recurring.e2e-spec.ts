import { assertProblem, createConsultant, createUser } from '../support/factories';
import { Http, Reply } from '../support/http';
import { useTestApp } from '../support/test-app';

const RULE_FIELDS = [
  'consultant_id',
  'day',
  'day_of_week',
  'end_time',
  'id',
  'is_active',
  'start_time',
  'valid_from',
  'valid_until',
];

const fieldsOf = (res: Reply): string[] => (res.body.errors ?? []).map((e: { field: string }) => e.field);

function assertNamesField(res: Reply, field: string, what: string): void {
  assertProblem(res, 400);
  expect(res.body).toMatchObject({ type: '/problems/validation-error' });
  // `what` rides along so that a failure names the case.
  expect({ what, fields: fieldsOf(res) }).toEqual({ what, fields: expect.arrayContaining([field]) });
}

function assertOverlap(res: Reply, what: string): void {
  assertProblem(res, 409);
  // `what` rides along so that a failure names the case.
  expect({ what, body: res.body }).toMatchObject({ what, body: { type: '/problems/recurring-overlap' } });
}

type Window = { day?: string; day_of_week?: number; start_time: string; end_time: string; [more: string]: unknown };

describe('recurring availability', () => {
  const { http, admin } = useTestApp();

  /** All of a consultant's rules, as the public list shows them. */
  async function rulesOf(consultantId: number): Promise<any[]> {
    const res = await http.get(`/consultants/${consultantId}/recurring?limit=200`);
    expect(res).toHaveStatus(200);
    expect(res.body.next_cursor).toBeNull();
    return res.body.data;
  }

  async function createRule(as: Http, consultantId: number, body: Window): Promise<any> {
    const res = await as.post(`/consultants/${consultantId}/recurring`, body);
    expect(res).toHaveStatus(201);
    return res.body;
  }

  const window = (day: string, start_time: string, end_time: string): Window => ({ day, start_time, end_time });

  it('creates a rule from day_of_week, from day, or from both agreeing, and answers with both', async () => {
    const c = await createConsultant(http);
    const me = http.as(c.token);
    const monday = await me.post(`/consultants/${c.id}/recurring`, {
      day_of_week: 0,
      start_time: '09:00',
      end_time: '12:00',
    });
    expect(monday).toHaveStatus(201);
    expect(Object.keys(monday.body).sort()).toEqual(RULE_FIELDS);
    expect(monday.body).toEqual({
      id: monday.body.id,
      consultant_id: c.id,
      day_of_week: 0,
      day: 'Mon',
      start_time: '09:00:00',
      end_time: '12:00:00',
      is_active: true,
      valid_from: null,
      valid_until: null,
    });
    // The seed 000 path, with the seed's trailing slash.
    const tuesday = await me.post(`/consultant/${c.id}/recurring/`, {
      day: 'Tue',
      start_time: '08:00:00',
      end_time: '16:30:15',
    });
    expect(tuesday).toHaveStatus(201);
    expect(tuesday.body.day_of_week).toBe(1);
    expect(tuesday.body.day).toBe('Tue');
    expect(tuesday.body.end_time).toBe('16:30:15');
    const sunday = await createRule(me, c.id, { day_of_week: 6, day: 'Sun', start_time: '10:00', end_time: '11:00' });
    expect(sunday.day_of_week).toBe(6);
    expect(sunday.day).toBe('Sun');
    const all = await createRule(me, c.id, {
      day_of_week: 3,
      start_time: '10:00',
      end_time: '11:00',
      is_active: false,
      valid_from: '2026-01-01',
      valid_until: '2026-12-31',
    });
    expect(all.day).toBe('Thu');
    expect(all.is_active).toBe(false);
    expect(all.valid_from).toBe('2026-01-01');
    expect(all.valid_until).toBe('2026-12-31');

    // Listed by day, then start; the seed paths show the same list.
    const list = await http.get(`/consultants/${c.id}/recurring`);
    expect(list).toHaveStatus(200);
    expect(list.body).toEqual({ data: [monday.body, tuesday.body, all, sunday], next_cursor: null });
    for (const url of [
      `/consultant/${c.id}/recurring/`,
      `/consultant/${c.id}/recurring`,
      `/consultants/${c.id}/recurring/`,
      `/api/doctors/${c.id}/availability/`,
    ]) {
      expect({ url, body: (await http.get(url)).body }).toEqual({ url, body: list.body });
    }
  });

  it('rejects a bad day, disagreeing day fields, bad times and validity, and unknown fields, storing nothing', async () => {
    const c = await createConsultant(http);
    const me = http.as(c.token);
    const times = { start_time: '09:00', end_time: '10:00' };
    const cases: [Record<string, unknown>, string][] = [
      [{ day_of_week: 2, day: 'Thu', ...times }, 'day'],
      [{ day_of_week: 0, day: 'Sun', ...times }, 'day'],
      [{ ...times }, 'day_of_week'],
      [{ day_of_week: 7, ...times }, 'day_of_week'],
      [{ day_of_week: -1, ...times }, 'day_of_week'],
      [{ day_of_week: 1.5, ...times }, 'day_of_week'],
      [{ day_of_week: '1', ...times }, 'day_of_week'],
      [{ day_of_week: null, day: 'Mon', ...times }, 'day_of_week'],
      [{ day: 'Xyz', ...times }, 'day'],
      [{ day: 'Monday', ...times }, 'day'],
      [{ day: 0, ...times }, 'day'],
      [{ day: 'Mon', start_time: '10:00', end_time: '10:00' }, 'end_time'],
      [{ day: 'Mon', start_time: '10:00', end_time: '10:00:00' }, 'end_time'],
      [{ day: 'Mon', start_time: '24:00', end_time: '10:00' }, 'start_time'],
      [{ day: 'Mon', start_time: '9:00', end_time: '10:00' }, 'start_time'],
      [{ day: 'Mon', start_time: '09:00' }, 'end_time'],
      [{ day: 'Mon', ...times, valid_from: '2026-07-01', valid_until: '2026-06-30' }, 'valid_until'],
      [{ day: 'Mon', ...times, valid_from: '2026-02-30' }, 'valid_from'],
      [{ day: 'Mon', ...times, valid_until: '2026-06-30T00:00:00Z' }, 'valid_until'],
      [{ day: 'Mon', ...times, is_active: 'yes' }, 'is_active'],
      [{ day: 'Mon', ...times, id: 77 }, 'id'],
      [{ day: 'Mon', ...times, consultant_id: c.id }, 'consultant_id'],
      // Seed 004's own name for the flag; the contract's is is_active.
      [{ day: 'Mon', ...times, is_available: true }, 'is_available'],
      [{ day: 'Mon', ...times, created_at: '2026-01-01T00:00:00Z' }, 'created_at'],
    ];
    for (const [body, field] of cases) {
      assertNamesField(await me.post(`/consultants/${c.id}/recurring`, body), field, JSON.stringify(body));
      assertNamesField(
        await admin.post(`/consultant/${c.id}/recurring/`, body),
        field,
        `seed path ${JSON.stringify(body)}`,
      );
    }
    assertProblem(await me.post(`/consultants/${c.id}/recurring`, [{ day: 'Mon', ...times }]), 400);
    expect(await rulesOf(c.id)).toEqual([]);
    // One validity day is enough.
    const oneDay = await createRule(me, c.id, {
      day: 'Mon',
      ...times,
      valid_from: '2026-06-29',
      valid_until: '2026-06-29',
    });
    expect(oneDay.valid_until).toBe('2026-06-29');
  });

  it('refuses a rule overlapping another active rule with a 409; touching windows and several per day are fine', async () => {
    const c = await createConsultant(http);
    const me = http.as(c.token);
    const day = await createRule(me, c.id, window('Mon', '09:00', '12:00'));
    const afternoon = await createRule(me, c.id, window('Mon', '13:00', '17:00'));
    const early = await createRule(me, c.id, window('Mon', '08:00', '09:00'));
    const lunch = await createRule(me, c.id, window('Mon', '12:00', '13:00'));
    const tuesday = await createRule(me, c.id, window('Tue', '09:00', '12:00'));
    for (const body of [
      window('Mon', '11:00', '14:00'),
      window('Mon', '09:00', '12:00'),
      window('Mon', '10:00', '10:30'),
      window('Mon', '07:00', '18:00'),
      { day_of_week: 0, start_time: '16:59:59', end_time: '18:00' },
    ]) {
      assertOverlap(await me.post(`/consultants/${c.id}/recurring`, body), JSON.stringify(body));
    }
    expect((await rulesOf(c.id)).map((r) => r.id)).toEqual([early.id, day.id, lunch.id, afternoon.id, tuesday.id]);
  });

  it('sees overlaps across midnight and across the end of the week', async () => {
    // Monday 23:00→01:00 runs into Tuesday.
    const a = await createConsultant(http);
    const asA = http.as(a.token);
    const mondayNight = await createRule(asA, a.id, window('Mon', '23:00', '01:00'));
    expect(mondayNight.end_time).toBe('01:00:00');
    assertOverlap(await asA.post(`/consultants/${a.id}/recurring`, window('Tue', '00:30', '02:00')), 'Tue 00:30');
    assertOverlap(await asA.post(`/consultants/${a.id}/recurring`, window('Mon', '22:00', '23:30')), 'Mon 22:00');
    assertOverlap(await asA.post(`/consultants/${a.id}/recurring`, window('Mon', '23:30', '00:15')), 'Mon 23:30→00:15');
    await createRule(asA, a.id, window('Tue', '01:00', '02:00'));
    await createRule(asA, a.id, window('Mon', '22:00', '23:00'));
    expect(await rulesOf(a.id)).toHaveLength(3);

    // Sunday 23:00→01:00 runs into Monday, in either order of creation.
    const b = await createConsultant(http);
    const asB = http.as(b.token);
    await createRule(asB, b.id, window('Sun', '23:00', '01:00'));
    assertOverlap(
      await asB.post(`/consultants/${b.id}/recurring`, window('Mon', '00:00', '00:30')),
      'Mon 00:00 after Sun 23:00→01:00',
    );
    await createRule(asB, b.id, window('Mon', '01:00', '02:00'));
    const c = await createConsultant(http);
    const asC = http.as(c.token);
    await createRule(asC, c.id, window('Mon', '00:00', '00:30'));
    assertOverlap(
      await asC.post(`/consultants/${c.id}/recurring`, window('Sun', '23:00', '01:00')),
      'Sun 23:00→01:00 after Mon 00:00',
    );
    expect(await rulesOf(c.id)).toHaveLength(1);
  });

  it('lets windows overlap only when their validity periods share no day', async () => {
    const c = await createConsultant(http);
    const me = http.as(c.token);
    // 2026-06-22 and 2026-06-29 are Mondays; 2026-06-28 is a Sunday.
    const untilJune22 = await createRule(me, c.id, { ...window('Mon', '09:00', '17:00'), valid_until: '2026-06-22' });
    const fromJune23 = await createRule(me, c.id, { ...window('Mon', '10:00', '12:00'), valid_from: '2026-06-23' });
    assertOverlap(
      await me.post(`/consultants/${c.id}/recurring`, {
        ...window('Mon', '13:00', '14:00'),
        valid_from: '2026-06-22',
        valid_until: '2026-06-22',
      }),
      'both valid on 06-22',
    );
    assertOverlap(await me.post(`/consultants/${c.id}/recurring`, window('Mon', '11:00', '11:30')), 'open-ended');
    expect((await rulesOf(c.id)).map((r) => r.id)).toEqual([untilJune22.id, fromJune23.id]);

    // A Sunday night window on its last valid day still runs into the next Monday.
    const d = await createConsultant(http);
    const asD = http.as(d.token);
    await createRule(asD, d.id, { ...window('Sun', '23:00', '01:00'), valid_until: '2026-06-28' });
    assertOverlap(
      await asD.post(`/consultants/${d.id}/recurring`, {
        ...window('Mon', '00:00', '00:30'),
        valid_from: '2026-06-29',
      }),
      'spill into 06-29',
    );
    await createRule(asD, d.id, { ...window('Mon', '00:00', '00:30'), valid_from: '2026-06-30' });
    expect(await rulesOf(d.id)).toHaveLength(2);
  });

  it('lets an inactive rule overlap; activating it is a 409 and changes nothing', async () => {
    const c = await createConsultant(http);
    const me = http.as(c.token);
    const active = await createRule(me, c.id, window('Mon', '09:00', '17:00'));
    const inactive = await createRule(me, c.id, { ...window('Mon', '10:00', '11:00'), is_active: false });
    expect(inactive.is_active).toBe(false);
    const alsoInactive = await createRule(me, c.id, { ...window('Mon', '10:30', '11:30'), is_active: false });
    const before = await rulesOf(c.id);

    assertOverlap(
      await me.patch(`/consultants/${c.id}/recurring/${inactive.id}`, { is_active: true }),
      'PATCH is_active',
    );
    expect(await rulesOf(c.id)).toEqual(before);
    assertOverlap(await me.patch(`/api/availability/${inactive.id}/toggle/`), 'toggle');
    expect(await rulesOf(c.id)).toEqual(before);
    assertOverlap(
      await me.patch(`/consultants/${c.id}/recurring/${inactive.id}`, {
        is_active: true,
        start_time: '16:00',
        end_time: '18:00',
      }),
      'PATCH times and is_active',
    );
    expect(await rulesOf(c.id)).toEqual(before);

    // An inactive rule's times may change freely, even onto an active window.
    const moved = await me.patch(`/consultants/${c.id}/recurring/${alsoInactive.id}`, {
      start_time: '11:00',
      end_time: '12:00',
    });
    expect(moved).toHaveStatus(200);
    expect(moved.body.is_active).toBe(false);
    expect(moved.body.start_time).toBe('11:00:00');

    // Switch the big window off: the small ones may now come on.
    const off = await me.patch(`/api/availability/${active.id}/toggle`);
    expect(off).toHaveStatus(200);
    expect(off.body.is_active).toBe(false);
    const on = await me.patch(`/api/availability/${inactive.id}/toggle/`);
    expect(on).toHaveStatus(200);
    expect(on.body.is_active).toBe(true);
    const onToo = await me.patch(`/consultants/${c.id}/recurring/${alsoInactive.id}/`, { is_active: true });
    expect(onToo).toHaveStatus(200);
    expect(onToo.body.is_active).toBe(true);
    // And the big one may not come back while they are on.
    const now = await rulesOf(c.id);
    assertOverlap(await me.patch(`/api/availability/${active.id}/toggle/`), 'toggle back');
    assertOverlap(await me.patch(`/consultants/${c.id}/recurring/${active.id}`, { is_active: true }), 'PATCH back');
    expect(await rulesOf(c.id)).toEqual(now);
    expect(now.map((r) => [r.id, r.is_active])).toEqual([
      [active.id, false],
      [inactive.id, true],
      [alsoInactive.id, true],
    ]);
  });

  it('PATCH changes any field; a change that overlaps or is malformed is refused and changes nothing', async () => {
    const c = await createConsultant(http);
    const me = http.as(c.token);
    const rule = await createRule(me, c.id, window('Mon', '09:00', '12:00'));
    const other = await createRule(me, c.id, window('Mon', '13:00', '17:00'));
    const patch = (body: unknown) => me.patch(`/consultants/${c.id}/recurring/${rule.id}`, body);

    let res = await patch({ start_time: '08:00', end_time: '12:30:30' });
    expect(res).toHaveStatus(200);
    expect(res.body).toEqual({ ...rule, start_time: '08:00:00', end_time: '12:30:30' });
    res = await patch({ day: 'Wed' });
    expect(res.body).toMatchObject({ day_of_week: 2 });
    expect(res.body.day).toBe('Wed');
    res = await patch({ day_of_week: 0 });
    expect(res.body).toMatchObject({ day: 'Mon' });
    res = await patch({ day_of_week: 6, day: 'Sun' });
    expect(res.body).toMatchObject({ day_of_week: 6 });
    res = await patch({ day: 'Mon', valid_from: '2026-07-01', valid_until: '2026-12-31' });
    expect(res).toHaveStatus(200);
    expect(res.body.valid_from).toBe('2026-07-01');
    res = await patch({});
    expect(res).toHaveStatus(200);
    expect(res.body.valid_until).toBe('2026-12-31');
    const current = (await rulesOf(c.id)).find((r) => r.id === rule.id);
    expect(current).toEqual(res.body);
    const before = await rulesOf(c.id);

    // Overlaps with the afternoon window: a 409, and nothing moves.
    assertOverlap(await patch({ end_time: '13:30' }), 'end_time into the afternoon');
    assertOverlap(
      await me.patch(`/consultants/${c.id}/recurring/${other.id}`, { start_time: '12:00', valid_from: '2026-08-01' }),
      'the other one',
    );
    const malformed: [Record<string, unknown>, string][] = [
      [{ day_of_week: 1, day: 'Mon' }, 'day'],
      [{ day: 'Xyz' }, 'day'],
      [{ day_of_week: 9 }, 'day_of_week'],
      [{ start_time: '12:30:30' }, 'end_time'],
      [{ start_time: '10:00', end_time: '10:00' }, 'end_time'],
      [{ end_time: '25:00' }, 'end_time'],
      [{ valid_until: '2026-06-30' }, 'valid_until'],
      [{ valid_from: '2027-01-01' }, 'valid_until'],
      [{ valid_from: '2026-02-30' }, 'valid_from'],
      // Only the validity dates may be cleared with null.
      [{ start_time: null }, 'start_time'],
      [{ end_time: null }, 'end_time'],
      [{ is_active: null }, 'is_active'],
      [{ day_of_week: null }, 'day_of_week'],
      [{ day: null }, 'day'],
      [{ is_active: 'false' }, 'is_active'],
      [{ id: 1 }, 'id'],
      [{ consultant_id: other.id }, 'consultant_id'],
      [{ is_available: false }, 'is_available'],
    ];
    for (const [body, field] of malformed) assertNamesField(await patch(body), field, JSON.stringify(body));
    expect(await rulesOf(c.id)).toEqual(before);

    // Validity periods that share no day let the windows overlap; opening one up again does not.
    res = await me.patch(`/consultants/${c.id}/recurring/${other.id}`, {
      start_time: '12:00',
      valid_until: '2026-06-29',
    });
    expect(res).toHaveStatus(200);
    const withDates = await rulesOf(c.id);
    assertOverlap(await patch({ valid_from: null }), 'opening the validity onto the other window');
    assertOverlap(await patch({ valid_from: '2026-06-29' }), 'sharing Monday 2026-06-29');
    expect(await rulesOf(c.id)).toEqual(withDates);

    res = await patch({ valid_from: null, valid_until: null, end_time: '12:00' });
    expect(res).toHaveStatus(200);
    expect(res.body.valid_from).toBeNull();
    expect(res.body.valid_until).toBeNull();
    res = await patch({ is_active: false });
    expect(res.body).toMatchObject({ is_active: false });
    expect((await rulesOf(c.id)).find((r) => r.id === rule.id)).toEqual(res.body);

    // Unknown rules, and rules of another consultant, are not found.
    const stranger = await createConsultant(http);
    const theirs = await createRule(http.as(stranger.token), stranger.id, window('Fri', '09:00', '10:00'));
    assertProblem(await me.patch(`/consultants/${c.id}/recurring/999999`, { is_active: true }), 404);
    assertProblem(await me.patch(`/consultants/${c.id}/recurring/${theirs.id}`, { is_active: false }), 404);
    assertProblem(await admin.patch(`/consultants/${c.id}/recurring/${theirs.id}`, { is_active: false }), 404);
    expect(await rulesOf(stranger.id)).toEqual([theirs]);
  });

  it('DELETE answers 204, then 404, and the rule is gone', async () => {
    const c = await createConsultant(http);
    const me = http.as(c.token);
    const keep = await createRule(me, c.id, window('Mon', '09:00', '12:00'));
    const drop = await createRule(me, c.id, window('Tue', '09:00', '12:00'));
    const res = await me.delete(`/consultants/${c.id}/recurring/${drop.id}`);
    expect(res).toHaveStatus(204);
    expect(res.text).toBe('');
    assertProblem(await me.delete(`/consultants/${c.id}/recurring/${drop.id}/`), 404);
    assertProblem(await me.patch(`/consultants/${c.id}/recurring/${drop.id}`, { is_active: false }), 404);
    assertProblem(await me.patch(`/api/availability/${drop.id}/toggle/`), 404);
    expect(await rulesOf(c.id)).toEqual([keep]);
    // Its time is free for a new window.
    await createRule(me, c.id, window('Tue', '10:00', '11:00'));

    const stranger = await createConsultant(http);
    const theirs = await createRule(http.as(stranger.token), stranger.id, window('Mon', '09:00', '12:00'));
    assertProblem(await me.delete(`/consultants/${c.id}/recurring/${theirs.id}`), 404);
    assertProblem(await admin.delete(`/consultants/${c.id}/recurring/${theirs.id}`), 404);
    assertProblem(await me.delete(`/consultants/${c.id}/recurring/999999`), 404);
    expect(await rulesOf(stranger.id)).toEqual([theirs]);
  });

  it('runs the seed 004 example requests: bulk create, list, toggle', async () => {
    const doctor = await createConsultant(http, { specialization: 'cardiology' });
    const asDoctor = http.as(doctor.token);
    const payload = {
      availability: [
        { day: 'Mon', start_time: '09:00', end_time: '17:00' },
        { day: 'Tue', start_time: '08:00', end_time: '16:00' },
      ],
    };
    const created = await asDoctor.post(`/api/doctors/${doctor.id}/availability/`, payload);
    expect(created).toHaveStatus(201);
    expect(Array.isArray(created.body)).toBe(true);
    expect(created.body).toHaveLength(2);
    const [mon, tue] = created.body;
    expect(mon).toEqual({
      id: mon.id,
      consultant_id: doctor.id,
      day_of_week: 0,
      day: 'Mon',
      start_time: '09:00:00',
      end_time: '17:00:00',
      is_active: true,
      valid_from: null,
      valid_until: null,
    });
    expect(tue).toEqual({
      id: tue.id,
      consultant_id: doctor.id,
      day_of_week: 1,
      day: 'Tue',
      start_time: '08:00:00',
      end_time: '16:00:00',
      is_active: true,
      valid_from: null,
      valid_until: null,
    });

    const list = await http.get(`/api/doctors/${doctor.id}/availability/`);
    expect(list).toHaveStatus(200);
    expect(list.body).toEqual({ data: [mon, tue], next_cursor: null });

    const toggled = await asDoctor.patch(`/api/availability/${tue.id}/toggle/`);
    expect(toggled).toHaveStatus(200);
    expect(toggled.body).toEqual({ ...tue, is_active: false });
    expect(await rulesOf(doctor.id)).toEqual([mon, { ...tue, is_active: false }]);
    const back = await asDoctor.patch(`/api/availability/${tue.id}/toggle`);
    expect(back.body).toEqual(tue);
    expect(await rulesOf(doctor.id)).toEqual([mon, tue]);

    // More windows later add to the week (the PUT is what replaces it); all or nothing.
    const more = await asDoctor.post(`/api/doctors/${doctor.id}/availability`, {
      availability: [
        { day_of_week: 2, start_time: '09:00', end_time: '12:00' },
        { day: 'Mon', start_time: '17:00', end_time: '18:00' },
      ],
    });
    expect(more).toHaveStatus(201);
    expect(more.body.map((r: { day: string }) => r.day)).toEqual(['Wed', 'Mon']);
    const before = await rulesOf(doctor.id);
    expect(before).toHaveLength(4);
    assertOverlap(
      await asDoctor.post(`/api/doctors/${doctor.id}/availability/`, {
        availability: [window('Thu', '09:00', '12:00'), window('Mon', '16:00', '18:00')],
      }),
      'bulk overlapping a stored rule',
    );
    assertOverlap(
      await asDoctor.post(`/api/doctors/${doctor.id}/availability/`, {
        availability: [window('Fri', '09:00', '12:00'), window('Fri', '11:00', '13:00')],
      }),
      'bulk overlapping itself',
    );
    assertNamesField(
      await asDoctor.post(`/api/doctors/${doctor.id}/availability/`, {
        availability: [window('Thu', '09:00', '12:00'), window('Xyz', '09:00', '12:00')],
      }),
      'availability[1].day',
      'bad day',
    );
    assertNamesField(
      await asDoctor.post(`/api/doctors/${doctor.id}/availability/`, {
        availability: [window('Thu', '09:00', '12:00'), window('Fri', '12:00', '12:00')],
      }),
      'availability[1].end_time',
      'empty window',
    );
    assertNamesField(
      await asDoctor.post(`/api/doctors/${doctor.id}/availability/`, {
        availability: [{ ...window('Thu', '09:00', '12:00'), is_available: true }],
      }),
      'availability[0].is_available',
      'seed field',
    );
    expect(await rulesOf(doctor.id)).toEqual(before);
    const empty = await asDoctor.post(`/api/doctors/${doctor.id}/availability/`, { availability: [] });
    expect(empty).toHaveStatus(201);
    expect(empty.body).toEqual([]);
    expect(await rulesOf(doctor.id)).toEqual(before);
  });

  it('PUT weekly-schedule replaces every rule at once', async () => {
    const c = await createConsultant(http);
    const me = http.as(c.token);
    const old = [
      await createRule(me, c.id, window('Mon', '09:00', '17:00')),
      await createRule(me, c.id, { ...window('Mon', '10:00', '11:00'), is_active: false }),
      await createRule(me, c.id, { ...window('Sat', '10:00', '11:00'), valid_from: '2026-01-03' }),
    ];
    const res = await me.put(`/consultants/${c.id}/weekly-schedule`, {
      availability: [
        window('Mon', '09:00', '12:00'),
        window('Mon', '13:00', '17:00'),
        { day_of_week: 4, start_time: '23:00', end_time: '01:00' },
        { day_of_week: 5, day: 'Sat', start_time: '08:00', end_time: '09:00' },
      ],
    });
    expect(res).toHaveStatus(200);
    expect(
      res.body.map((r: any) => [
        r.day_of_week,
        r.day,
        r.start_time,
        r.end_time,
        r.is_active,
        r.valid_from,
        r.valid_until,
        r.consultant_id,
      ]),
    ).toEqual([
      [0, 'Mon', '09:00:00', '12:00:00', true, null, null, c.id],
      [0, 'Mon', '13:00:00', '17:00:00', true, null, null, c.id],
      [4, 'Fri', '23:00:00', '01:00:00', true, null, null, c.id],
      [5, 'Sat', '08:00:00', '09:00:00', true, null, null, c.id],
    ]);
    const now = await rulesOf(c.id);
    expect(now).toEqual(res.body);
    for (const rule of old) {
      // The old rule is gone.
      expect(now.map((r) => r.id)).not.toContain(rule.id);
      assertProblem(await me.patch(`/consultants/${c.id}/recurring/${rule.id}`, { is_active: false }), 404);
    }
    // Seed spelling with a trailing slash; an empty week clears everything.
    const again = await me.put(`/consultants/${c.id}/weekly-schedule/`, {
      availability: [window('Sun', '10:00', '11:00')],
    });
    expect(again).toHaveStatus(200);
    expect((await rulesOf(c.id)).map((r) => r.id)).toEqual([again.body[0].id]);
    const cleared = await me.put(`/consultants/${c.id}/weekly-schedule`, { availability: [] });
    expect(cleared).toHaveStatus(200);
    expect(cleared.body).toEqual([]);
    expect(await rulesOf(c.id)).toEqual([]);
    // Another consultant's rules are not touched.
    const other = await createConsultant(http);
    const theirs = await createRule(http.as(other.token), other.id, window('Mon', '09:00', '10:00'));
    await me.put(`/consultants/${c.id}/weekly-schedule`, { availability: [window('Mon', '09:00', '10:00')] });
    expect(await rulesOf(other.id)).toEqual([theirs]);
  });

  it('PUT weekly-schedule is all or nothing: one bad entry leaves the previous rules untouched', async () => {
    const c = await createConsultant(http);
    const me = http.as(c.token);
    const put = (body: unknown) => me.put(`/consultants/${c.id}/weekly-schedule`, body);
    const first = await put({
      availability: [window('Mon', '09:00', '17:00'), { ...window('Tue', '09:00', '17:00') }],
    });
    expect(first).toHaveStatus(200);
    await me.patch(`/api/availability/${first.body[1].id}/toggle/`);
    const before = await rulesOf(c.id);
    expect(before).toHaveLength(2);
    const good = window('Wed', '09:00', '12:00');

    const invalid: [unknown, string][] = [
      [{ availability: [good, window('Xyz', '09:00', '12:00')] }, 'availability[1].day'],
      [{ availability: [good, window('Thu', '12:00', '12:00')] }, 'availability[1].end_time'],
      [
        { availability: [good, { day_of_week: 1, day: 'Mon', start_time: '09:00', end_time: '10:00' }] },
        'availability[1].day',
      ],
      [{ availability: [good, window('Thu', '25:00', '12:00')] }, 'availability[1].start_time'],
      [{ availability: [good, { start_time: '09:00', end_time: '10:00' }] }, 'availability[1].day_of_week'],
      [{ availability: [good, { ...window('Thu', '09:00', '10:00'), id: before[0].id }] }, 'availability[1].id'],
      [{ availability: [good, { ...window('Thu', '09:00', '10:00'), is_booked: true }] }, 'availability[1].is_booked'],
      [{ availability: [good, null] }, 'availability[1]'],
      [{ availability: 'Mon' }, 'availability'],
      [{}, 'availability'],
      [{ availability: [good], replace: true }, 'replace'],
      [
        {
          availability: Array.from({ length: 101 }, (_, i) => ({
            day_of_week: i % 7,
            start_time: `${String(Math.floor(i / 7)).padStart(2, '0')}:00`,
            end_time: `${String(Math.floor(i / 7)).padStart(2, '0')}:30`,
          })),
        },
        'availability',
      ],
    ];
    for (const [body, field] of invalid) {
      assertNamesField(await put(body), field, JSON.stringify(body).slice(0, 120));
      // The refused PUT changed nothing.
      const what = JSON.stringify(body).slice(0, 120);
      expect({ what, rules: await rulesOf(c.id) }).toEqual({ what, rules: before });
    }
    assertProblem(await put([good]), 400);
    const overlapping: unknown[] = [
      { availability: [good, window('Mon', '09:00', '12:00'), window('Mon', '11:00', '13:00')] },
      { availability: [window('Sun', '23:00', '01:00'), window('Mon', '00:00', '00:30')] },
      { availability: [window('Mon', '23:00', '01:00'), window('Tue', '00:30', '02:00')] },
      { availability: [good, good] },
    ];
    for (const body of overlapping) {
      assertOverlap(await put(body), JSON.stringify(body));
      // The refused PUT changed nothing.
      const what = JSON.stringify(body);
      expect({ what, rules: await rulesOf(c.id) }).toEqual({ what, rules: before });
    }

    // A hundred windows is the most a week may hold.
    const hundred = Array.from({ length: 100 }, (_, i) => ({
      day_of_week: i % 7,
      start_time: `${String(Math.floor(i / 7)).padStart(2, '0')}:00`,
      end_time: `${String(Math.floor(i / 7)).padStart(2, '0')}:30`,
    }));
    const full = await put({ availability: hundred });
    expect(full).toHaveStatus(200);
    expect(full.body).toHaveLength(100);
    const stored = await rulesOf(c.id);
    expect(stored).toHaveLength(100);
    // None of the previous rules survives.
    const storedIds = stored.map((r) => r.id);
    for (const b of before) expect(storedIds).not.toContain(b.id);
  });

  it('pages through the rules by day and start time', async () => {
    const c = await createConsultant(http);
    const me = http.as(c.token);
    const created = [];
    for (const [day, start, end] of [
      ['Fri', '09:00', '10:00'],
      ['Mon', '13:00', '14:00'],
      ['Wed', '09:00', '10:00'],
      ['Mon', '09:00', '10:00'],
      ['Sun', '00:00', '01:00'],
    ]) {
      created.push(await createRule(me, c.id, window(day, start, end)));
    }
    const expected = [created[3], created[1], created[2], created[0], created[4]].map((r) => r.id);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Reply = await http.get(`/consultant/${c.id}/recurring/?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res).toHaveStatus(200);
      seen.push(...res.body.data.map((r: { id: number }) => r.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(expected);
    for (const query of ['limit=0', 'limit=201', 'cursor=bm90LWpzb24', 'cursor=%24', 'day=Mon'])
      assertProblem(await http.get(`/consultants/${c.id}/recurring?${query}`), 400);
  });

  it('answers 400 for a malformed path id and 404 for an unknown consultant or rule', async () => {
    const c = await createConsultant(http);
    const rule = await createRule(http.as(c.token), c.id, window('Mon', '09:00', '10:00'));
    const body = window('Tue', '09:00', '10:00');
    for (const id of ['abc', '0', '-1', '1.5', '99999999999', '1e3']) {
      assertNamesField(await http.get(`/consultants/${id}/recurring`), 'id', `GET ${id}`);
      assertNamesField(await http.get(`/consultant/${id}/recurring/`), 'id', `GET seed ${id}`);
      assertNamesField(await http.get(`/api/doctors/${id}/availability/`), 'id', `GET doctor ${id}`);
      assertNamesField(await admin.post(`/consultants/${id}/recurring`, body), 'id', `POST ${id}`);
      assertNamesField(await admin.post(`/consultant/${id}/recurring/`, body), 'id', `POST seed ${id}`);
      assertNamesField(
        await admin.post(`/api/doctors/${id}/availability/`, { availability: [body] }),
        'id',
        `POST doctor ${id}`,
      );
      assertNamesField(
        await admin.put(`/consultants/${id}/weekly-schedule`, { availability: [body] }),
        'id',
        `PUT ${id}`,
      );
      assertNamesField(
        await admin.patch(`/consultants/${id}/recurring/${rule.id}`, { is_active: false }),
        'id',
        `PATCH ${id}`,
      );
      assertNamesField(
        await admin.patch(`/consultants/${c.id}/recurring/${id}`, { is_active: false }),
        'rule_id',
        `PATCH rule ${id}`,
      );
      assertNamesField(await admin.delete(`/consultants/${id}/recurring/${rule.id}`), 'id', `DELETE ${id}`);
      assertNamesField(await admin.delete(`/consultants/${c.id}/recurring/${id}`), 'rule_id', `DELETE rule ${id}`);
      assertNamesField(await admin.patch(`/api/availability/${id}/toggle/`), 'rule_id', `toggle ${id}`);
      assertNamesField(
        await http.as(c.token).patch(`/api/availability/${id}/toggle/`),
        'rule_id',
        `toggle as consultant ${id}`,
      );
    }
    const ghost = 999999;
    assertProblem(await http.get(`/consultants/${ghost}/recurring`), 404);
    assertProblem(await http.get(`/consultant/${ghost}/recurring/`), 404);
    assertProblem(await http.get(`/api/doctors/${ghost}/availability/`), 404);
    assertProblem(await admin.post(`/consultants/${ghost}/recurring`, body), 404);
    assertProblem(await admin.post(`/consultant/${ghost}/recurring/`, body), 404);
    assertProblem(await admin.post(`/api/doctors/${ghost}/availability/`, { availability: [body] }), 404);
    assertProblem(await admin.put(`/consultants/${ghost}/weekly-schedule`, { availability: [body] }), 404);
    assertProblem(await admin.put(`/consultants/${ghost}/weekly-schedule`, { availability: [] }), 404);
    assertProblem(await admin.patch(`/consultants/${ghost}/recurring/${rule.id}`, { is_active: false }), 404);
    assertProblem(await admin.delete(`/consultants/${ghost}/recurring/${rule.id}`), 404);
    assertProblem(await admin.patch(`/api/availability/${ghost}/toggle/`), 404);
    expect(await rulesOf(c.id)).toEqual([rule]);
  });

  it('lets only the consultant itself or the admin write: 401 without a token, 403 for anyone else, and nothing changes', async () => {
    const owner = await createConsultant(http);
    const stranger = await createConsultant(http);
    const user = await createUser(http);
    const mine = http.as(owner.token);
    const rule = await createRule(mine, owner.id, window('Mon', '09:00', '12:00'));
    const spare = await createRule(mine, owner.id, { ...window('Tue', '09:00', '12:00'), is_active: false });
    const strangerRule = await createRule(http.as(stranger.token), stranger.id, window('Mon', '09:00', '12:00'));
    const body = window('Wed', '09:00', '12:00');
    const writes: [string, (as: Http) => Promise<Reply>][] = [
      ['POST canonical', (as) => as.post(`/consultants/${owner.id}/recurring`, body)],
      ['POST seed', (as) => as.post(`/consultant/${owner.id}/recurring/`, body)],
      ['PATCH', (as) => as.patch(`/consultants/${owner.id}/recurring/${rule.id}`, { is_active: false })],
      ['DELETE', (as) => as.delete(`/consultants/${owner.id}/recurring/${rule.id}`)],
      ['PUT weekly-schedule', (as) => as.put(`/consultants/${owner.id}/weekly-schedule`, { availability: [body] })],
      ['POST doctor', (as) => as.post(`/api/doctors/${owner.id}/availability/`, { availability: [body] })],
      ['toggle', (as) => as.patch(`/api/availability/${rule.id}/toggle/`)],
      ['toggle inactive', (as) => as.patch(`/api/availability/${spare.id}/toggle/`)],
    ];
    const before = await rulesOf(owner.id);
    for (const [what, write] of writes) {
      assertProblem(await write(http), 401);
      assertProblem(await write(http.as('cc_c_not-a-real-token')), 401);
      assertProblem(await write(http.as('cc_a_not-the-admin-token')), 401);
      assertProblem(await write(http.as(stranger.token)), 403);
      assertProblem(await write(http.as(user.token)), 403);
      // Each write changed nothing.
      expect({ what, rules: await rulesOf(owner.id) }).toEqual({ what, rules: before });
    }
    expect(await rulesOf(stranger.id)).toEqual([strangerRule]);
    // Reads are public.
    expect((await http.as(user.token).get(`/consultants/${owner.id}/recurring`)).body.data).toEqual(before);

    // The admin can do everything.
    const viaCanonical = await admin.post(`/consultants/${owner.id}/recurring`, body);
    expect(viaCanonical).toHaveStatus(201);
    const viaSeed = await admin.post(`/consultant/${owner.id}/recurring/`, window('Thu', '09:00', '12:00'));
    expect(viaSeed).toHaveStatus(201);
    const patched = await admin.patch(`/consultants/${owner.id}/recurring/${rule.id}`, { end_time: '11:00' });
    expect(patched).toHaveStatus(200);
    expect(patched.body.end_time).toBe('11:00:00');
    const toggled = await admin.patch(`/api/availability/${spare.id}/toggle/`);
    expect(toggled).toHaveStatus(200);
    expect(toggled.body.is_active).toBe(true);
    expect(await admin.delete(`/consultants/${owner.id}/recurring/${viaSeed.body.id}`)).toHaveStatus(204);
    const doctor = await admin.post(`/api/doctors/${owner.id}/availability/`, {
      availability: [window('Fri', '09:00', '12:00')],
    });
    expect(doctor).toHaveStatus(201);
    expect((await rulesOf(owner.id)).map((r) => r.id)).toEqual([
      rule.id,
      spare.id,
      viaCanonical.body.id,
      doctor.body[0].id,
    ]);
    const week = await admin.put(`/consultants/${owner.id}/weekly-schedule`, {
      availability: [window('Sat', '09:00', '12:00')],
    });
    expect(week).toHaveStatus(200);
    expect(await rulesOf(owner.id)).toEqual(week.body);
    // And the stranger's rules are still theirs alone.
    expect(await rulesOf(stranger.id)).toEqual([strangerRule]);
  });
});
