import * as fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import {
  DAY_NAMES,
  type Interval,
  type Occurrence,
  type WeeklyRule,
  dayFromName,
  dayOfWeek,
  expandRules,
  instantToLocal,
  overlaps,
  parseLocalTime,
  rulesOverlap,
} from './index';
import { check } from './testing/properties';
import {
  gapBefore,
  isSkipped,
  localMs,
  plusDays,
  temporalInstant,
  temporalLocal,
  temporalOffset,
} from './testing/temporal-oracle';
import { ZONES } from './testing/zones';
import {
  type Anchor,
  DAY_SECONDS,
  anchorArb,
  boundArb,
  clock,
  epochDay,
  minuteOfDayArb,
  rangeNear,
  ruleArb,
  seconds,
  utc,
} from './testing/rules';

type Scenario = { zone: string; range: Interval; rules: WeeklyRule[] };

const scenarioArb: fc.Arbitrary<Scenario> = anchorArb.chain((anchor) =>
  fc.record({
    zone: fc.constant(anchor.zone),
    range: rangeNear(anchor),
    rules: fc
      .integer({ min: 1, max: 8 })
      .chain((count) => fc.tuple(...Array.from({ length: count }, (_, k) => ruleArb(k + 1, anchor)))),
  }),
);

/** Expansion by brute force on Temporal: every day from three before to three after the range. */
function expandWithTemporal({ zone, range, rules }: Scenario): Occurrence[] {
  const found: Occurrence[] = [];
  const last = plusDays(temporalLocal(range.end, zone).date, 3);
  for (let date = plusDays(temporalLocal(range.start, zone).date, -3); date <= last; date = plusDays(date, 1)) {
    for (const rule of rules) {
      if (!rule.isActive || Temporal.PlainDate.from(date).dayOfWeek - 1 !== rule.dayOfWeek) continue;
      if ((rule.validFrom !== null && date < rule.validFrom) || (rule.validUntil !== null && date > rule.validUntil))
        continue;
      const startTime = parseLocalTime(rule.startTime)!;
      const endTime = parseLocalTime(rule.endTime)!;
      const start = temporalInstant(date, startTime, zone, 'compatible');
      const end = temporalInstant(endTime > startTime ? date : plusDays(date, 1), endTime, zone, 'compatible');
      if (end > start && overlaps({ start, end }, range))
        found.push({ start, end, ruleId: rule.id, date, startTime, endTime });
    }
  }
  return found.sort((a, b) => a.start - b.start || a.end - b.end || a.ruleId - b.ruleId);
}

const endDateOf = (o: Occurrence) => (o.endTime > o.startTime ? o.date : plusDays(o.date, 1));

/**
 * Rules whose weekly windows are disjoint by construction: consecutive pairs of distinct sorted
 * minutes of the week, each pair shorter than a day. The minutes cluster round the anchor and
 * are sometimes turned round the week so that windows wrap from Sunday into Monday.
 */
const WEEK_MINUTES = 7 * 1440;
const disjointRulesArb = (anchor: Anchor): fc.Arbitrary<WeeklyRule[]> => {
  const anchorMinute = anchor.weekday * 1440 + Math.floor(anchor.secondOfDay / 60);
  const minuteArb = fc.oneof(
    {
      arbitrary: fc
        .integer({ min: -16, max: 16 })
        .map((step) => anchorMinute + step * 7.5)
        .map(Math.floor),
      weight: 3,
    },
    {
      arbitrary: fc.tuple(fc.integer({ min: 0, max: 6 }), minuteOfDayArb).map(([day, minute]) => day * 1440 + minute),
      weight: 1,
    },
  );
  return fc
    .record({
      points: fc.uniqueArray(
        minuteArb.map((m) => ((m % WEEK_MINUTES) + WEEK_MINUTES) % WEEK_MINUTES),
        { minLength: 2, maxLength: 14 },
      ),
      turn: fc.oneof(
        { arbitrary: fc.constant(0), weight: 3 },
        { arbitrary: fc.integer({ min: 0, max: WEEK_MINUTES - 1 }), weight: 1 },
      ),
      validFrom: boundArb(anchor.date),
      validUntil: boundArb(anchor.date),
    })
    .map(({ points, turn, validFrom, validUntil }) => {
      const sorted = [...points].sort((a, b) => a - b);
      const rules: WeeklyRule[] = [];
      for (let k = 0; k + 1 < sorted.length; k += 2) {
        const start = (sorted[k]! + turn) % WEEK_MINUTES;
        const length = Math.min(sorted[k + 1]! - sorted[k]!, 1439);
        rules.push({
          id: rules.length + 1,
          dayOfWeek: Math.floor(start / 1440),
          startTime: clock((start % 1440) * 60, false),
          endTime: clock(((start + length) % 1440) * 60, false),
          isActive: true,
          validFrom,
          validUntil,
        });
      }
      return rules;
    });
};

