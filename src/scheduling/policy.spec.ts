import * as fc from 'fast-check';
import {
  type BookingPolicy,
  DEFAULT_POLICY,
  type FreeSlot,
  type FreeTimeInput,
  type Interval,
  type OneTimeSlot,
  bookableWindows,
  bufferedInterval,
  computeFreeTime,
  contains,
  countFreeTime,
  fullDays,
  lengthRefusal,
  localDayOf,
  overlaps,
  policyRefusal,
} from './index';
import { check } from './testing/properties';
import { type Anchor, anchorArb, overridesArb, rangeNear, ruleArb } from './testing/rules';
import { temporalLocal } from './testing/temporal-oracle';
import { instantNear, zoneArb } from './testing/zones';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const policyArb: fc.Arbitrary<BookingPolicy> = fc.record({
  minimumNoticeMinutes: fc.constantFrom(0, 0, 30, 120, 1440),
  bookingHorizonDays: fc.constantFrom(null, null, 1, 3),
  bufferBeforeMinutes: fc.constantFrom(0, 0, 5, 15, 60, 1440),
  bufferAfterMinutes: fc.constantFrom(0, 0, 10, 30, 90),
  slotMinutes: fc.constantFrom(null, null, 15, 30, 45, 60),
  maxBookingsPerDay: fc.constantFrom(null, null, 1, 2, 3),
  maxBookingMinutes: fc.constantFrom(null, 30, 120, 1440),
  maxClientShareMinutes: fc.constantFrom(null, 240),
});

/**
 * A booking already made, or a live hold: its time, and the time it blocks (with the buffers it
 * was made with). Both block time and count toward the daily limit.
 */
type Made = Interval & { blocked: Interval; held?: boolean };

const madeArb = (anchor: Anchor): fc.Arbitrary<Made> =>
  fc
    .record({
      offset: fc.integer({ min: -2 * 24 * 4, max: 2 * 24 * 4 }),
      quarters: fc.integer({ min: 1, max: 16 }),
      before: fc.constantFrom(0, 0, 10, 45),
      after: fc.constantFrom(0, 0, 15, 60),
      held: fc.boolean(),
    })
    .map(({ offset, quarters, before, after, held }) => {
      const start = anchor.instant + offset * 15 * MINUTE;
      const end = start + quarters * 15 * MINUTE;
      return { start, end, blocked: { start: start - before * MINUTE, end: end + after * MINUTE }, held };
    });

const oneTimeArb = (anchor: Anchor): fc.Arbitrary<OneTimeSlot[]> =>
  fc
    .array(
      fc
        .tuple(fc.integer({ min: -96, max: 96 }), fc.integer({ min: 1, max: 8 }), fc.boolean())
        .map(([offset, quarters, isBooked]) => ({ offset, quarters, isBooked })),
      { maxLength: 4 },
    )
    .map((slots) =>
      slots.map(({ offset, quarters, isBooked }, k) => ({
        id: 100 + k,
        start: anchor.instant + offset * 15 * MINUTE,
        end: anchor.instant + (offset + quarters) * 15 * MINUTE,
        isBooked,
      })),
    );

/**
 * A consultant's state around a clock change of its zone: weekly windows (some crossing
 * midnight), date overrides, one-time slots, bookings, a policy, and the instant it is now.
 */
type State = {
  zone: string;
  range: Interval;
  /** Weekly occurrences and date override windows. */
  occurrences: ReturnType<typeof bookableWindows>;
  oneTimeSlots: OneTimeSlot[];
  made: Made[];
  policy: BookingPolicy;
  now: number;
  slotMinutes?: number;
  includeBooked: boolean;
};

const stateArb: fc.Arbitrary<State> = anchorArb.chain((anchor) =>
  fc
    .record({
      range: rangeNear(anchor),
      rules: fc
        .array(fc.nat(), { minLength: 1, maxLength: 4 })
        .chain((ids) => fc.tuple(...ids.map((_, k) => ruleArb(k + 1, anchor)))),
      overrides: overridesArb(anchor),
      oneTimeSlots: oneTimeArb(anchor),
      made: fc.array(madeArb(anchor), { maxLength: 6 }),
      policy: policyArb,
      now: fc.integer({ min: -2 * DAY, max: 2 * DAY }).map((d) => anchor.instant + d),
      slotMinutes: fc.constantFrom(undefined, undefined, 15, 20, 60),
      includeBooked: fc.boolean(),
    })
    .map(({ range, rules, overrides, ...rest }) => ({
      zone: anchor.zone,
      range,
      occurrences: bookableWindows(rules, overrides, anchor.zone, range),
      ...rest,
    })),
);

function freeTimeInput(state: State): FreeTimeInput {
  return {
    oneTimeSlots: state.oneTimeSlots,
    occurrences: state.occurrences,
    bookings: state.made.filter((m) => !m.held).map((m) => m.blocked),
    holds: state.made.filter((m) => m.held).map((m) => m.blocked),
    range: state.range,
    policy: state.policy,
    includeBooked: state.includeBooked,
    now: state.now,
    fullDays: fullDays(
      state.made.map((m) => m.start),
      state.zone,
      state.policy.maxBookingsPerDay,
    ),
    ...(state.slotMinutes === undefined ? {} : { slotMinutes: state.slotMinutes }),
  };
}

