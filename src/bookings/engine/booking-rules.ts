import { badRequest, conflict, notFound, DomainError, unprocessable } from '../../common/errors';
import { localWindowOrBadRequest } from '../../common/validation/local-window';
import type { EventType } from '@consultant-calendar/client';
import {
  bookableWindows,
  type BookingPolicy,
  type DateOverride,
  type Interval,
  lengthRefusal,
  localDayOf,
  type OneTimeSlot,
  type PolicyRefusal,
  policyRefusal,
  type WeeklyRule,
  windowOf,
} from '../../scheduling';
import { parseInstant } from '../../scheduling/query-range';
import type { BookingStatus } from '../entities/booking.entity';

/**
 * The booking engine's decisions, pure: which time a request names, whether it may be booked,
 * which limits the writer must check and which event it records, and which refusal each of the
 * writer's outcomes is. The time arithmetic is src/scheduling/'s; nothing here reads or writes.
 */

const DAY_MS = 86_400_000;

/** Every change a booking or hold goes through; each is one call of the writer (booking-writer.sql). */
export type ChangeKind = 'create' | 'hold' | 'convert' | 'reschedule' | 'cancel' | 'release';

/** What the writer checks and records for each kind of change; the counters follow from the statuses. */
export const CHANGE_RULES: Record<
  ChangeKind,
  { dailyLimit: boolean; clientShare: boolean; cap: 'bookings' | 'holds' | null; event: EventType | null }
> = {
  create: { dailyLimit: true, clientShare: true, cap: 'bookings', event: 'booking.created' },
  hold: { dailyLimit: true, clientShare: true, cap: 'holds', event: null },
  // A hold was counted on its day and in its client's share when it was made, and is no event until it is booked.
  convert: { dailyLimit: false, clientShare: false, cap: 'bookings', event: 'booking.created' },
  reschedule: { dailyLimit: true, clientShare: true, cap: null, event: 'booking.rescheduled' },
  cancel: { dailyLimit: false, clientShare: false, cap: null, event: 'booking.cancelled' },
  release: { dailyLimit: false, clientShare: false, cap: null, event: null },
};

/** The writer's answers (booking-writer.sql): `done`, `stale` (decide again), or a refusal. */
export type WriteOutcome =
  'done' | 'stale' | 'no-consultant' | 'gone' | 'slot-taken' | 'daily-limit' | 'client-share' | 'cap';

/** What a booking request asks for, before it is checked against availability. */
export type Target =
  { slotId: number } | { local: { date: string; start_time: string; end_time: string } } | { interval: Interval };

/** Where an accepted interval came from. */
export interface Source {
  availabilityId: number | null;
  recurringId: number | null;
  /** The start of the window the interval lies in, from which the policy's grid counts; null for a one-time slot. */
  windowStart: number | null;
}

/** A consultant's slots overlapping an interval, and its active weekly rules and date overrides near it. */
export interface ScheduleNear {
  slots: OneTimeSlot[];
  rules: (WeeklyRule & { id: number })[];
  overrides: DateOverride[];
}

/** The interval a target given as time names, in the consultant's zone. */
export const intervalOf = (target: Exclude<Target, { slotId: number }>, zone: string): Interval =>
  'interval' in target ? target.interval : localWindowOrBadRequest(target.local, zone);

/** At most a day long and in the future. */
export function checkBookable(interval: Interval, now: number): void {
  if (interval.end - interval.start > DAY_MS)
    throw badRequest('A booking is at most 24 hours long', [
      { field: 'end', message: 'is more than 24 hours after start' },
    ]);
  if (interval.start <= now) throw unprocessable('in-the-past');
}

/** The policy's notice, horizon, grid and longest booking; the refusal names its rule and the policy's number. */
export function checkPolicy(interval: Interval, policy: BookingPolicy, windowStart: number | null, now: number): void {
  const refusal = policyRefusal(interval.start, policy, now, windowStart);
  if (refusal !== null) throw unprocessable(refusal, POLICY_REFUSALS[refusal](policy, windowStart));
  if (lengthRefusal(interval, policy, windowStart) !== null)
    throw unprocessable(
      'too-long',
      `Bookings of this consultant's window time are at most ${policy.maxBookingMinutes} minutes long.`,
    );
}

const POLICY_REFUSALS: Record<PolicyRefusal, (policy: BookingPolicy, windowStart: number | null) => string> = {
  'too-soon': (p) => `Bookings with this consultant must start at least ${p.minimumNoticeMinutes} minutes from now.`,
  'beyond-horizon': (p) => `Bookings with this consultant may start at most ${p.bookingHorizonDays} days ahead.`,
  'off-grid': (p, windowStart) =>
    `Bookings of this window start on the consultant's ${p.slotMinutes}-minute grid, counted from the window's start at ${new Date(windowStart!).toISOString()}.`,
};

const slotTaken = () => conflict('time-taken');

/**
 * A one-time slot exactly matching the interval, else an occurrence of a bookable weekly window
 * containing it. `movingSlotId` is the slot of the booking being moved, which counts as free.
 */
export function sourceIn(
  interval: Interval,
  schedule: ScheduleNear,
  zone: string,
  policy: BookingPolicy,
  movingSlotId: number | null,
): Source {
  const whole = schedule.slots.find((s) => s.start === interval.start && s.end === interval.end);
  if (whole) {
    if (whole.isBooked && whole.id !== movingSlotId) throw slotTaken();
    return { availabilityId: whole.id, recurringId: null, windowStart: null };
  }
  const window = windowOf(bookableWindows(schedule.rules, schedule.overrides, zone, interval), interval, policy);
  if (window) return { availabilityId: null, recurringId: window.ruleId ?? null, windowStart: window.start };
  const partial = schedule.slots[0];
  throw unprocessable(
    'outside-availability',
    partial
      ? `One-time slots are booked whole: slot ${partial.id} runs ${new Date(partial.start).toISOString()}–${new Date(partial.end).toISOString()}.`
      : 'The consultant is not available for that whole time.',
  );
}

