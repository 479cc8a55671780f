import { type Interval, normalize, overlaps } from './interval';
import { type BookingPolicy, DEFAULT_POLICY, earliestStart, latestStart, widenBlocked } from './policy';

/**
 * Time a booking may lie in: an occurrence of a weekly window (ruleId) or a window of a date
 * override (overrideId), which replaces the weekly windows of its date.
 */
export type Window = Interval & { ruleId?: number; overrideId?: number };

/** A consultant's one-time availability slot; it is booked whole or not at all. */
export type OneTimeSlot = Interval & { id: number; isBooked: boolean };

export type FreeTimeInput = {
  oneTimeSlots: readonly OneTimeSlot[];
  occurrences: readonly Window[];
  /** The time confirmed bookings block: each with the buffers it was made with. */
  bookings: readonly Interval[];
  /** The time live holds block, likewise; blocked like bookings, marked isHeld. */
  holds?: readonly Interval[];
  range: Interval;
  /** Cut recurring time into slots of this many whole minutes on each occurrence's grid. */
  slotMinutes?: number;
  /** Also return the booked time, marked isBooked. */
  includeBooked?: boolean;
  /** The consultant's policy (default: none); with `now`, what its notice and horizon count from. */
  policy?: BookingPolicy;
  now?: number;
  /** Local days the daily limit has filled (see fullDays()): nothing starting in them is free. */
  fullDays?: readonly Interval[];
};

export type FreeSlot = Interval & {
  source: 'one_time' | 'recurring' | 'override';
  availabilityId?: number;
  recurringId?: number;
  overrideId?: number;
  isBooked: boolean;
  /** Set (true) on booked time that only a live hold blocks. */
  isHeld?: true;
};

/**
 * The free time every view and the booking check share: one-time slots that are neither
 * flagged booked nor overlap blocked time, and window time (weekly occurrences, date override
 * windows) minus blocked time, sorted by start. Blocked time is the confirmed bookings and live
 * holds, each with its buffers, widened by the policy's own buffers (a free interval's buffers
 * never reach into it), plus one-time slots flagged booked, so a stale booking list cannot offer
 * a booked slot's time again through a recurring window.
 *
 * Everything returned is a whole bookable interval that overlaps `range`; nothing is clipped
 * to it. One-time slots are never cut, since a booking must take one whole. With slotMinutes
 * (or the policy's grid) a window yields the slots of its own grid (aligned to its start, not to
 * the end of a booking inside it) that fit inside it and overlap no busy time: 09:00–12:00 with
 * a booking at 09:10–09:40 gives 10:00, 10:30, 11:00, 11:30. With a policy grid the slots start
 * on it, one or more grid steps apart. Without either, the free pieces around the bookings.
 *
 * The policy leaves out free time no booking could take: starting before its notice or after its
 * horizon (from `now`), or on a day its daily limit filled; a free piece starts at the first
 * instant that is allowed. Without a notice, past time is the caller's concern.
 */
export function computeFreeTime(input: FreeTimeInput): FreeSlot[] {
  return computeFreeTimeWithin(input, Infinity)!;
}

/**
 * computeFreeTime, or null when it would give more than `max` slots: the slots are counted
 * first (countFreeTime), without building any, so a view too large to answer is refused before
 * anything is cut, sorted or formatted.
 */