const freeTime = (state: State): FreeSlot[] => computeFreeTime(freeTimeInput(state));

/**
 * The starts of the windows a free slot lies in (its grid's possible origins: windows of a date
 * override may overlap a weekly window crossing midnight into its date), or [null] for a
 * one-time slot.
 */
function windowStartsOf(state: State, slot: FreeSlot): (number | null)[] {
  if (slot.source === 'one_time') return [null];
  return state.occurrences.filter((o) => contains(o, slot)).map((o) => o.start);
}

/**
 * Why a booking of the slot would be refused: in a window whose grid it starts on if there is one
 * (the grid refuses it only when no window it lies in has it on its grid), else in the first.
 */
function refusalIn(state: State, slot: FreeSlot): string | null {
  const starts = windowStartsOf(state, slot);
  const onGrid = starts.find((start) => policyRefusal(slot.start, state.policy, state.now, start) === null);
  return refusal(state, slot, onGrid === undefined ? starts[0]! : onGrid);
}

/**
 * Why a booking of `slot` would be refused, by the rules alone, read independently of the
 * scheduling module's own day arithmetic: local dates come from Temporal.
 */
function refusal(state: State, slot: Interval, windowStart: number | null): string | null {
  const byPolicy = policyRefusal(slot.start, state.policy, state.now, windowStart);
  if (byPolicy !== null) return byPolicy;
  const blocked = bufferedInterval(slot, state.policy);
  if (state.made.some((m) => overlaps(m.blocked, blocked))) return 'time-taken';
  if (state.oneTimeSlots.some((s) => s.isBooked && overlaps(s, slot))) return 'time-taken';
  const max = state.policy.maxBookingsPerDay;
  const date = temporalLocal(slot.start, state.zone).date;
  if (max !== null && state.made.filter((m) => temporalLocal(m.start, state.zone).date === date).length >= max)
    return 'daily-limit';
  return null;
}

