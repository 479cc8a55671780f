import fc from 'fast-check';
import { DEFAULT_POLICY, type Interval, overlaps, widenBlocked } from '../scheduling';
import type { ConsultantSchedule } from './calendar.repository';
import { freeSlots, isFreeFor } from './free-slots';

const QUARTER = 15 * 60_000;
const MONDAY = Date.parse('2031-01-06T00:00:00Z');
const WEEK: Interval = { start: MONDAY, end: MONDAY + 7 * 96 * QUARTER };
const clock = (quarters: number) =>
  `${String(Math.floor(quarters / 4)).padStart(2, '0')}:${String((quarters % 4) * 15).padStart(2, '0')}`;

/** A consultant's schedule over a week of 2031: weekly windows, one-time slots, bookings and holds, a policy. */
const scheduleArb = fc
  .record({
    zone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'),
    rules: fc.uniqueArray(
      fc.record({
        dayOfWeek: fc.integer({ min: 0, max: 6 }),
        from: fc.integer({ min: 0, max: 80 }),
        quarters: fc.integer({ min: 1, max: 40 }),
      }),
      { selector: (r) => r.dayOfWeek, maxLength: 4 },
    ),
    slot: fc.option(fc.record({ at: fc.integer({ min: 0, max: 7 * 96 }), quarters: fc.integer({ min: 1, max: 8 }) }), {
      nil: undefined,
    }),
    bookings: fc.array(
      fc.record({
        at: fc.integer({ min: 0, max: 7 * 96 }),
        quarters: fc.integer({ min: 1, max: 8 }),
        before: fc.constantFrom(0, 1),
        after: fc.constantFrom(0, 2),
        held: fc.boolean(),
      }),
      { maxLength: 5 },
    ),
    policy: fc.record({
      bufferBeforeMinutes: fc.constantFrom(0, 10),
      bufferAfterMinutes: fc.constantFrom(0, 20),
      slotMinutes: fc.constantFrom(null, 15, 30),
      maxBookingsPerDay: fc.constantFrom(null, 1, 2),
    }),
  })
  .map(({ zone, rules, slot, bookings, policy }) => {
    const schedule: ConsultantSchedule = {
      rules: rules.map((r, i) => ({
        id: i + 1,
        dayOfWeek: r.dayOfWeek,
        startTime: clock(r.from),
        endTime: clock(Math.min(r.from + r.quarters, 95)),
        isActive: true,
        validFrom: null,
        validUntil: null,
      })),
      slots: slot
        ? [
            {
              id: 1,
              start: MONDAY + slot.at * QUARTER,
              end: MONDAY + (slot.at + slot.quarters) * QUARTER,
              isBooked: false,
            },
          ]
        : [],
      overrides: [],
      bookings: bookings.map((b) => {
        const start = MONDAY + b.at * QUARTER;
        const end = start + b.quarters * QUARTER;
        return {
          start,
          end,
          blockedStart: start - b.before * QUARTER,
          blockedEnd: end + b.after * QUARTER,
          held: b.held,
        };
      }),
      policy: { ...DEFAULT_POLICY, ...policy },
    };
    return { zone, schedule };
  });

describe('a pooled booking’s candidates (isFreeFor) and the views (freeSlots)', () => {
  it('finds a consultant free for every slot its view lists free', () => {
    fc.assert(
      fc.property(scheduleArb, fc.constantFrom(15, 30, 60), ({ zone, schedule }, slotMinutes) => {
        for (const slot of freeSlots(schedule, zone, WEEK, { slotMinutes }, Infinity)!)
          expect(isFreeFor(schedule, zone, slot)).toBe(true);
      }),
    );
  });

  it('never finds one free for time its bookings or holds block, buffers included', () => {
    fc.assert(
      fc.property(
        scheduleArb,
        fc.nat(),
        fc.integer({ min: -6, max: 6 }),
        fc.integer({ min: 1, max: 8 }),
        ({ zone, schedule }, which, offset, quarters) => {
          fc.pre(schedule.bookings.length > 0);
          // Near one of the bookings, so that most of the cases meet one.
          const near = schedule.bookings[which % schedule.bookings.length];
          const interval = { start: near.start + offset * QUARTER, end: near.start + (offset + quarters) * QUARTER };
          const blocked = schedule.bookings.some((b) =>
            overlaps(widenBlocked({ start: b.blockedStart, end: b.blockedEnd }, schedule.policy), interval),
          );
          if (blocked) expect(isFreeFor(schedule, zone, interval)).toBe(false);
        },
      ),
    );
  });
});