export function computeFreeTimeWithin(input: FreeTimeInput, max: number): FreeSlot[] | null {
  const cutting = prepare(input);
  // Without a ceiling (computeFreeTime) there is nothing to count against.
  if (max !== Infinity && countPrepared(input, cutting, max) > max) return null;
  const { range, includeBooked, booked, held, busy, allowed } = cutting;
  const slots: FreeSlot[] = [];
  const heldOnly = (span: Interval): { isHeld?: true } =>
    held.length && !overlapsBusy(booked, span) ? { isHeld: true } : {};

  for (const slot of input.oneTimeSlots) {
    if (!overlaps(slot, range)) continue;
    const isBooked = slot.isBooked || overlapsBusy(busy, slot);
    if (isBooked ? includeBooked : allowed.start(slot.start, slot.end) === slot.start) {
      slots.push({
        start: slot.start,
        end: slot.end,
        source: 'one_time',
        availabilityId: slot.id,
        isBooked,
        ...(isBooked && !slot.isBooked ? heldOnly(slot) : {}),
      });
    }
  }

  for (const window of input.occurrences) {
    const origin =
      window.overrideId === undefined
        ? { source: 'recurring' as const, recurringId: window.ruleId }
        : { source: 'override' as const, overrideId: window.overrideId };
    eachWindowSlot(window, cutting, (start, end, isBooked) =>
      slots.push({ start, end, ...origin, isBooked, ...(isBooked ? heldOnly({ start, end }) : {}) }),
    );
  }

  return slots.sort(
    (a, b) =>
      a.start - b.start ||
      a.end - b.end ||
      sourceRank[a.source] - sourceRank[b.source] ||
      (a.availabilityId ?? a.recurringId ?? a.overrideId ?? 0) -
        (b.availabilityId ?? b.recurringId ?? b.overrideId ?? 0),
  );
}

/**
 * How many slots computeFreeTime(input) gives, without building one; once the count passes
 * `limit`, some number past it. An occurrence that no busy time, notice, horizon or full day
 * reaches is counted by arithmetic, whatever its length; the others slot by slot.
 */
export function countFreeTime(input: FreeTimeInput, limit = Infinity): number {
  return countPrepared(input, prepare(input), limit);
}

/** What free time is cut with, derived once from the input. */
interface Cutting {
  range: Interval;
  includeBooked: boolean;
  slotMs: number | null;
  stepMs: number | null;
  /** Confirmed bookings (widened by the policy's buffers) and booked one-time slots. */
  booked: Interval[];
  held: Interval[];
  busy: Interval[];
  allowed: StartRule;
}

function prepare(input: FreeTimeInput): Cutting {
  const policy = input.policy ?? DEFAULT_POLICY;
  const now = input.now ?? Date.now();
  const grid = policy.slotMinutes === null ? null : slotLength(policy.slotMinutes);
  const slotMs = input.slotMinutes === undefined ? grid : slotLength(input.slotMinutes);
  const booked = normalize([
    ...input.bookings.map((b) => widenBlocked(b, policy)),
    ...input.oneTimeSlots.filter((slot) => slot.isBooked),
  ]);
  const held = (input.holds ?? []).map((h) => widenBlocked(h, policy));
  return {
    range: input.range,
    includeBooked: input.includeBooked === true,
    slotMs,
    // On a policy grid, slots start on it and never overlap: a step of whole grid lengths.
    stepMs: slotMs === null ? null : grid === null ? slotMs : Math.ceil(slotMs / grid) * grid,
    booked,
    held,
    busy: held.length ? normalize([...booked, ...held]) : booked,
    allowed: new StartRule(earliestStart(policy, now), latestStart(policy, now), input.fullDays ?? []),
  };
}

function countPrepared(input: FreeTimeInput, cutting: Cutting, limit: number): number {
  const { range, includeBooked, busy, allowed, slotMs, stepMs } = cutting;
  let count = 0;
  for (const slot of input.oneTimeSlots) {
    if (!overlaps(slot, range)) continue;
    const isBooked = slot.isBooked || overlapsBusy(busy, slot);
    if (isBooked ? includeBooked : allowed.start(slot.start, slot.end) === slot.start) count++;
  }
  for (const window of input.occurrences) {
    if (count > limit) break;
    if (slotMs !== null && overlaps(window, range) && !overlapsBusy(busy, window) && allowed.allows(window))
      count += gridSlotCount(window, slotMs, stepMs!, range);
    else eachWindowSlot(window, cutting, () => count++);
  }
  return count;
}

/** The free (and, with includeBooked, booked) slots or pieces of one occurrence, as computeFreeTime lists them. */
function eachWindowSlot(window: Window, cutting: Cutting, visit: Emit): void {
  const { range, includeBooked, busy, allowed, slotMs, stepMs } = cutting;
  if (!overlaps(window, range)) return;
  const emit = (start: number, end: number, isBooked: boolean): void => {
    if (isBooked ? !includeBooked : (start = allowed.start(start, end)) >= end) return;
    if (start < range.end && end > range.start) visit(start, end, isBooked);
  };
  if (slotMs === null) emitPieces(window, busy, emit);
  else
    emitGridSlots(window, busy, slotMs, stepMs!, range, (start, end, isBooked) =>
      isBooked || allowed.start(start, end) === start ? emit(start, end, isBooked) : undefined,
    );
}

