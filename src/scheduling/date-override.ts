import { SECONDS_PER_DAY, secondsFromTime } from './civil-time';
import type { Window } from './free-time';
import { type Interval, overlaps } from './interval';
import { InvalidLocalWindowError, localWindowToInterval } from './local-time';
import { expandRules, type WeeklyRule } from './weekly-rule';

/**
 * A consultant's exception for one local date: these windows replace that date's weekly windows
 * (an occurrence belongs to the date it starts on); none means unavailable all day. A window
 * whose end_time is earlier than its start_time ends on the next day.
 */
export type DateOverride = {
  id: number;
  date: string;
  windows: readonly { startTime: string; endTime: string }[];
};

/**
 * The windows time may be booked in over `range`: the occurrences of the active weekly rules,
 * but on each overridden date the override's windows instead, sorted by start. Override windows
 * follow RFC 5545 across clock changes as weekly windows do ('compatible': a skipped time moves
 * forward by the gap, a repeated one is its first instant; one the gap leaves empty is left out).
 * One-time slots are not windows, so an override never touches them.
 */
export function bookableWindows(
  rules: readonly WeeklyRule[],
  overrides: readonly DateOverride[],
  zone: string,
  range: Interval,
): Window[] {
  const occurrences = expandRules(rules, zone, range);
  if (!overrides.length) return occurrences;
  const overridden = new Set(overrides.map((o) => o.date));
  const windows: Window[] = occurrences.filter((o) => !overridden.has(o.date));
  for (const override of overrides) {
    for (const { startTime, endTime } of override.windows) {
      const window = overrideWindow(override.date, startTime, endTime, zone);
      if (window && overlaps(window, range)) windows.push({ ...window, overrideId: override.id });
    }
  }
  return windows.sort((a, b) => a.start - b.start || a.end - b.end);
}

function overrideWindow(date: string, startTime: string, endTime: string, zone: string): Interval | null {
  try {
    return localWindowToInterval(date, startTime, endTime, zone, 'compatible');
  } catch (error) {
    if (error instanceof InvalidLocalWindowError) return null;
    throw error;
  }
}

/**
 * The index of the first of a date's windows that overlaps an earlier one in wall-clock time,
 * else -1. All lie on the same date: 23:00→02:00 runs to 02:00 of the next day, and does not meet
 * 01:00→03:00, which is that date's early morning. Malformed and empty windows are the caller's.
 */
export function firstOverlappingWindow(windows: readonly { startTime: string; endTime: string }[]): number {
  const spans = windows.map(({ startTime, endTime }) => {
    const start = secondsFromTime(startTime) ?? NaN;
    const end = secondsFromTime(endTime) ?? NaN;
    return { start, end: end > start ? end : end + SECONDS_PER_DAY };
  });
  return spans.findIndex((a, i) => spans.some((b, j) => j < i && a.start < b.end && b.start < a.end));
}
