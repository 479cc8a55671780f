import { assertProblem, createConsultant } from '../support/factories';
import { Reply } from '../support/http';
import { useTestApp } from '../support/test-app';

/**
 * Daylight-saving time. The expected instants are written out by hand from the zones' 2026
 * rules, not computed with the code under test:
 * - America/New_York: EST −05:00; 2026-03-08 02:00 → 03:00 EDT −04:00; 2026-11-01 02:00 EDT → 01:00 EST.
 * - Europe/Berlin: CET +01:00; 2026-03-29 02:00 → 03:00 CEST +02:00; 2026-10-25 03:00 CEST → 02:00 CET.
 * - Australia/Lord_Howe: +10:30; 2026-04-05 02:00 (+11:00) → 01:30 (+10:30); 2026-10-04 02:00 → 02:30 (+11:00).
 */
describe('daylight-saving time', () => {
  const { http } = useTestApp();

  type Slot = { date: string; start_time: string; end_time: string; start: string; end: string; id: number };

  /** A consultant in `timezone` and a function that publishes a slot as that consultant. */
  async function consultantIn(timezone: string) {
    const c = await createConsultant(http, { timezone });
    const as = http.as(c.token);
    const post = (date: string, start_time: string, end_time: string) =>
      as.post(`/consultants/${c.id}/availabilities`, { date, start_time, end_time });
    const slot = async (date: string, start_time: string, end_time: string): Promise<Slot> => {
      const res = await post(date, start_time, end_time);
      expect(res).toHaveStatus(201);
      return res.body;
    };
    const list = async (query: string): Promise<number[]> => {
      const res = await http.get(`/consultants/${c.id}/availabilities?${query}`);
      expect(res).toHaveStatus(200);
      return res.body.data.map((s: Slot) => s.id);
    };
    return { ...c, as, post, slot, list };
  }

  /** The slot's instants and its local fields as the consultant reads them. */
  function assertSlot(
    slot: Slot,
    expected: { start: string; end: string; date: string; start_time: string; end_time: string },
  ): void {
    expect({
      start: slot.start,
      end: slot.end,
      date: slot.date,
      start_time: slot.start_time,
      end_time: slot.end_time,
    }).toEqual(expected);
  }

  /** A 400 naming exactly `field` as a time the clocks skip. */
  function assertSkipped(res: Reply, field: 'start_time' | 'end_time', what: string): void {
    assertProblem(res, 400);
    // `what` rides along so that a failure names the case.
    expect({ what, fields: res.body.errors.map((e: { field: string }) => e.field) }).toEqual({ what, fields: [field] });
    expect(res.body.errors[0].message).toMatch(/does not exist/);
  }

  const hours = (slot: Slot) => (Date.parse(slot.end) - Date.parse(slot.start)) / 3_600_000;

  it('stores a New York Monday 09:00–17:00 rule in local wall-clock time, whatever the offset', async () => {
    const ny = await consultantIn('America/New_York');
    const created = await ny.as.post(`/consultants/${ny.id}/recurring`, {
      day: 'Mon',
      start_time: '09:00',
      end_time: '17:00',
      valid_from: '2026-03-02',
      valid_until: '2026-03-09',
    });
    expect(created).toHaveStatus(201);
    const rules = await http.get(`/consultants/${ny.id}/recurring`);
    expect(rules).toHaveStatus(200);
    expect(rules.body.data).toEqual([
      {
        id: created.body.id,
        consultant_id: ny.id,
        day_of_week: 0,
        day: 'Mon',
        start_time: '09:00:00',
        end_time: '17:00:00',
        is_active: true,
        valid_from: '2026-03-02',
        valid_until: '2026-03-09',
      },
    ]);
    // Rules are wall-clock: one starting in the skipped hour or in the repeated one is stored as
    // written (their occurrences follow RFC 5545 when expanded); only one-time slots are refused.
    const inGap = await ny.as.post(`/consultant/${ny.id}/recurring/`, {
      day: 'Sun',
      start_time: '02:30',
      end_time: '03:30',
    });
    expect(inGap).toHaveStatus(201);
    const repeated = await ny.as.post(`/consultant/${ny.id}/recurring/`, {
      day: 'Sun',
      start_time: '01:00',
      end_time: '02:00',
    });
    expect(repeated).toHaveStatus(201);
    expect(
      (await http.get(`/consultant/${ny.id}/recurring/`)).body.data.map((r: any) => [r.day, r.start_time, r.end_time]),
    ).toEqual([
      ['Mon', '09:00:00', '17:00:00'],
      ['Sun', '01:00:00', '02:00:00'],
      ['Sun', '02:30:00', '03:30:00'],
    ]);
  });

  it('puts a New York Monday 09:00 slot at 14:00Z before the March change and 13:00Z after it', async () => {
    const ny = await consultantIn('America/New_York');
    assertSlot(await ny.slot('2026-03-02', '09:00', '17:00'), {
      start: '2026-03-02T14:00:00.000Z',
      end: '2026-03-02T22:00:00.000Z',
      date: '2026-03-02',
      start_time: '09:00:00',
      end_time: '17:00:00',
    });
    assertSlot(await ny.slot('2026-03-09', '09:00', '17:00'), {
      start: '2026-03-09T13:00:00.000Z',
      end: '2026-03-09T21:00:00.000Z',
      date: '2026-03-09',
      start_time: '09:00:00',
      end_time: '17:00:00',
    });
    // And back in November.
    assertSlot(await ny.slot('2026-10-26', '09:00', '17:00'), {
      start: '2026-10-26T13:00:00.000Z',
      end: '2026-10-26T21:00:00.000Z',
      date: '2026-10-26',
      start_time: '09:00:00',
      end_time: '17:00:00',
    });
    assertSlot(await ny.slot('2026-11-02', '09:00', '17:00'), {
      start: '2026-11-02T14:00:00.000Z',
      end: '2026-11-02T22:00:00.000Z',
      date: '2026-11-02',
      start_time: '09:00:00',
      end_time: '17:00:00',
    });
  });

  it('refuses a New York slot whose start or end the spring-forward skips, naming that field', async () => {
    const ny = await consultantIn('America/New_York');
    assertSkipped(await ny.post('2026-03-08', '02:30', '04:00'), 'start_time', '02:30');
    assertSkipped(await ny.post('2026-03-08', '02:00', '03:00'), 'start_time', '02:00');
    assertSkipped(await ny.post('2026-03-08', '02:59:59', '03:30'), 'start_time', '02:59:59');
    assertSkipped(await ny.post('2026-03-08', '01:00', '02:00'), 'end_time', 'ending at 02:00');
    assertSkipped(await ny.post('2026-03-08', '01:00', '02:30'), 'end_time', 'ending at 02:30');
    assertSkipped(await ny.post('2026-03-07', '23:00', '02:30'), 'end_time', 'crossing midnight into the gap');
    expect(await ny.list('')).toEqual([]);

    // Right up to the gap and right after it.
    const before = await ny.slot('2026-03-08', '00:00', '01:59:59');
    assertSlot(before, {
      start: '2026-03-08T05:00:00.000Z',
      end: '2026-03-08T06:59:59.000Z',
      date: '2026-03-08',
      start_time: '00:00:00',
      end_time: '01:59:59',
    });
    const across = await ny.slot('2026-03-08', '01:59:59', '03:00');
    assertSlot(across, {
      start: '2026-03-08T06:59:59.000Z',
      end: '2026-03-08T07:00:00.000Z',
      date: '2026-03-08',
      start_time: '01:59:59',
      end_time: '03:00:00',
    });
    const after = await ny.slot('2026-03-08', '03:00', '04:00');
    assertSlot(after, {
      start: '2026-03-08T07:00:00.000Z',
      end: '2026-03-08T08:00:00.000Z',
      date: '2026-03-08',
      start_time: '03:00:00',
      end_time: '04:00:00',
    });
    // The same wall-clock a week later exists.
    expect((await ny.slot('2026-03-15', '02:30', '03:30')).start).toBe('2026-03-15T06:30:00.000Z');
    // In UTC nothing is skipped.
    const utc = await consultantIn('UTC');
    expect((await utc.slot('2026-03-08', '02:30', '04:00')).start).toBe('2026-03-08T02:30:00.000Z');

    // Three wall-clock hours across the gap last two.
    const other = await consultantIn('America/New_York');
    const long = await other.slot('2026-03-08', '01:00', '04:00');
    assertSlot(long, {
      start: '2026-03-08T06:00:00.000Z',
      end: '2026-03-08T08:00:00.000Z',
      date: '2026-03-08',
      start_time: '01:00:00',
      end_time: '04:00:00',
    });
    expect(hours(long)).toBe(2);

    // The local day 2026-03-08 has 23 hours: 05:00Z to 04:00Z.
    const late = await ny.slot('2026-03-08', '23:30', '00:30');
    expect(late.start).toBe('2026-03-09T03:30:00.000Z');
    const nextDay = await ny.slot('2026-03-09', '00:30', '01:00');
    expect(nextDay.start).toBe('2026-03-09T04:30:00.000Z');
    const dayBefore = await ny.slot('2026-03-07', '23:00', '23:59');
    expect(await ny.list('from=2026-03-08&to=2026-03-08')).toEqual([before.id, across.id, after.id, late.id]);
    expect(await ny.list('to=2026-03-07')).toEqual([dayBefore.id]);
    expect(await ny.list('from=2026-03-09&to=2026-03-09')).toEqual([late.id, nextDay.id]);
  });

  it('reads a New York 01:30 on the fall-back night as its first occurrence (05:30Z)', async () => {
    const ny = await consultantIn('America/New_York');
    const repeated = await ny.slot('2026-11-01', '01:30', '02:30');
    assertSlot(repeated, {
      start: '2026-11-01T05:30:00.000Z',
      end: '2026-11-01T07:30:00.000Z',
      date: '2026-11-01',
      start_time: '01:30:00',
      end_time: '02:30:00',
    });
    expect(hours(repeated)).toBe(2);
    // There is no second 01:30 to publish: it is the same instant, so it overlaps.
    const again = await ny.post('2026-11-01', '01:30', '01:45');
    assertProblem(again, 409);
    expect(again.body.type).toBe('/problems/availability-overlap');
    // A slot ending at 01:30 ends at its first occurrence too, and touches the one above.
    const earlier = await ny.slot('2026-11-01', '00:00', '01:30');
    assertSlot(earlier, {
      start: '2026-11-01T04:00:00.000Z',
      end: '2026-11-01T05:30:00.000Z',
      date: '2026-11-01',
      start_time: '00:00:00',
      end_time: '01:30:00',
    });

    // Two and a half wall-clock hours across the change last three and a half.
    const other = await consultantIn('America/New_York');
    const long = await other.slot('2026-11-01', '00:30', '03:00');
    assertSlot(long, {
      start: '2026-11-01T04:30:00.000Z',
      end: '2026-11-01T08:00:00.000Z',
      date: '2026-11-01',
      start_time: '00:30:00',
      end_time: '03:00:00',
    });
    expect(hours(long)).toBe(3.5);

    // The local day 2026-11-01 has 25 hours: 04:00Z to 05:00Z the next day.
    const late = await ny.slot('2026-11-01', '23:30', '23:59');
    expect(late.start).toBe('2026-11-02T04:30:00.000Z');
    const nextDay = await ny.slot('2026-11-02', '00:00', '00:30');
    expect(nextDay.start).toBe('2026-11-02T05:00:00.000Z');
    expect(await ny.list('from=2026-11-01&to=2026-11-01')).toEqual([earlier.id, repeated.id, late.id]);
  });

  it('handles Europe/Berlin around its 2026 transitions', async () => {
    const berlin = await consultantIn('Europe/Berlin');
    expect((await berlin.slot('2026-03-28', '09:00', '10:00')).start).toBe('2026-03-28T08:00:00.000Z');
    expect((await berlin.slot('2026-03-30', '09:00', '10:00')).start).toBe('2026-03-30T07:00:00.000Z');
    assertSkipped(await berlin.post('2026-03-29', '02:30', '03:30'), 'start_time', 'Berlin 02:30');
    assertSkipped(await berlin.post('2026-03-29', '01:00', '02:15'), 'end_time', 'Berlin ending 02:15');
    const spring = await berlin.slot('2026-03-29', '01:00', '04:00');
    assertSlot(spring, {
      start: '2026-03-29T00:00:00.000Z',
      end: '2026-03-29T02:00:00.000Z',
      date: '2026-03-29',
      start_time: '01:00:00',
      end_time: '04:00:00',
    });

    expect((await berlin.slot('2026-10-24', '09:00', '10:00')).start).toBe('2026-10-24T07:00:00.000Z');
    expect((await berlin.slot('2026-10-26', '09:00', '10:00')).start).toBe('2026-10-26T08:00:00.000Z');
    // 02:30 happens twice on 2026-10-25; the first (CEST) is meant.
    const autumn = await berlin.slot('2026-10-25', '02:30', '03:30');
    assertSlot(autumn, {
      start: '2026-10-25T00:30:00.000Z',
      end: '2026-10-25T02:30:00.000Z',
      date: '2026-10-25',
      start_time: '02:30:00',
      end_time: '03:30:00',
    });
    expect(hours(autumn)).toBe(2);
  });

  it('handles Australia/Lord_Howe and its half-hour shifts', async () => {
    const lh = await consultantIn('Australia/Lord_Howe');
    // +11:00 before 2026-04-05, +10:30 after.
    assertSlot(await lh.slot('2026-04-04', '09:00', '10:00'), {
      start: '2026-04-03T22:00:00.000Z',
      end: '2026-04-03T23:00:00.000Z',
      date: '2026-04-04',
      start_time: '09:00:00',
      end_time: '10:00:00',
    });
    assertSlot(await lh.slot('2026-04-06', '09:00', '10:00'), {
      start: '2026-04-05T22:30:00.000Z',
      end: '2026-04-05T23:30:00.000Z',
      date: '2026-04-06',
      start_time: '09:00:00',
      end_time: '10:00:00',
    });
    // 01:30–02:00 happens twice on 2026-04-05: 01:45 is its first (+11:00) occurrence.
    const repeated = await lh.slot('2026-04-05', '01:45', '02:15');
    assertSlot(repeated, {
      start: '2026-04-04T14:45:00.000Z',
      end: '2026-04-04T15:45:00.000Z',
      date: '2026-04-05',
      start_time: '01:45:00',
      end_time: '02:15:00',
    });
    expect(hours(repeated)).toBe(1);

    // 02:00–02:30 does not exist on 2026-10-04.
    assertSkipped(await lh.post('2026-10-04', '02:15', '03:00'), 'start_time', 'Lord Howe 02:15');
    assertSkipped(await lh.post('2026-10-04', '02:00', '03:00'), 'start_time', 'Lord Howe 02:00');
    assertSkipped(await lh.post('2026-10-04', '01:00', '02:29'), 'end_time', 'Lord Howe ending 02:29');
    const across = await lh.slot('2026-10-04', '01:30', '02:30');
    assertSlot(across, {
      start: '2026-10-03T15:00:00.000Z',
      end: '2026-10-03T15:30:00.000Z',
      date: '2026-10-04',
      start_time: '01:30:00',
      end_time: '02:30:00',
    });
    expect(hours(across)).toBe(0.5);
    const after = await lh.slot('2026-10-04', '02:30', '03:30');
    assertSlot(after, {
      start: '2026-10-03T15:30:00.000Z',
      end: '2026-10-03T16:30:00.000Z',
      date: '2026-10-04',
      start_time: '02:30:00',
      end_time: '03:30:00',
    });
    // Listing by the consultant's date finds slots whose instants fall on the UTC day before.
    expect(await lh.list('from=2026-10-04&to=2026-10-04')).toEqual([across.id, after.id]);
    expect(await lh.list('from=2026-10-03T00:00:00Z&to=2026-10-03T23:59:59Z')).toEqual([across.id, after.id]);
  });
});
