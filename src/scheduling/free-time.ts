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
 * computeFreeTime, or null as soon as it is known to give more than `max` slots: a view too
 * large to answer is refused after cutting at most `max` slots and one occurrence's more, never
 * all of them, and before any is sorted or formatted.
 */
export function computeFreeTimeWithin(input: FreeTimeInput, max: number): FreeSlot[] | null {
  const { range } = input;
  const includeBooked = input.includeBooked === true;
  const policy = input.policy ?? DEFAULT_POLICY;
  const now = input.now ?? Date.now();
  const grid = policy.slotMinutes === null ? null : slotLength(policy.slotMinutes);
  const slotMs = input.slotMinutes === undefined ? grid : slotLength(input.slotMinutes);
  // On a policy grid, slots start on it and never overlap: a step of whole grid lengths.
  const stepMs = slotMs === null ? null : grid === null ? slotMs : Math.ceil(slotMs / grid) * grid;
  const booked = normalize([
    ...input.bookings.map((b) => widenBlocked(b, policy)),
    ...input.oneTimeSlots.filter((slot) => slot.isBooked),
  ]);
  const held = (input.holds ?? []).map((h) => widenBlocked(h, policy));
  const busy = held.length ? normalize([...booked, ...held]) : booked;
  const allowed = new StartRule(earliestStart(policy, now), latestStart(policy, now), input.fullDays ?? []);
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
    if (!overlaps(window, range)) continue;
    const origin =
      window.overrideId === undefined
        ? { source: 'recurring' as const, recurringId: window.ruleId }
        : { source: 'override' as const, overrideId: window.overrideId };
    const emit = (start: number, end: number, isBooked: boolean): void => {
      if (isBooked ? !includeBooked : (start = allowed.start(start, end)) >= end) return;
      if (start < range.end && end > range.start) {
        slots.push({ start, end, ...origin, isBooked, ...(isBooked ? heldOnly({ start, end }) : {}) });
      }
    };
    if (slotMs === null) emitPieces(window, busy, emit);
    else
      emitGridSlots(window, busy, slotMs, stepMs!, range, (start, end, isBooked) =>
        isBooked || allowed.start(start, end) === start ? emit(start, end, isBooked) : undefined,
      );
    if (slots.length > max) return null;
  }
  if (slots.length > max) return null;

  return slots.sort(
    (a, b) =>
      a.start - b.start ||
      a.end - b.end ||
      sourceRank[a.source] - sourceRank[b.source] ||
      (a.availabilityId ?? a.recurringId ?? a.overrideId ?? 0) -
        (b.availabilityId ?? b.recurringId ?? b.overrideId ?? 0),
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
