import {
  bookableWindows,
  computeFreeTimeWithin,
  contains,
  type FreeSlot,
  fullDays,
  type Interval,
} from '../scheduling';
import type { BlockingBooking, ConsultantSchedule } from './calendar.repository';

/**
 * A consultant's free time from its schedule, as every calendar view computes it (on
 * scheduling/'s computeFreeTimeWithin), and whether it has room for one interval, as a pooled
 * booking picks its candidates: one computation for both.
 */

export type FreeSlotOptions = { slotMinutes?: number; includeBooked?: boolean };

const blockedTime = (b: BlockingBooking): Interval => ({ start: b.blockedStart, end: b.blockedEnd });

/** Whether the schedule's free time changes with the clock alone: a notice or horizon counts from now, a hold expires. */
export const movesWithTheClock = ({ policy, bookings }: ConsultantSchedule): boolean =>
  policy.minimumNoticeMinutes > 0 || policy.bookingHorizonDays !== null || bookings.some((b) => b.held);

/** Free time under the consultant's policy (without slot_minutes, its grid cuts it); null past `max` slots. */
export function freeSlots(
  schedule: ConsultantSchedule,
  zone: string,
  range: Interval,
  options: FreeSlotOptions,
  max: number,
): FreeSlot[] | null {
  const { policy } = schedule;
  const occurrences = bookableWindows(schedule.rules, schedule.overrides, zone, range);
  return computeFreeTimeWithin(
    {
      oneTimeSlots: schedule.slots,
      occurrences,
      bookings: schedule.bookings.filter((b) => !b.held).map(blockedTime),
      holds: schedule.bookings.filter((b) => b.held).map(blockedTime),
      range,
      policy,
      now: Date.now(),
      fullDays: fullDays(
        schedule.bookings.map((b) => b.start),
        zone,
        policy.maxBookingsPerDay,
      ),
      ...options,
    },
    max,
  );
}

/**
 * Whether the consultant is free for the whole interval, as its views find it: a free one-time
 * slot exactly, or inside one free piece of window time (uncut: the policy's grid and longest
 * booking are the booking engine's to check, with everything else it checks when it books).
 */
export function isFreeFor(schedule: ConsultantSchedule, zone: string, interval: Interval): boolean {
  const uncut = { ...schedule, policy: { ...schedule.policy, slotMinutes: null } };
  return freeSlots(uncut, zone, interval, {}, Infinity)!.some((slot) =>
    slot.source === 'one_time' ? slot.start === interval.start && slot.end === interval.end : contains(slot, interval),
  );
}
