import type { Interval } from '../../scheduling';

const HOUR_MS = 3_600_000;

/**
 * The assignment window of a pooled booking: 7 days centred on its start, 84 hours either side.
 * Centred rather than "the 7 days before", so that bookings made far ahead count against the
 * weeks they fall in, and a consultant heavily booked next week is not also given this week.
 */
const ASSIGNMENT_WINDOW_HOURS = 7 * 24;

export function assignmentWindow(interval: Interval): Interval {
  const half = (ASSIGNMENT_WINDOW_HOURS / 2) * HOUR_MS;
  return { start: interval.start - half, end: interval.start + half };
}

/** A consultant of the pool free for the whole interval, with what fair assignment weighs. */
export interface PoolCandidate {
  id: number;
  /** The policy's pool_weight, 0 to 1000; 0 is never assigned. */
  weight: number;
  /** Its confirmed bookings starting in the assignment window. */
  load: number;
  /** When the latest of those was made (epoch ms); null when there is none. */
  lastAssignedAt: number | null;
}

/**
 * The order in which a pooled booking tries the pool's free consultants: the fewest confirmed
 * bookings in the assignment window relative to weight first (load / weight, compared exactly
 * as load_a × weight_b against load_b × weight_a); on a tie, the one assigned least recently
 * (never first); then the lowest id. Weight 0 is left out. Pure, so that the rule is one
 * function and its properties are tested (fair-assignment.spec.ts).
 */
export function assignmentOrder(candidates: readonly PoolCandidate[]): PoolCandidate[] {
  return candidates
    .filter((c) => c.weight > 0)
    .sort(
      (a, b) =>
        a.load * b.weight - b.load * a.weight ||
        (a.lastAssignedAt ?? -Infinity) - (b.lastAssignedAt ?? -Infinity) ||
        a.id - b.id,
    );
}
