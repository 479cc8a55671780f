// Test support for the scheduling specs only: production code must never import from testing/.
import * as fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import type { DateOverride, Interval, WeeklyRule } from '../index';
import { plusDays, temporalInstant } from './temporal-oracle';
import { localMsNear, splitLocalMs, zoneArb } from './zones';

/** Weekly rules and ranges placed around a zone's clock changes, for the specs that expand rules. */

export const DAY_SECONDS = 86_400;
export const utc = (iso: string) => Date.parse(iso);
export const epochDay = (date: string) => Temporal.PlainDate.from(date).since('1970-01-01').days;
export const seconds = (time: string) => Temporal.PlainTime.from(time).since('00:00').total('seconds');
export const clock = (secondsOfDay: number, withSeconds: boolean) => {
  const text = Temporal.PlainTime.from('00:00').add({ seconds: secondsOfDay }).toString({ smallestUnit: 'second' });
  return withSeconds ? text : text.slice(0, 5);
};

/** Wall-clock times around which clocks change somewhere, and anything else. */
const INTERESTING_MINUTES = [0, 15, 30, 45, 60, 90, 105, 120, 135, 150, 165, 180, 210, 240, 1320, 1380, 1410, 1439];
export const minuteOfDayArb = fc.oneof(fc.constantFrom(...INTERESTING_MINUTES), fc.integer({ min: 0, max: 1439 }));

/** Mostly null (open-ended), else a date some days from `anchor`. */
export const boundArb = (anchor: string, min = -4, max = 4) =>
  fc.oneof(
    { arbitrary: fc.constant(null), weight: 2 },
    { arbitrary: fc.integer({ min, max }).map((d) => plusDays(anchor, d)), weight: 1 },
  );

/**
 * A wall-clock moment to build a case around: its local date, weekday and seconds of day, and
 * the instant it names. Mostly within two hours of a clock change (possibly in the gap), so
 * rules placed around it meet gaps and repeats.
 */
export type Anchor = { zone: string; date: string; weekday: number; secondOfDay: number; instant: number };
export const anchorArb: fc.Arbitrary<Anchor> = zoneArb.chain((zone) =>
  localMsNear(zone).map((ms) => {
    const { date, time } = splitLocalMs(ms);
    return {
      zone,
      date,
      weekday: Temporal.PlainDate.from(date).dayOfWeek - 1,
      secondOfDay: seconds(time),
      instant: temporalInstant(date, time, zone, 'compatible'),
    };
  }),
);

/** Seconds of day: near the anchor's time, at a time clocks often change, or anything. */
export const timeNear = (anchor: Anchor) =>
  fc.oneof(
    {
      arbitrary: fc
        .integer({ min: -16, max: 16 })
        .map((step) => (((anchor.secondOfDay + step * 450) % DAY_SECONDS) + DAY_SECONDS) % DAY_SECONDS),
      weight: 3,
    },
    { arbitrary: minuteOfDayArb.map((m) => m * 60), weight: 1 },
    { arbitrary: fc.integer({ min: 0, max: DAY_SECONDS - 1 }), weight: 1 },
  );

export function ruleArb(id: number, anchor: Anchor): fc.Arbitrary<WeeklyRule> {
  return fc
    .record({
      dayOfWeek: fc.oneof(
        { arbitrary: fc.constant(anchor.weekday), weight: 3 },
        { arbitrary: fc.constant((anchor.weekday + 6) % 7), weight: 1 },
        { arbitrary: fc.integer({ min: 0, max: 6 }), weight: 1 },
      ),
      start: timeNear(anchor),
      length: fc.oneof(
        fc.integer({ min: 1, max: DAY_SECONDS - 1 }),
        fc.integer({ min: 1, max: 240 }).map((m) => m * 60),
      ),
      withSeconds: fc.boolean(),
      isActive: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
      validFrom: boundArb(anchor.date),
      validUntil: boundArb(anchor.date),
    })
    .map(({ start, length, withSeconds, ...rest }) => {
      const end = (start + length) % DAY_SECONDS;
      const exact = withSeconds || start % 60 !== 0 || end % 60 !== 0;
      return { id, startTime: clock(start, exact), endTime: clock(end, exact), ...rest };
    });
}

/** A range around the anchor, from a few minutes to ten days, reaching either side of it. */
export const rangeNear = (anchor: Anchor): fc.Arbitrary<Interval> =>
  fc
    .tuple(
      fc.oneof(fc.integer({ min: 0, max: 3 * 3_600_000 }), fc.integer({ min: 0, max: 5 * 86_400_000 })),
      fc.oneof(fc.integer({ min: 1, max: 3 * 3_600_000 }), fc.integer({ min: 1, max: 5 * 86_400_000 })),
    )
    .map(([before, after]) => ({ start: anchor.instant - before, end: anchor.instant + after }));

/** Overrides on distinct dates around the anchor, each unavailable or with up to three windows. */
export const overridesArb = (anchor: Anchor): fc.Arbitrary<DateOverride[]> =>
  fc.uniqueArray(fc.integer({ min: -2, max: 2 }), { maxLength: 3 }).chain((days) =>
    fc.tuple(
      ...days.map((day, k) =>
        fc
          .array(
            fc
              .tuple(timeNear(anchor), timeNear(anchor))
              .filter(([start, end]) => start !== end)
              .map(([start, end]) => ({ startTime: clock(start, true), endTime: clock(end, true) })),
            { maxLength: 3 },
          )
          .map((windows): DateOverride => ({ id: 500 + k, date: plusDays(anchor.date, day), windows })),
      ),
    ),
  );
