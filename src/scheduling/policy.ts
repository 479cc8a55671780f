import { contains, type Interval } from './interval';
import { instantToLocal, localDatesToInterval } from './local-time';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * A consultant's booking policy. Most fields' defaults keep the behaviour of a consultant
 * without one (no notice, no horizon, no buffers, no grid, no daily limit); the two that bound
 * what one client can take default to limits, so that a consultant who never set a policy
 * cannot have their week blocked by one client.
 */
export type BookingPolicy = {
  /** No booking may start sooner than this after now. */
  minimumNoticeMinutes: number;
  /** No booking may start later than this many days (of 24 hours) after now; null: no limit. */
  bookingHorizonDays: number | null;
  /** A booking also blocks this much time before its start... */
  bufferBeforeMinutes: number;
  /** ...and this much after its end. */
  bufferAfterMinutes: number;
  /** Bookings of window time start on this grid, counted from the window's start; null: anywhere. */
  slotMinutes: number | null;
  /** Confirmed bookings (and live holds) in one local day of the consultant; null: no limit. */
  maxBookingsPerDay: number | null;
  /** The longest booking or hold of window time, in minutes; null: a whole window occurrence. */
  maxBookingMinutes: number | null;
  /**
   * How many minutes of the consultant's upcoming time (buffers included) one client may block at
   * once with confirmed bookings and live holds: counted per user and per client address, so a
   * second account from the same address shares the first one's budget; null: no limit.
   */
  maxClientShareMinutes: number | null;
};

export const DEFAULT_POLICY: Readonly<BookingPolicy> = Object.freeze({
  minimumNoticeMinutes: 0,
  bookingHorizonDays: null,
  bufferBeforeMinutes: 0,
  bufferAfterMinutes: 0,
  slotMinutes: null,
  maxBookingsPerDay: null,
  maxBookingMinutes: 120,
  maxClientShareMinutes: 240,
});

/** The rules a policy refuses a start time by, before any other booking is looked at. */
export type PolicyRefusal = 'too-soon' | 'beyond-horizon' | 'off-grid';

/** The time a booking of `interval` blocks under `policy`: itself and its buffers. */
export function bufferedInterval(interval: Interval, policy: BookingPolicy): Interval {
  return {
    start: interval.start - policy.bufferBeforeMinutes * MINUTE_MS,
    end: interval.end + policy.bufferAfterMinutes * MINUTE_MS,
  };
}

/**
 * Existing blocked time (bookings with their own buffers, live holds) widened by the policy's
 * buffers the other way round, so that an interval overlaps the result exactly when its own
 * buffered interval would overlap the blocked time.
 */
export function widenBlocked(blocked: Interval, policy: BookingPolicy): Interval {
  return {
    start: blocked.start - policy.bufferAfterMinutes * MINUTE_MS,
    end: blocked.end + policy.bufferBeforeMinutes * MINUTE_MS,
  };
}

/** The earliest start the notice allows; -Infinity without one (past time is the caller's concern). */
export function earliestStart(policy: BookingPolicy, now: number): number {
  return policy.minimumNoticeMinutes > 0 ? now + policy.minimumNoticeMinutes * MINUTE_MS : -Infinity;
}

/** The latest start the horizon allows; Infinity without one. */
export function latestStart(policy: BookingPolicy, now: number): number {
  return policy.bookingHorizonDays === null ? Infinity : now + policy.bookingHorizonDays * DAY_MS;
}

/**
 * Which rule of the policy refuses a booking starting at `start` at the instant `now`, if any.
 * `windowStart` is the start of the weekly (or date override) window the booking lies in, from
 * which the grid counts; null for a one-time slot, which is booked whole and has no grid.
 */
export function policyRefusal(
  start: number,
  policy: BookingPolicy,
  now: number,
  windowStart: number | null,
): PolicyRefusal | null {
  if (start < earliestStart(policy, now)) return 'too-soon';
  if (start > latestStart(policy, now)) return 'beyond-horizon';
  if (windowStart !== null && policy.slotMinutes !== null && !onGrid(start, windowStart, policy.slotMinutes))
    return 'off-grid';
  return null;
}

/**
 * 'too-long' when a booking of window time is longer than the policy allows. A one-time slot is
 * booked whole, at the length its consultant chose, so no length limit applies to it
 * (`windowStart` null, as for policyRefusal).
 */
export function lengthRefusal(
  interval: Interval,
  policy: BookingPolicy,
  windowStart: number | null,
): 'too-long' | null {
  if (windowStart === null || policy.maxBookingMinutes === null) return null;
  return interval.end - interval.start > policy.maxBookingMinutes * MINUTE_MS ? 'too-long' : null;
}

export function onGrid(start: number, windowStart: number, slotMinutes: number): boolean {
  const offset = start - windowStart;
  return offset >= 0 && offset % (slotMinutes * MINUTE_MS) === 0;
}

/** The consultant's local day (in `zone`) that `instant` falls on, as instants. */
export function localDayOf(instant: number, zone: string): Interval {
  const { date } = instantToLocal(instant, zone);
  return localDatesToInterval(date, date, zone);
}

/**
 * The local days (in `zone`) on which at least `max` of `starts` fall: the days a daily limit
 * has filled, sorted. None without a limit.
 */
export function fullDays(starts: readonly number[], zone: string, max: number | null): Interval[] {
  if (max === null || starts.length < max) return [];
  const counts = new Map<number, { day: Interval; count: number }>();
  for (const start of starts) {
    const day = localDayOf(start, zone);
    const entry = counts.get(day.start) ?? { day, count: 0 };
    entry.count++;
    counts.set(day.start, entry);
  }
  return [...counts.values()]
    .filter((entry) => entry.count >= max)
    .map((entry) => entry.day)
    .sort((a, b) => a.start - b.start);
}

/**
 * The window a booking of `interval` lies in: one on whose grid it starts if there is one
 * (a date override's window may overlap a weekly window crossing midnight into its date), else
 * the first that contains it; undefined when none does.
 */
export function windowOf<W extends Interval>(
  windows: readonly W[],
  interval: Interval,
  policy: BookingPolicy,
): W | undefined {
  const containing = windows.filter((w) => contains(w, interval));
  if (policy.slotMinutes === null) return containing[0];
  return containing.find((w) => onGrid(interval.start, w.start, policy.slotMinutes!)) ?? containing[0];
}
