export { type Interval, contains, cut, intersect, normalize, overlaps, subtract } from './interval';
export {
  type GapMode,
  InvalidLocalWindowError,
  NonexistentLocalTimeError,
  addDays,
  canonicalTimeZone,
  dayOfWeek,
  instantToLocal,
  instantToLocalTime,
  isValidLocalDate,
  isValidTimeZone,
  localDatesToInterval,
  localToInstant,
  localWindowToInterval,
  parseLocalTime,
} from './local-time';
export { isoFromEpochMs } from './civil-time';
export {
  DAY_NAMES,
  type DayName,
  type Occurrence,
  type WeeklyRule,
  dayFromName,
  expandRules,
  rulesOverlap,
} from './weekly-rule';
export {
  type FreeSlot,
  type FreeTimeInput,
  type OneTimeSlot,
  type Window,
  computeFreeTime,
  computeFreeTimeWithin,
  countFreeTime,
} from './free-time';
export {
  type BookingPolicy,
  DEFAULT_POLICY,
  type PolicyRefusal,
  bufferedInterval,
  fullDays,
  lengthRefusal,
  localDayOf,
  policyRefusal,
  widenBlocked,
  windowOf,
} from './policy';
export { type DateOverride, bookableWindows, firstOverlappingWindow } from './date-override';
export { type PooledSlot, poolSlots } from './pool';