describe('free time under a policy', () => {
  it('never contains a time that a booking would be refused for (policy, overrides, holds), across zones and clock changes', () => {
    check(
      fc.property(stateArb, (state) => {
        const refused = freeTime(state)
          .filter((slot) => !slot.isBooked)
          .map((slot) => ({ slot, why: refusalIn(state, slot) }))
          .filter(({ why }) => why !== null);
        expect(refused).toStrictEqual([]);
      }),
    );
  });

  it('a booking of reported free time is refused only when another booking or hold took it in between', () => {
    check(
      fc.property(stateArb, fc.nat(), fc.nat(), (state, first, second) => {
        const free = freeTime(state).filter((slot) => !slot.isBooked);
        fc.pre(free.length > 0);
        // Someone else books one free slot (with the policy's buffers) before ours arrives.
        const taken = free[first % free.length]!;
        const made: Made = { start: taken.start, end: taken.end, blocked: bufferedInterval(taken, state.policy) };
        const after = { ...state, made: [...state.made, made] };
        const ours = free[second % free.length]!;
        const why = refusalIn(after, ours);
        const sameDay = temporalLocal(ours.start, state.zone).date === temporalLocal(made.start, state.zone).date;
        const explained =
          why === null ||
          (why === 'time-taken' && overlaps(bufferedInterval(ours, state.policy), made.blocked)) ||
          (why === 'daily-limit' && sameDay);
        expect({ why, explained }).toStrictEqual({ why, explained: true });
        // And what is reported free afterwards is still all bookable.
        expect(freeTime(after).filter((slot) => !slot.isBooked && refusalIn(after, slot) !== null)).toStrictEqual([]);
      }),
    );
  });

  it('marks held exactly the blocked time that live holds alone block, never free time', () => {
    check(
      fc.property(stateArb, (base) => {
        const state = { ...base, includeBooked: true };
        const widened = (m: Made) => ({
          start: m.blocked.start - state.policy.bufferAfterMinutes * MINUTE,
          end: m.blocked.end + state.policy.bufferBeforeMinutes * MINUTE,
        });
        const wrong = freeTime(state).filter((slot) => {
          const byBooking =
            state.made.some((m) => !m.held && overlaps(widened(m), slot)) ||
            state.oneTimeSlots.some((o) => o.isBooked && (overlaps(o, slot) || o.id === slot.availabilityId));
          const byHold = state.made.some((m) => m.held && overlaps(widened(m), slot));
          return (slot.isHeld === true) !== (slot.isBooked && byHold && !byBooking);
        });
        expect(wrong).toStrictEqual([]);
      }),
    );
  });

  it('counts exactly the slots it lists, whatever the notice, horizon, full days, holds and clock changes', () => {
    check(fc.property(stateArb, (state) => expect(countFreeTime(freeTimeInput(state))).toBe(freeTime(state).length)));
  });

  it('the default policy changes nothing', () => {
    check(
      fc.property(stateArb, (state) => {
        // No policy, no now, no full days: the computation as it was before policies.
        const bare = computeFreeTime({
          oneTimeSlots: state.oneTimeSlots,
          occurrences: state.occurrences,
          bookings: state.made.filter((m) => !m.held).map((m) => m.blocked),
          holds: state.made.filter((m) => m.held).map((m) => m.blocked),
          range: state.range,
          includeBooked: state.includeBooked,
          ...(state.slotMinutes === undefined ? {} : { slotMinutes: state.slotMinutes }),
        });
        expect(freeTime({ ...state, policy: { ...DEFAULT_POLICY } })).toStrictEqual(bare);
      }),
    );
  });

  it('a policy grid puts every window slot on it, counted from the window start, in elapsed time', () => {
    check(
      fc.property(stateArb, fc.constantFrom(15, 30, 45, 60), (base, grid) => {
        const state = { ...base, policy: { ...base.policy, slotMinutes: grid } };
        const offGrid = freeTime(state).filter(
          (slot) =>
            slot.source !== 'one_time' &&
            !windowStartsOf(state, slot).some((start) => (slot.start - start!) % (grid * MINUTE) === 0),
        );
        expect(offGrid).toStrictEqual([]);
      }),
    );
  });

  it('fullDays finds exactly the local days holding at least max starts (Temporal as oracle)', () => {
    const arb = zoneArb.chain((zone) =>
      fc.record({
        zone: fc.constant(zone),
        starts: fc.array(instantNear(zone), { maxLength: 8 }),
        max: fc.integer({ min: 1, max: 3 }),
      }),
    );
    check(
      fc.property(arb, ({ zone, starts, max }) => {
        const days = fullDays(starts, zone, max);
        const counts = new Map<string, number>();
        for (const start of starts) {
          const date = temporalLocal(start, zone).date;
          counts.set(date, (counts.get(date) ?? 0) + 1);
        }
        const expected = [...counts].filter(([, n]) => n >= max).map(([date]) => date);
        expect(days.map((d) => temporalLocal(d.start, zone).date).sort()).toStrictEqual(expected.sort());
        // Each is that whole local day: its first instant to the next day's.
        for (const day of days) {
          expect(localDayOf(day.start, zone)).toStrictEqual(day);
          expect(temporalLocal(day.end - 1, zone).date).toBe(temporalLocal(day.start, zone).date);
          expect(temporalLocal(day.end, zone).date).not.toBe(temporalLocal(day.start, zone).date);
        }
      }),
    );
  });

  it('refuses by rule: too-soon, beyond-horizon, off-grid', () => {
    const policy: BookingPolicy = {
      ...DEFAULT_POLICY,
      minimumNoticeMinutes: 60,
      bookingHorizonDays: 2,
      slotMinutes: 30,
    };
    const now = Date.parse('2030-03-01T12:00:00Z');
    const window = Date.parse('2030-03-01T09:00:00Z');
    expect(policyRefusal(now + 59 * MINUTE, policy, now, null)).toBe('too-soon');
    expect(policyRefusal(now + 60 * MINUTE, policy, now, null)).toBeNull();
    expect(policyRefusal(now + 2 * DAY + 1, policy, now, null)).toBe('beyond-horizon');
    expect(policyRefusal(now + 2 * DAY, policy, now, window)).toBeNull();
    expect(policyRefusal(now + 70 * MINUTE, policy, now, window)).toBe('off-grid');
    expect(policyRefusal(now + 70 * MINUTE, policy, now, null)).toBeNull();
    expect(
      bufferedInterval({ start: now, end: now + HOUR }, { ...policy, bufferBeforeMinutes: 5, bufferAfterMinutes: 10 }),
    ).toStrictEqual({
      start: now - 5 * MINUTE,
      end: now + HOUR + 10 * MINUTE,
    });
  });

  it('refuses window time longer than the policy allows, and never a one-time slot for its length', () => {
    check(
      fc.property(
        fc.integer({ min: 0, max: 4 * DAY }),
        fc.integer({ min: 1, max: 24 * 60 }),
        fc.constantFrom(null, 5, 60, 120, 1440),
        fc.boolean(),
        (start, minutes, maxBookingMinutes, oneTime) => {
          const interval = { start, end: start + minutes * MINUTE };
          const policy = { ...DEFAULT_POLICY, maxBookingMinutes };
          const refusal = lengthRefusal(interval, policy, oneTime ? null : start);
          const tooLong = !oneTime && maxBookingMinutes !== null && minutes > maxBookingMinutes;
          expect(refusal).toBe(tooLong ? 'too-long' : null);
        },
      ),
    );
    // The default protects a consultant who never set a policy.
    expect(lengthRefusal({ start: 0, end: 121 * MINUTE }, DEFAULT_POLICY, 0)).toBe('too-long');
    expect(lengthRefusal({ start: 0, end: 120 * MINUTE }, DEFAULT_POLICY, 0)).toBeNull();
  });
});
