import fc from 'fast-check';
import { DomainError } from '../../common/errors';
import { DEFAULT_POLICY, localDayOf } from '../../scheduling';
import {
  CHANGE_RULES,
  type ChangeKind,
  checkBookable,
  checkConvertible,
  dailyLimitOf,
  isToCancel,
  refusalOf,
  sourceIn,
} from './booking-rules';

const HOUR = 3_600_000;
const NOW = Date.parse('2031-01-01T00:00:00Z');
const MONDAY = Date.parse('2031-01-06T00:00:00Z');
const KINDS = Object.keys(CHANGE_RULES) as ChangeKind[];

/** The problem code a decision refuses with, or null when it passes. */
function refusal(decide: () => unknown): string | null {
  try {
    decide();
    return null;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
}

describe('the booking engine rules', () => {
  it('takes a one-time slot exactly matching the interval, unless another booking holds it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 8 }),
        fc.boolean(),
        fc.boolean(),
        (at, hours, isBooked, moving) => {
          const slot = { id: 7, start: MONDAY + at * HOUR, end: MONDAY + (at + hours) * HOUR, isBooked };
          const schedule = { slots: [slot], rules: [], overrides: [] };
          const decide = () => sourceIn(slot, schedule, 'UTC', DEFAULT_POLICY, moving ? 7 : null);
          if (isBooked && !moving) expect(refusal(decide)).toBe('time-taken');
          else expect(decide()).toEqual({ availabilityId: 7, recurringId: null, windowStart: null });
        },
      ),
    );
  });

  it('refuses part of a one-time slot, and time no window covers', () => {
    const slot = { id: 7, start: MONDAY + 9 * HOUR, end: MONDAY + 11 * HOUR, isBooked: false };
    const part = { start: slot.start, end: slot.start + HOUR };
    expect(
      refusal(() => sourceIn(part, { slots: [slot], rules: [], overrides: [] }, 'UTC', DEFAULT_POLICY, null)),
    ).toBe('outside-availability');
    expect(refusal(() => sourceIn(part, { slots: [], rules: [], overrides: [] }, 'UTC', DEFAULT_POLICY, null))).toBe(
      'outside-availability',
    );
  });

  it("finds the weekly window an interval lies in, whose start the policy's grid counts from", () => {
    const rule = {
      id: 3,
      dayOfWeek: 0,
      startTime: '09:00',
      endTime: '17:00',
      isActive: true,
      validFrom: null,
      validUntil: null,
    };
    const interval = { start: MONDAY + 10 * HOUR, end: MONDAY + 11 * HOUR };
    expect(sourceIn(interval, { slots: [], rules: [rule], overrides: [] }, 'UTC', DEFAULT_POLICY, null)).toEqual({
      availabilityId: null,
      recurringId: 3,
      windowStart: MONDAY + 9 * HOUR,
    });
  });

  it('books only the future, at most a day at a time', () => {
    fc.assert(
      fc.property(fc.integer({ min: -48, max: 48 }), fc.integer({ min: 1, max: 30 }), (startHours, hours) => {
        const interval = { start: NOW + startHours * HOUR, end: NOW + (startHours + hours) * HOUR };
        const expected = hours > 24 ? 'validation-error' : startHours <= 0 ? 'in-the-past' : null;
        expect(refusal(() => checkBookable(interval, NOW))).toBe(expected);
      }),
    );
  });

  it('counts the daily limit on the local day of the start, for the changes that add to a day', () => {
    const policy = { ...DEFAULT_POLICY, maxBookingsPerDay: 2 };
    const interval = { start: MONDAY + 23 * HOUR, end: MONDAY + 24 * HOUR };
    for (const kind of KINDS) {
      const limit = dailyLimitOf(kind, interval, 'Asia/Tokyo', policy);
      if (['create', 'hold', 'reschedule'].includes(kind))
        expect(limit).toEqual({ max: 2, day: localDayOf(interval.start, 'Asia/Tokyo') });
      else expect(limit).toBeNull();
      expect(dailyLimitOf(kind, interval, 'Asia/Tokyo', DEFAULT_POLICY)).toBeNull();
    }
  });

  it('records an event exactly for the changes a subscriber is told of', () => {
    expect(Object.fromEntries(KINDS.map((k) => [k, CHANGE_RULES[k].event]))).toEqual({
      create: 'booking.created',
      hold: null,
      convert: 'booking.created',
      reschedule: 'booking.rescheduled',
      cancel: 'booking.cancelled',
      release: null,
    });
  });

  it("names the cap a writer's refusal counted against", () => {
    const ids = { consultantId: 1, bookingId: null };
    expect(refusalOf('cap', 'hold', ids, DEFAULT_POLICY, 3).code).toBe('hold-limit');
    expect(refusalOf('cap', 'create', ids, DEFAULT_POLICY, 50).code).toBe('booking-limit');
    expect(refusalOf('cap', 'convert', ids, DEFAULT_POLICY, 50).code).toBe('booking-limit');
    expect(refusalOf('slot-taken', 'create', ids, DEFAULT_POLICY, null).code).toBe('time-taken');
  });

  it('converts a live hold that starts in the future; cancels a booking once, until it ends', () => {
    const hold = {
      id: 1,
      status: 'held' as const,
      startAt: new Date(NOW + HOUR),
      endAt: new Date(NOW + 2 * HOUR),
      expiresAt: new Date(NOW + 60_000),
    };
    expect(refusal(() => checkConvertible(hold, NOW))).toBeNull();
    expect(refusal(() => checkConvertible({ ...hold, expired: true }, NOW))).toBe('hold-expired');
    expect(refusal(() => checkConvertible({ ...hold, status: 'expired' }, NOW))).toBe('hold-expired');
    expect(refusal(() => checkConvertible(hold, NOW + 2 * HOUR))).toBe('in-the-past');
    const booking = { ...hold, status: 'confirmed' as const, expiresAt: null };
    expect(isToCancel(booking, NOW)).toBe(true);
    expect(isToCancel({ ...booking, status: 'cancelled' }, NOW)).toBe(false);
    expect(refusal(() => isToCancel(booking, NOW + 3 * HOUR))).toBe('booking-in-past');
  });
});
