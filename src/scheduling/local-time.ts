import {
  MS_PER_DAY,
  dateFromEpochDay,
  epochDayFromDate,
  secondsFromTime,
  timeFromSeconds,
  weekdayOfEpochDay,
} from './civil-time';
import type { Interval } from './interval';
import { ZoneOffsets, canonicalTimeZone } from './zone-offsets';

export { canonicalTimeZone };

/**
 * How a wall-clock time the zone skipped (spring-forward gap) is read: 'compatible' moves it
 * forward by the gap (RFC 5545), 'reject' refuses it. A repeated time (fall-back) means its
 * first occurrence either way.
 */
export type GapMode = 'compatible' | 'reject';

/** A local date and time that the zone skips; the API answers it with a 400. */
export class NonexistentLocalTimeError extends Error {
  override readonly name = 'NonexistentLocalTimeError';

  constructor(
    readonly date: string,
    readonly time: string,
    readonly zone: string,
  ) {
    super(`${date} ${time} does not exist in ${zone}: the clocks skip it`);
  }
}

/** A local window that is malformed or has no duration; the API answers it with a 400. */
export class InvalidLocalWindowError extends RangeError {
  override readonly name = 'InvalidLocalWindowError';
}

/**
 * True for an IANA name exactly as Temporal spells it ('Europe/Berlin', 'UTC'); false for
 * offsets such as '+05:00', which do not follow a place's daylight-saving rules, and for other
 * spellings of a name ('utc'), so that what is stored is what Temporal reports back.
 */
export function isValidTimeZone(zone: string): boolean {
  return canonicalTimeZone(zone) === zone;
}

/** 'HH:MM' or 'HH:MM:SS' (hours 00–23) as 'HH:MM:SS', or null. */
export function parseLocalTime(time: string): string | null {
  const seconds = secondsFromTime(time);
  return seconds === null ? null : timeFromSeconds(seconds);
}

/** 'YYYY-MM-DD' naming a day that exists in the Gregorian calendar. */
export function isValidLocalDate(date: string): boolean {
  return epochDayFromDate(date) !== null;
}

export function addDays(date: string, days: number): string {
  if (!Number.isSafeInteger(days)) throw new RangeError(`days must be an integer, got ${days}`);
  return dateFromEpochDay(requireDate(date) + days);
}

/** 0 = Monday … 6 = Sunday. */
export function dayOfWeek(date: string): number {
  return weekdayOfEpochDay(requireDate(date));
}

/**
 * The instant (epoch ms) at which `zone` shows `date` `time`. A repeated time is its earlier
 * instant; a skipped one moves forward by the gap, or throws NonexistentLocalTimeError in
 * 'reject' mode.
 */
export function localToInstant(date: string, time: string, zone: string, mode: GapMode = 'compatible'): number {
  const zoneOffsets = ZoneOffsets.of(zone);
  return resolve(zoneOffsets, requireDate(date), requireTime(time), mode);
}

/**
 * The instants of a local wall-clock window starting on `date`. An end time earlier than the
 * start time ends on the next local day (23:00→01:00), so a window is always shorter than 24
 * wall-clock hours; its elapsed length differs from that when a clock change falls inside it.
 * Throws InvalidLocalWindowError when the times are equal or when, in 'compatible' mode, the
 * clock change leaves nothing of the window (02:30→03:15 on a night that skips 02:00–03:00),
 * and NonexistentLocalTimeError in 'reject' mode when either end is skipped.
 */
export function localWindowToInterval(
  date: string,
  startTime: string,
  endTime: string,
  zone: string,
  mode: GapMode = 'compatible',
): Interval {
  const zoneOffsets = ZoneOffsets.of(zone);
  const day = requireDate(date);
  const startSeconds = requireTime(startTime);
  const endSeconds = requireTime(endTime);
  if (startSeconds === endSeconds) {
    throw new InvalidLocalWindowError(`a window cannot start and end at the same time (${startTime})`);
  }
  const endDay = endSeconds > startSeconds ? day : day + 1;
  const start = resolve(zoneOffsets, day, startSeconds, mode);
  const end = resolve(zoneOffsets, endDay, endSeconds, mode);
  if (end <= start) {
    throw new InvalidLocalWindowError(`${date} ${startTime}–${endTime} lies in a gap skipped by the clocks in ${zone}`);
  }
  return { start, end };
}

/**
 * The local days `fromDate` to `toDate`, both inclusive, as instants: from the first instant
 * of the first day to the first instant of the day after the last (a day whose midnight is
 * skipped starts when its clock does).
 */
export function localDatesToInterval(fromDate: string, toDate: string, zone: string): Interval {
  const zoneOffsets = ZoneOffsets.of(zone);
  const first = requireDate(fromDate);
  const last = requireDate(toDate);
  if (last < first) throw new RangeError(`${toDate} is before ${fromDate}`);
  return {
    start: zoneOffsets.compatibleInstant(first * MS_PER_DAY),
    end: zoneOffsets.compatibleInstant((last + 1) * MS_PER_DAY),
  };
}

/** The wall-clock `zone` shows at `instant`, to the second. */
export function instantToLocal(instant: number, zone: string): { date: string; time: string } {
  const local = wallClockMs(instant, zone);
  const day = Math.floor(local / MS_PER_DAY);
  return { date: dateFromEpochDay(day), time: timeFromSeconds(Math.floor((local - day * MS_PER_DAY) / 1000)) };
}

/** instantToLocal's time alone ('HH:MM:SS'), for the end of a slot, whose date nobody shows. */
export function instantToLocalTime(instant: number, zone: string): string {
  const local = wallClockMs(instant, zone);
  return timeFromSeconds(Math.floor((local - Math.floor(local / MS_PER_DAY) * MS_PER_DAY) / 1000));
}

/** The zone's wall-clock at `instant`, in milliseconds read as if UTC. */
function wallClockMs(instant: number, zone: string): number {
  if (!Number.isFinite(instant)) throw new RangeError(`not an instant: ${instant}`);
  return instant + ZoneOffsets.of(zone).offsetAt(instant);
}

function resolve(zoneOffsets: ZoneOffsets, epochDay: number, secondsOfDay: number, mode: GapMode): number {
  const localMs = epochDay * MS_PER_DAY + secondsOfDay * 1000;
  if (mode === 'compatible') return zoneOffsets.compatibleInstant(localMs);
  const instant = zoneOffsets.earliestInstant(localMs);
  if (instant === null) {
    throw new NonexistentLocalTimeError(dateFromEpochDay(epochDay), timeFromSeconds(secondsOfDay), zoneOffsets.zone);
  }
  return instant;
}

function requireDate(date: string): number {
  const day = epochDayFromDate(date);
  if (day === null) throw new RangeError(`not a local date (YYYY-MM-DD): ${date}`);
  return day;
}

function requireTime(time: string): number {
  const seconds = secondsFromTime(time);
  if (seconds === null) throw new RangeError(`not a wall-clock time (HH:MM or HH:MM:SS): ${time}`);
  return seconds;
}