const sourceRank = { one_time: 0, recurring: 1, override: 2 } as const;

/** Where the policy lets a booking start: from the notice to the horizon, on no full day. */
class StartRule {
  constructor(
    private readonly earliest: number,
    private readonly latest: number,
    private readonly fullDays: readonly Interval[],
  ) {}

  /** The first allowed start in [start, end), or `end` when there is none. */
  start(start: number, end: number): number {
    let at = Math.max(start, this.earliest);
    for (const day of this.fullDays) if (day.start <= at && at < day.end) at = day.end;
    return at > this.latest ? end : Math.min(at, end);
  }

  /** Whether every start within the span is allowed as it is: no notice, horizon or full day reaches into it. */
  allows(span: Interval): boolean {
    return (
      this.earliest <= span.start &&
      span.end <= this.latest &&
      !this.fullDays.some((day) => day.start < span.end && span.start < day.end)
    );
  }
}

type Emit = (start: number, end: number, isBooked: boolean) => void;

/** The occurrence split at the edges of busy time into free and booked pieces. */
function emitPieces(occurrence: Interval, busy: readonly Interval[], emit: Emit): void {
  let cursor = occurrence.start;
  for (let i = firstEndingAfter(busy, occurrence.start); i < busy.length; i++) {
    const blocked = busy[i]!;
    if (blocked.start >= occurrence.end) break;
    if (blocked.start > cursor) emit(cursor, blocked.start, false);
    emit(Math.max(blocked.start, occurrence.start), Math.min(blocked.end, occurrence.end), true);
    cursor = blocked.end;
  }
  if (cursor < occurrence.end) emit(cursor, occurrence.end, false);
}

/** The occurrence's grid slots that overlap the range, each booked when it touches busy time. */
function emitGridSlots(
  occurrence: Interval,
  busy: readonly Interval[],
  slotMs: number,
  stepMs: number,
  range: Interval,
  emit: Emit,
): void {
  // Slots ending at or before range.start are skipped arithmetically, not walked.
  const skipped = Math.max(0, Math.floor((range.start - slotMs - occurrence.start) / stepMs) + 1);
  let i = firstEndingAfter(busy, occurrence.start);
  for (
    let start = occurrence.start + skipped * stepMs;
    start + slotMs <= occurrence.end && start < range.end;
    start += stepMs
  ) {
    const end = start + slotMs;
    while (i < busy.length && busy[i]!.end <= start) i++;
    emit(start, end, i < busy.length && busy[i]!.start < end);
  }
}

/**
 * How many slots emitGridSlots cuts from an occurrence that no busy time reaches: the grid starts
 * after the skipped ones, up to the last whole slot and to range.end.
 */
function gridSlotCount(occurrence: Interval, slotMs: number, stepMs: number, range: Interval): number {
  const skipped = Math.max(0, Math.floor((range.start - slotMs - occurrence.start) / stepMs) + 1);
  const last = Math.min(
    Math.floor((occurrence.end - slotMs - occurrence.start) / stepMs),
    Math.ceil((range.end - occurrence.start) / stepMs) - 1,
  );
  return Math.max(0, last - skipped + 1);
}

/** Index of the first of the sorted, disjoint `busy` spans that ends after `instant`. */
function firstEndingAfter(busy: readonly Interval[], instant: number): number {
  let low = 0;
  let high = busy.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (busy[middle]!.end <= instant) low = middle + 1;
    else high = middle;
  }
  return low;
}

function overlapsBusy(busy: readonly Interval[], span: Interval): boolean {
  const i = firstEndingAfter(busy, span.start);
  return i < busy.length && overlaps(busy[i]!, span);
}

function slotLength(minutes: number): number {
  if (!Number.isInteger(minutes) || minutes < 1) {
    throw new RangeError(`slotMinutes must be a positive whole number, got ${minutes}`);
  }
  return minutes * 60_000;
}
