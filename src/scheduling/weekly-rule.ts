import {
  MS_PER_DAY,
  SECONDS_PER_DAY,
  dateFromEpochDay,
  epochDayFromDate,
  secondsFromTime,
  timeFromSeconds,
  weekdayOfEpochDay,
} from './civil-time';
import type { Interval } from './interval';
import { ZoneOffsets } from './zone-offsets';

export const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type DayName = (typeof DAY_NAMES)[number];

/** 'Mon' … 'Sun' (any letter case) to 0 … 6, else null. */
export function dayFromName(name: string): number | null {
  if (typeof name !== 'string') return null;
  const index = DAY_NAMES.findIndex((day) => day.toLowerCase() === name.toLowerCase());
  return index === -1 ? null : index;
}

/**
 * A weekly wall-clock window in the consultant's zone. An endTime earlier than startTime ends
 * on the next day. validFrom / validUntil are inclusive local dates bounding the day an
 * occurrence starts on; null leaves that side open.
 */
export type WeeklyRule = {
  id: number;
  dayOfWeek: number;
  startTime: string;
  endTime: string;
  isActive: boolean;
  validFrom: string | null;
  validUntil: string | null;
};

/** One occurrence of a rule: its instants, and the local date and wall-clock times the rule names. */
export type Occurrence = Interval & { ruleId: number; date: string; startTime: string; endTime: string };

type RuleShape = Pick<WeeklyRule, 'dayOfWeek' | 'startTime' | 'endTime' | 'validFrom' | 'validUntil'>;

/** A rule in integers: seconds of its day, and epoch days for the validity bounds. */
type CompiledRule = {
  id: number;
  dayOfWeek: number;
  startSeconds: number;
  /** Seconds from the start day's midnight; beyond a day when the window crosses midnight. */
  endSeconds: number;
  firstDay: number;
  lastDay: number;
  startTime: string;
  endTime: string;
};

/**
 * Occurrences of the active rules that overlap `range`, sorted by start, including one that
 * began the day before and crosses midnight into it. Follows RFC 5545 like Temporal's
 * 'compatible': a skipped start or end time moves forward by the gap, a repeated one is its
 * first instant. An occurrence the gap leaves empty (02:30→03:15 on a night that skips
 * 02:00–03:00) is left out. Throws RangeError for a malformed rule or zone.
 */
export function expandRules(rules: readonly WeeklyRule[], zone: string, range: Interval): Occurrence[] {
  const zoneOffsets = ZoneOffsets.of(zone);
  if (!Number.isFinite(range.start) || !Number.isFinite(range.end)) {
    throw new RangeError(`range must be finite instants: ${range.start}..${range.end}`);
  }
  if (range.start >= range.end) return [];
  const byWeekday: CompiledRule[][] = [[], [], [], [], [], [], []];
  for (const rule of rules) {
    if (!rule.isActive) continue;
    const compiled = compile(rule, rule.id);
    byWeekday[compiled.dayOfWeek]!.push(compiled);
  }
  // Local dates are not monotonic in instants where a clock falls back across midnight, so the
  // scan starts two days early (one for windows crossing midnight) and ends one day late.
  const firstDay = localEpochDay(zoneOffsets, range.start) - 2;
  const lastDay = localEpochDay(zoneOffsets, range.end - 1) + 1;
  const occurrences: Occurrence[] = [];
  for (let day = firstDay; day <= lastDay; day++) {
    const dayRules = byWeekday[weekdayOfEpochDay(day)]!;
    if (dayRules.length === 0) continue;
    const midnight = day * MS_PER_DAY;
    let date: string | null = null;
    for (const rule of dayRules) {
      if (day < rule.firstDay || day > rule.lastDay) continue;
      const start = zoneOffsets.compatibleInstant(midnight + rule.startSeconds * 1000);
      const end = zoneOffsets.compatibleInstant(midnight + rule.endSeconds * 1000);
      if (end <= start || end <= range.start || start >= range.end) continue;
      date ??= dateFromEpochDay(day);
      occurrences.push({ start, end, ruleId: rule.id, date, startTime: rule.startTime, endTime: rule.endTime });
    }
  }
  return occurrences.sort((a, b) => a.start - b.start || a.end - b.end || a.ruleId - b.ruleId);
}

/**
 * Whether some occurrence of `a` overlaps some occurrence of `b` in wall-clock time, whatever
 * the zone: windows crossing midnight spill into the next day, Sunday's into Monday, and only
 * occurrences on days both rules are valid for count (a's Sunday 23:00→01:00 on its last valid
 * day does overlap b's Monday 00:00→00:30 on b's first). Ignores isActive: the caller decides
 * which rules compete.
 */
export function rulesOverlap(a: RuleShape, b: RuleShape): boolean {
  const left = compile(a, 0);
  const right = compile(b, 0);
  // Each window is shorter than a day, so only b's occurrence on a's day, or one day either
  // side, can overlap a's occurrence.
  for (const shift of [-1, 0, 1]) {
    if (mod(right.dayOfWeek - left.dayOfWeek - shift, 7) !== 0) continue;
    const rightStart = shift * SECONDS_PER_DAY + right.startSeconds;
    const rightEnd = shift * SECONDS_PER_DAY + right.endSeconds;
    if (!(rightStart < left.endSeconds && left.startSeconds < rightEnd)) continue;
    // a occurs on day d and b on day d + shift, both within their validity.
    const from = Math.max(left.firstDay, right.firstDay - shift);
    const until = Math.min(left.lastDay, right.lastDay - shift);
    if (hasWeekday(from, until, left.dayOfWeek)) return true;
  }
  return false;
}

function compile(rule: RuleShape, id: number): CompiledRule {
  const startSeconds = secondsFromTime(rule.startTime);
  const endSeconds = secondsFromTime(rule.endTime);
  const firstDay = rule.validFrom === null ? -Infinity : epochDayFromDate(rule.validFrom);
  const lastDay = rule.validUntil === null ? Infinity : epochDayFromDate(rule.validUntil);
  if (
    !Number.isInteger(rule.dayOfWeek) ||
    rule.dayOfWeek < 0 ||
    rule.dayOfWeek > 6 ||
    startSeconds === null ||
    endSeconds === null ||
    startSeconds === endSeconds ||
    firstDay === null ||
    lastDay === null
  ) {
    throw new RangeError(`malformed weekly rule ${id}: ${JSON.stringify(rule)}`);
  }
  return {
    id,
    dayOfWeek: rule.dayOfWeek,
    startSeconds,
    endSeconds: endSeconds > startSeconds ? endSeconds : endSeconds + SECONDS_PER_DAY,
    firstDay,
    lastDay,
    startTime: timeFromSeconds(startSeconds),
    endTime: timeFromSeconds(endSeconds),
  };
}

function localEpochDay(zoneOffsets: ZoneOffsets, instant: number): number {
  return Math.floor((instant + zoneOffsets.offsetAt(instant)) / MS_PER_DAY);
}

/** Whether a day with that weekday lies in [from, until]; either bound may be infinite. */
function hasWeekday(from: number, until: number, weekday: number): boolean {
  if (from > until) return false;
  if (!Number.isFinite(from) || !Number.isFinite(until)) return true;
  return from + mod(weekday - weekdayOfEpochDay(from), 7) <= until;
}

function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}