// expect() costs microseconds a call, thousands of times node:assert: a check of every occurrence
// in every case is one expect per case, of the ones that break it (none) or of all their values.

describe('weekly rules', () => {
  it('expandRules finds exactly the occurrences a day-by-day expansion on Temporal finds', () => {
    check(
      fc.property(scenarioArb, (scenario) => {
        expect(expandRules(scenario.rules, scenario.zone, scenario.range)).toStrictEqual(expandWithTemporal(scenario));
      }),
    );
  });

  it('each occurrence is of an active, valid rule on its weekday, overlaps the range and maps back to its wall-clock', () => {
    check(
      fc.property(scenarioArb, ({ zone, range, rules }) => {
        const occurrences = expandRules(rules, zone, range);
        // Sorted by start.
        expect(occurrences.filter((o, k) => k > 0 && !(occurrences[k - 1]!.start <= o.start))).toStrictEqual([]);
        // What each occurrence is, beside what it should be (one expect for all of them, see above).
        const found = occurrences.map((occurrence) => {
          const rule = rules.find((r) => r.id === occurrence.ruleId)!;
          const startSkipped = isSkipped(occurrence.date, occurrence.startTime, zone);
          const local = instantToLocal(occurrence.start, zone);
          // Elapsed time differs from wall-clock length only by a change of offset inside the window.
          const endSkipped = isSkipped(endDateOf(occurrence), occurrence.endTime, zone);
          const wallLength =
            ((((seconds(occurrence.endTime) - seconds(occurrence.startTime)) % DAY_SECONDS) + DAY_SECONDS) %
              DAY_SECONDS) *
            1000;
          const offsetChange = temporalOffset(occurrence.end, zone) - temporalOffset(occurrence.start, zone);
          const lengthKnown = !startSkipped && !endSkipped;
          const elapsed = occurrence.end - occurrence.start;
          return {
            actual: {
              isActive: rule.isActive,
              weekday: dayOfWeek(occurrence.date),
              onOrAfterValidFrom: rule.validFrom === null || occurrence.date >= rule.validFrom,
              onOrBeforeValidUntil: rule.validUntil === null || occurrence.date <= rule.validUntil,
              overlapsRange: overlaps(occurrence, range),
              startTime: occurrence.startTime,
              endTime: occurrence.endTime,
              // A skipped start moves forward by exactly the gap; any other maps back to its wall-clock.
              startReadBack: startSkipped
                ? localMs(local.date, local.time) - localMs(occurrence.date, occurrence.startTime)
                : local,
              elapsed: lengthKnown ? elapsed : null,
              elapsedWithoutOffsetChange: lengthKnown && offsetChange === 0 ? elapsed : null,
            },
            expected: {
              isActive: true,
              weekday: rule.dayOfWeek,
              onOrAfterValidFrom: true,
              onOrBeforeValidUntil: true,
              overlapsRange: true,
              startTime: parseLocalTime(rule.startTime),
              endTime: parseLocalTime(rule.endTime),
              startReadBack: startSkipped
                ? gapBefore(occurrence.start, zone)
                : { date: occurrence.date, time: occurrence.startTime },
              elapsed: lengthKnown ? wallLength - offsetChange : null,
              elapsedWithoutOffsetChange: lengthKnown && offsetChange === 0 ? wallLength : null,
            },
          };
        });
        expect(found.map((f) => f.actual)).toStrictEqual(found.map((f) => f.expected));
      }),
    );
  });

  it('occurrences of non-overlapping rules never overlap, except by an end moved forward by a gap', () => {
    // RFC 5545 reads a skipped end time with the offset before the gap too, so 01:30→02:30 on
    // the night New York skips 02:00–03:00 ends at 03:30 and overlaps a 03:00→04:00 window by
    // at most the gap. Every other overlap is a defect.
    const arb = anchorArb.chain((anchor) =>
      fc.record({ zone: fc.constant(anchor.zone), range: rangeNear(anchor), rules: disjointRulesArb(anchor) }),
    );
    check(
      fc.property(arb, ({ zone, range, rules }) => {
        // No two of the rules overlap.
        expect(
          rules.flatMap((a) => rules.filter((b) => a !== b && rulesOverlap(a, b) !== false).map((b) => [a, b])),
        ).toStrictEqual([]);
        const occurrences = expandRules(rules, zone, range);
        for (const x of occurrences) {
          for (const y of occurrences) {
            if (x === y || !overlaps(x, y)) continue;
            const [first, second] = localMs(x.date, x.startTime) < localMs(y.date, y.startTime) ? [x, y] : [y, x];
            // An overlap is allowed only where the earlier window's end time was skipped...
            expect(isSkipped(endDateOf(first), first.endTime, zone)).toBe(true);
            // ...and by at most the gap.
            expect(first.end - second.start).toBeLessThanOrEqual(gapBefore(first.end, zone));
          }
        }
      }),
    );
  });

  it('rulesOverlap agrees with comparing every pair of occurrences day by day', () => {
    const anchor = '2026-01-01';
    const shapeArb = fc
      .record({
        // Monday, Tuesday and Sunday: enough to meet the next day and the week's wrap often.
        dayOfWeek: fc.constantFrom(0, 1, 6),
        start: minuteOfDayArb,
        length: fc.oneof(fc.integer({ min: 1, max: 1439 }), fc.integer({ min: 1, max: 120 })),
        validFrom: boundArb(anchor, 0, 40),
        validUntil: boundArb(anchor, 0, 40),
      })
      .map(({ start, length, ...rest }) => ({
        ...rest,
        startTime: clock(start * 60, false),
        endTime: clock(((start + length) % 1440) * 60, false),
      }));
    /** Wall-clock windows (seconds since the epoch read as UTC) of a shape's occurrences between two days. */
    const windows = (
      shape: typeof shapeArb extends fc.Arbitrary<infer T> ? T : never,
      from: number,
      to: number,
    ): Interval[] => {
      const list: Interval[] = [];
      const startSeconds = seconds(shape.startTime);
      let endSeconds = seconds(shape.endTime);
      if (endSeconds <= startSeconds) endSeconds += DAY_SECONDS;
      for (let day = from; day <= to; day++) {
        const weekday = (((day + 3) % 7) + 7) % 7;
        if (weekday !== shape.dayOfWeek) continue;
        if (shape.validFrom !== null && day < epochDay(shape.validFrom)) continue;
        if (shape.validUntil !== null && day > epochDay(shape.validUntil)) continue;
        list.push({ start: day * DAY_SECONDS + startSeconds, end: day * DAY_SECONDS + endSeconds });
      }
      return list;
    };
    check(
      // Mostly b starts within two hours of a's start or end, where overlaps are decided.
      fc.property(
        shapeArb,
        shapeArb,
        fc.option(fc.tuple(fc.boolean(), fc.integer({ min: -120, max: 120 }))),
        (a, other, near) => {
          const b =
            near === null
              ? other
              : {
                  ...other,
                  startTime: clock(
                    ((((seconds(near[0] ? a.startTime : a.endTime) / 60 + near[1]) % 1440) + 1440) % 1440) * 60,
                    false,
                  ),
                };
          fc.pre(b.startTime !== b.endTime);
          // Outside the span of the bounds the pattern only repeats weekly, so 14 days either side suffice.
          const from = epochDay(anchor) - 14;
          const to = epochDay(anchor) + 40 + 14;
          const left = windows(a, from, to);
          const right = windows(b, from, to);
          const expected = left.some((x) => right.some((y) => overlaps(x, y)));
          expect(rulesOverlap(a, b)).toBe(expected);
          expect(rulesOverlap(b, a)).toBe(expected);
        },
      ),
    );
  });

  it('rulesOverlap: midnight spill, week wrap, adjacency and validity', () => {
    const rule = (
      dayOfWeek: number,
      startTime: string,
      endTime: string,
      validFrom: string | null = null,
      validUntil: string | null = null,
    ) => ({
      dayOfWeek,
      startTime,
      endTime,
      validFrom,
      validUntil,
    });
    expect(rulesOverlap(rule(0, '23:00', '01:00'), rule(1, '00:30', '02:00'))).toBe(true);
    expect(rulesOverlap(rule(6, '23:00', '01:00'), rule(0, '00:00', '00:30'))).toBe(true);
    expect(rulesOverlap(rule(0, '00:00', '00:30'), rule(6, '23:00', '01:00'))).toBe(true);
    expect(rulesOverlap(rule(0, '23:00', '01:00'), rule(1, '01:00', '02:00'))).toBe(false);
    expect(rulesOverlap(rule(0, '09:00', '12:00'), rule(0, '12:00', '17:00'))).toBe(false);
    expect(rulesOverlap(rule(0, '09:00', '12:00'), rule(1, '09:00', '12:00'))).toBe(false);
    expect(rulesOverlap(rule(2, '09:00', '12:00'), rule(2, '11:59', '13:00'))).toBe(true);
    // Validity: separate date ranges do not compete; a Sunday's spill past its last day still does.
    expect(
      rulesOverlap(rule(0, '09:00', '12:00', null, '2026-03-01'), rule(0, '10:00', '11:00', '2026-03-02', null)),
    ).toBe(false);
    expect(
      rulesOverlap(rule(0, '09:00', '12:00', null, '2026-03-02'), rule(0, '10:00', '11:00', '2026-03-02', null)),
    ).toBe(true);
    expect(
      rulesOverlap(rule(6, '23:00', '01:00', null, '2026-03-01'), rule(0, '00:00', '00:30', '2026-03-02', null)),
    ).toBe(true);
    expect(
      rulesOverlap(rule(6, '23:00', '01:00', null, '2026-02-28'), rule(0, '00:00', '00:30', '2026-03-02', null)),
    ).toBe(false);
    // A Monday rule valid only Tuesday to Thursday never occurs.
    expect(rulesOverlap(rule(0, '09:00', '12:00', '2026-03-03', '2026-03-05'), rule(0, '09:00', '12:00'))).toBe(false);
  });

  it('New York: a Monday 09:00 rule is 14:00Z before the March change and 13:00Z after', () => {
    const rules: WeeklyRule[] = [
      { id: 7, dayOfWeek: 0, startTime: '09:00', endTime: '10:00', isActive: true, validFrom: null, validUntil: null },
    ];
    const occurrences = expandRules(rules, 'America/New_York', {
      start: utc('2026-03-01T00:00:00Z'),
      end: utc('2026-03-15T00:00:00Z'),
    });
    expect(occurrences).toStrictEqual([
      {
        start: utc('2026-03-02T14:00:00Z'),
        end: utc('2026-03-02T15:00:00Z'),
        ruleId: 7,
        date: '2026-03-02',
        startTime: '09:00:00',
        endTime: '10:00:00',
      },
      {
        start: utc('2026-03-09T13:00:00Z'),
        end: utc('2026-03-09T14:00:00Z'),
        ruleId: 7,
        date: '2026-03-09',
        startTime: '09:00:00',
        endTime: '10:00:00',
      },
    ]);
  });

  it('New York: a 02:30 rule on the spring-forward Sunday starts 03:30 local; 01:30 on fall-back Sunday is the first', () => {
    const sunday = (id: number, startTime: string, endTime: string): WeeklyRule => ({
      id,
      dayOfWeek: 6,
      startTime,
      endTime,
      isActive: true,
      validFrom: null,
      validUntil: null,
    });
    const spring = expandRules([sunday(1, '02:30', '04:00')], 'America/New_York', {
      start: utc('2026-03-08T00:00:00Z'),
      end: utc('2026-03-09T00:00:00Z'),
    });
    expect(spring.map((o) => [o.start, o.end, o.startTime])).toStrictEqual([
      [utc('2026-03-08T07:30:00Z'), utc('2026-03-08T08:00:00Z'), '02:30:00'],
    ]);
    const autumn = expandRules([sunday(2, '01:30', '02:30')], 'America/New_York', {
      start: utc('2026-11-01T00:00:00Z'),
      end: utc('2026-11-02T00:00:00Z'),
    });
    // 01:30 EDT is 05:30Z; 02:30 exists once, in EST, at 07:30Z: two hours elapse.
    expect(autumn.map((o) => [o.start, o.end])).toStrictEqual([
      [utc('2026-11-01T05:30:00Z'), utc('2026-11-01T07:30:00Z')],
    ]);
    // Both ends in the gap move together; a window the gap swallows yields nothing.
    const swallowed = expandRules([sunday(3, '02:30', '03:15')], 'America/New_York', {
      start: utc('2026-03-08T00:00:00Z'),
      end: utc('2026-03-09T00:00:00Z'),
    });
    expect(swallowed).toStrictEqual([]);
  });

  it('Lord Howe: the 30-minute October shift moves a 02:15 rule to 02:45 local', () => {
    const rules: WeeklyRule[] = [
      { id: 1, dayOfWeek: 6, startTime: '02:15', endTime: '03:15', isActive: true, validFrom: null, validUntil: null },
    ];
    const occurrences = expandRules(rules, 'Australia/Lord_Howe', {
      start: utc('2026-09-26T00:00:00Z'),
      end: utc('2026-10-05T00:00:00Z'),
    });
    expect(occurrences.map((o) => [o.date, o.start, o.end])).toStrictEqual([
      ['2026-09-27', utc('2026-09-26T15:45:00Z'), utc('2026-09-26T16:45:00Z')],
      ['2026-10-04', utc('2026-10-03T15:45:00Z'), utc('2026-10-03T16:15:00Z')],
    ]);
  });

  it('a 23:00→01:00 window ends the next day and shows up in a range that starts at midnight', () => {
    const rules: WeeklyRule[] = [
      { id: 1, dayOfWeek: 0, startTime: '23:00', endTime: '01:00', isActive: true, validFrom: null, validUntil: null },
      { id: 2, dayOfWeek: 1, startTime: '09:00', endTime: '10:00', isActive: false, validFrom: null, validUntil: null },
      {
        id: 3,
        dayOfWeek: 1,
        startTime: '10:00',
        endTime: '11:00',
        isActive: true,
        validFrom: '2026-06-10',
        validUntil: null,
      },
    ];
    const tuesday = { start: utc('2026-06-02T00:00:00Z'), end: utc('2026-06-03T00:00:00Z') };
    expect(expandRules(rules, 'UTC', tuesday)).toStrictEqual([
      {
        start: utc('2026-06-01T23:00:00Z'),
        end: utc('2026-06-02T01:00:00Z'),
        ruleId: 1,
        date: '2026-06-01',
        startTime: '23:00:00',
        endTime: '01:00:00',
      },
    ]);
    expect(() => expandRules([{ ...rules[0]!, endTime: '23:00' }], 'UTC', tuesday)).toThrow(RangeError);
    expect(() => expandRules(rules, '+02:00', tuesday)).toThrow(RangeError);
  });

  it("finds a day's occurrence from instants that read the day before, where a clock falls back across midnight", () => {
    // St John's until 2010: at 00:01 on Sunday the clocks went back to 23:01 on Saturday, so
    // 02:40Z–02:45Z reads Saturday 23:10–23:15 while Sunday's 00:00 window is already open.
    const scenario: Scenario = {
      zone: 'America/St_Johns',
      range: { start: utc('2010-11-07T02:40:00Z'), end: utc('2010-11-07T02:45:00Z') },
      rules: [
        {
          id: 1,
          dayOfWeek: 6,
          startTime: '00:00',
          endTime: '00:30',
          isActive: true,
          validFrom: null,
          validUntil: null,
        },
      ],
    };
    expect(instantToLocal(scenario.range.start, scenario.zone)).toStrictEqual({ date: '2010-11-06', time: '23:10:00' });
    const occurrences = expandRules(scenario.rules, scenario.zone, scenario.range);
    expect(occurrences.map((o) => [o.date, o.start, o.end])).toStrictEqual([
      ['2010-11-07', utc('2010-11-07T02:30:00Z'), utc('2010-11-07T04:00:00Z')],
    ]);
    expect(occurrences).toStrictEqual(expandWithTemporal(scenario));
  });

  it('day names map to 0 = Monday … 6 = Sunday', () => {
    expect(DAY_NAMES.map(dayFromName)).toStrictEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(dayFromName('sun')).toBe(6);
    expect(dayFromName('Monday')).toBeNull();
    expect(dayFromName('')).toBeNull();
  });

  it('expands 92 days of a working week for 300 consultants from cached offsets, asking Temporal nothing', () => {
    const week: WeeklyRule[] = [];
    for (let day = 0; day < 5; day++) {
      week.push({
        id: week.length + 1,
        dayOfWeek: day,
        startTime: '09:00',
        endTime: '12:00',
        isActive: true,
        validFrom: null,
        validUntil: null,
      });
      week.push({
        id: week.length + 1,
        dayOfWeek: day,
        startTime: '13:00',
        endTime: '17:30',
        isActive: true,
        validFrom: null,
        validUntil: null,
      });
    }
    week.push({
      id: 99,
      dayOfWeek: 5,
      startTime: '22:00',
      endTime: '02:00',
      isActive: true,
      validFrom: null,
      validUntil: '2026-12-31',
    });
    // A year no other test here expands, so the first pass loads each zone's offsets from Temporal.
    const range = { start: utc('2077-02-01T00:00:00Z'), end: utc('2077-05-04T00:00:00Z') };
    // Each zone conversion through Temporal costs about 10 µs (and far more through Intl): once the
    // offsets are cached, expanding must not ask it again, per occurrence or at all. How long the
    // expansion takes is a bench figure (bench/scheduling.ts).
    const asked = [
      jest.spyOn(Temporal.Instant.prototype, 'toZonedDateTimeISO'),
      jest.spyOn(Temporal.ZonedDateTime.prototype, 'getTimeZoneTransition'),
      jest.spyOn(Temporal.ZonedDateTime, 'from'),
      jest.spyOn(Temporal.PlainDateTime.prototype, 'toZonedDateTime'),
    ];
    const calls = () => asked.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
    try {
      for (const zone of ZONES) expandRules(week, zone, range);
      // The spies do see Temporal being asked.
      expect(calls()).toBeGreaterThan(0);
      for (const spy of asked) spy.mockClear();
      let count = 0;
      for (let consultant = 0; consultant < 300; consultant++)
        count += expandRules(week, ZONES[consultant % ZONES.length]!, range).length;
      expect(count).toBeGreaterThan(((300 * 90 * 10) / 7) * 0.9);
      expect(calls()).toBe(0);
    } finally {
      for (const spy of asked) spy.mockRestore();
    }
  });
});