/** The local day whose bookings the policy's daily limit counts, when it has one and the change is counted. */
export function dailyLimitOf(
  kind: ChangeKind,
  interval: Interval,
  zone: string,
  policy: BookingPolicy,
): { max: number; day: Interval } | null {
  if (!CHANGE_RULES[kind].dailyLimit || policy.maxBookingsPerDay === null) return null;
  return { max: policy.maxBookingsPerDay, day: localDayOf(interval.start, zone) };
}

/** A booking or hold as the engine reads it before a change. */
export interface BookingState {
  id: number;
  status: BookingStatus;
  startAt: Date;
  endAt: Date;
  /** For a hold: past its expiry by the database's clock. */
  expired?: boolean;
  expiresAt: Date | null;
}

/** Whether a hold may become a booking now. */
export function checkConvertible(hold: BookingState, now: number): void {
  if (hold.status !== 'held' && hold.status !== 'expired') throw notFound(`Hold ${hold.id}`);
  if (hold.status === 'expired' || hold.expired)
    throw unprocessable(
      'hold-expired',
      `Hold ${hold.id} expired at ${hold.expiresAt!.toISOString()}; hold or book the time again.`,
    );
  checkBookable({ start: hold.startAt.getTime(), end: hold.startAt.getTime() + 1 }, now);
}

/** Whether a booking may move now. */
export function checkMovable(booking: BookingState, now: number): void {
  if (booking.status !== 'confirmed') throw conflict('booking-cancelled');
  if (booking.startAt.getTime() <= now)
    throw unprocessable('booking-in-past', 'A booking that has already started cannot be rescheduled.');
}

/** Whether a booking is to be cancelled now: false when it already is (cancelling twice is a no-op). */
export function isToCancel(booking: BookingState, now: number): boolean {
  if (booking.status === 'cancelled') return false;
  if (booking.endAt.getTime() <= now)
    throw unprocessable('booking-in-past', 'A booking that has already ended cannot be cancelled.');
  return true;
}

/** The refusal a writer's outcome stands for; `cap` is the number the writer counted against. */
export function refusalOf(
  outcome: Exclude<WriteOutcome, 'done' | 'stale'>,
  kind: ChangeKind,
  ids: { consultantId: number; bookingId: number | null },
  policy: BookingPolicy,
  cap: number | null,
): DomainError {
  switch (outcome) {
    case 'no-consultant':
      return notFound(`Consultant ${ids.consultantId}`);
    case 'gone':
      return notFound(`${kind === 'convert' || kind === 'release' ? 'Hold' : 'Booking'} ${ids.bookingId}`);
    case 'slot-taken':
      return slotTaken();
    case 'daily-limit':
      return unprocessable(
        'daily-limit',
        `This consultant takes at most ${policy.maxBookingsPerDay} bookings a day, and that day is full; pick another day.`,
      );
    case 'client-share':
      return unprocessable(
        'client-share',
        `One client may block at most ${policy.maxClientShareMinutes} minutes of this consultant's upcoming time (buffers included), counted per account and per client address; cancel or release some first.`,
      );
    case 'cap':
      return CHANGE_RULES[kind].cap === 'holds'
        ? unprocessable(
            'hold-limit',
            `You already have ${cap} live holds, the most one account may; book or release one first.`,
          )
        : unprocessable(
            'booking-limit',
            `You already hold ${cap} upcoming bookings, the most one account may; cancel one to book another.`,
          );
  }
}

/** Exactly one of the three target forms, complete. */
export function parseTarget(dto: {
  availability_id?: number;
  start?: string;
  end?: string;
  date?: string;
  start_time?: string;
  end_time?: string;
}): Target {
  const forms = [
    dto.availability_id !== undefined && 'availability_id',
    (dto.start !== undefined || dto.end !== undefined) && 'start/end',
    (dto.date !== undefined || dto.start_time !== undefined || dto.end_time !== undefined) &&
      'date/start_time/end_time',
  ].filter(Boolean);
  if (forms.length !== 1) {
    throw badRequest(
      `Give exactly one of: availability_id; start and end; date, start_time and end_time (got ${forms.join(', ') || 'none'})`,
      [{ field: 'availability_id', message: 'or start/end, or date/start_time/end_time' }],
    );
  }
  if (dto.availability_id !== undefined) return { slotId: dto.availability_id };
  if (forms[0] === 'start/end') {
    if (dto.start === undefined || dto.end === undefined)
      throw badRequest('Give both start and end', [
        { field: dto.start === undefined ? 'start' : 'end', message: 'is required' },
      ]);
    const interval = { start: parseInstant(dto.start)!, end: parseInstant(dto.end)! };
    if (interval.end <= interval.start)
      throw badRequest('end must be after start', [{ field: 'end', message: 'must be after start' }]);
    return { interval };
  }
  const missing = (['date', 'start_time', 'end_time'] as const).filter((f) => dto[f] === undefined);
  if (missing.length)
    throw badRequest(
      `Give date, start_time and end_time (missing ${missing.join(', ')})`,
      missing.map((field) => ({ field, message: 'is required' })),
    );
  return { local: { date: dto.date!, start_time: dto.start_time!, end_time: dto.end_time! } };
}
