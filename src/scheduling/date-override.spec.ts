import * as fc from 'fast-check';
import { type Interval, bookableWindows, expandRules, firstOverlappingWindow, overlaps } from './index';
import { check } from './testing/properties';
import { anchorArb, overridesArb, rangeNear, ruleArb } from './testing/rules';
import { plusDays, temporalInstant } from './testing/temporal-oracle';

const scenarioArb = anchorArb.chain((anchor) =>
  fc.record({
    zone: fc.constant(anchor.zone),
    range: rangeNear(anchor),
    rules: fc
      .array(fc.nat(), { minLength: 1, maxLength: 4 })
      .chain((ids) => fc.tuple(...ids.map((_, k) => ruleArb(k + 1, anchor)))),
    overrides: overridesArb(anchor),
  }),
);

const strip = ({ start, end }: Interval) => ({ start, end });

describe('date overrides', () => {
  it("replace exactly their dates' weekly windows, their own windows read by Temporal (DST, midnight)", () => {
    check(
      fc.property(scenarioArb, ({ zone, range, rules, overrides }) => {
        const overridden = new Set(overrides.map((o) => o.date));
        const weekly = expandRules(rules, zone, range)
          .filter((o) => !overridden.has(o.date))
          .map((o) => ({ ...strip(o), ruleId: o.ruleId }));
        const own = overrides.flatMap((o) =>
          o.windows
            .map(({ startTime, endTime }) => ({
              start: temporalInstant(o.date, startTime, zone, 'compatible'),
              end: temporalInstant(endTime > startTime ? o.date : plusDays(o.date, 1), endTime, zone, 'compatible'),
              overrideId: o.id,
            }))
            .filter((w) => w.end > w.start && overlaps(w, range)),
        );
        const key = (w: Interval & { ruleId?: number; overrideId?: number }) =>
          `${w.start}-${w.end}-${w.ruleId ?? ''}-${w.overrideId ?? ''}`;
        const windows = bookableWindows(rules, overrides, zone, range);
        expect(windows.map(key).sort()).toStrictEqual([...weekly, ...own].map(key).sort());
        // Sorted by start, as the free-time computation expects.
        expect(windows.filter((w, k) => k > 0 && windows[k - 1]!.start > w.start)).toStrictEqual([]);
      }),
    );
  });

  it('without overrides, the windows are the weekly occurrences', () => {
    check(
      fc.property(scenarioArb, ({ zone, range, rules }) => {
        expect(bookableWindows(rules, [], zone, range)).toStrictEqual(expandRules(rules, zone, range));
      }),
    );
  });

  it("finds windows of one date that overlap in wall-clock time (brute force over the date's minutes)", () => {
    const minute = fc.integer({ min: 0, max: 1439 });
    const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    const windowsArb = fc.array(
      fc.tuple(minute, minute).filter(([a, b]) => a !== b),
      { maxLength: 4 },
    );
    check(
      fc.property(windowsArb, (pairs) => {
        // Minutes from the date's midnight that each window covers; one crossing midnight goes on.
        const covered = pairs.map(([a, b]) => new Set(Array.from({ length: (b - a + 1440) % 1440 }, (_, k) => a + k)));
        const expected = covered.findIndex((mine, i) =>
          covered.some((theirs, j) => j < i && [...mine].some((m) => theirs.has(m))),
        );
        expect(firstOverlappingWindow(pairs.map(([a, b]) => ({ startTime: hhmm(a), endTime: hhmm(b) })))).toBe(
          expected,
        );
      }),
    );
    expect(
      firstOverlappingWindow([
        { startTime: '23:00:00', endTime: '02:00:00' },
        { startTime: '01:00:00', endTime: '03:00:00' },
      ]),
    ).toBe(-1);
  });
});
