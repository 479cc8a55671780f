import { type Interval, normalize, overlaps } from './interval';
import type { Occurrence } from './weekly-rule';

/** A consultant's one-time availability slot; it is booked whole or not at all. */
export type OneTimeSlot = Interval & { id: number; isBooked: boolean };

export type FreeTimeInput = {
  oneTimeSlots: readonly OneTimeSlot[];
  occurrences: readonly Occurrence[];
  /** Confirmed bookings only. */
  bookings: readonly Interval[];
  range: Interval;
  /** Cut recurring time into slots of this many whole minutes on each occurrence's grid. */
  slotMinutes?: number;
  /** Also return the booked time, marked isBooked. */
  includeBooked?: boolean;
};

export type FreeSlot = Interval & {
  source: 'one_time' | 'recurring';
  availabilityId?: number;
  recurringId?: number;
  isBooked: boolean;
};

/**
 * The free time every view and the booking check share: one-time slots that are neither
 * flagged booked nor overlap a booking, and recurring occurrences minus bookings, sorted by
 * start. Busy time is the confirmed bookings plus one-time slots flagged booked, so a stale
 * booking list cannot offer a booked slot's time again through a recurring window.
 *
 * Everything returned is a whole bookable interval that overlaps `range`; nothing is clipped
 * to it. One-time slots are never cut, since a booking must take one whole. With slotMinutes a
 * recurring occurrence yields the slots of its own grid (aligned to its start, not to the end
 * of a booking inside it) that fit inside it and overlap no busy time: 09:00–12:00 with a
 * booking at 09:10–09:40 gives 10:00, 10:30, 11:00, 11:30. Without it, the free pieces around
 * the bookings. Whether a slot is in the past is the caller's concern (pass a range from now).
 */
export function computeFreeTime(input: FreeTimeInput): FreeSlot[] {
  const { range } = input;
  const includeBooked = input.includeBooked === true;
  const slotMs = input.slotMinutes === undefined ? null : slotLength(input.slotMinutes);
  const busy = normalize([...input.bookings, ...input.oneTimeSlots.filter((slot) => slot.isBooked)]);
  const slots: FreeSlot[] = [];

  for (const slot of input.oneTimeSlots) {
    if (!overlaps(slot, range)) continue;
    const isBooked = slot.isBooked || overlapsBusy(busy, slot);
    if (!isBooked || includeBooked) {
      slots.push({ start: slot.start, end: slot.end, source: 'one_time', availabilityId: slot.id, isBooked });
    }
  }

  for (const occurrence of input.occurrences) {
    if (!overlaps(occurrence, range)) continue;
    const emit = (start: number, end: number, isBooked: boolean): void => {
      if ((!isBooked || includeBooked) && start < range.end && end > range.start) {
        slots.push({ start, end, source: 'recurring', recurringId: occurrence.ruleId, isBooked });
      }
    };
    if (slotMs === null) emitPieces(occurrence, busy, emit);
    else emitGridSlots(occurrence, busy, slotMs, range, emit);
  }

  return slots.sort(
    (a, b) =>
      a.start - b.start ||
      a.end - b.end ||
      (a.source === b.source ? 0 : a.source === 'one_time' ? -1 : 1) ||
      (a.availabilityId ?? a.recurringId ?? 0) - (b.availabilityId ?? b.recurringId ?? 0),
  );
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
  range: Interval,
  emit: Emit,
): void {
  // Slots ending at or before range.start are skipped arithmetically, not walked.
  const skipped = Math.max(0, Math.floor((range.start - occurrence.start) / slotMs));
  let i = firstEndingAfter(busy, occurrence.start);
  for (
    let start = occurrence.start + skipped * slotMs;
    start + slotMs <= occurrence.end && start < range.end;
    start += slotMs
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
