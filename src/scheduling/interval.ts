/** A half-open span of time [start, end) in epoch milliseconds: back-to-back spans do not collide. */
export type Interval = { start: number; end: number };

/** True when a and b share at least one instant; touching ends and empty spans never overlap. */
export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end && a.start < a.end && b.start < b.end;
}

export function contains(outer: Interval, inner: Interval): boolean {
  return outer.start <= inner.start && inner.end <= outer.end;
}

/**
 * The same instants as `intervals`, as sorted, disjoint spans; adjacent spans are merged and
 * empty ones dropped, so two normalized lists describing the same time are equal.
 */
export function normalize(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals
    .filter((i) => i.start < i.end)
    .map((i) => ({ start: i.start, end: i.end }))
    .sort((a, b) => a.start - b.start);
  const merged: Interval[] = [];
  for (const next of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && next.start <= last.end) {
      last.end = Math.max(last.end, next.end);
    } else {
      merged.push(next);
    }
  }
  return merged;
}

/** The instants of `from` not in `busy`, normalized. Sorting dominates: O((n+m) log(n+m)). */
export function subtract(from: readonly Interval[], busy: readonly Interval[]): Interval[] {
  const pieces = normalize(from);
  const blocked = normalize(busy);
  const free: Interval[] = [];
  let first = 0;
  for (const piece of pieces) {
    while (first < blocked.length && blocked[first]!.end <= piece.start) first++;
    let cursor = piece.start;
    let i = first;
    for (; i < blocked.length && blocked[i]!.start < piece.end; i++) {
      const b = blocked[i]!;
      if (b.start > cursor) free.push({ start: cursor, end: b.start });
      cursor = Math.max(cursor, b.end);
    }
    if (cursor < piece.end) free.push({ start: cursor, end: piece.end });
    // The last busy span may reach into the next piece, so it is looked at again there.
    first = Math.max(first, i - 1);
  }
  return free;
}

/** The instants in both lists, normalized. */
export function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const left = normalize(a);
  const right = normalize(b);
  const common: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const l = left[i]!;
    const r = right[j]!;
    const start = Math.max(l.start, r.start);
    const end = Math.min(l.end, r.end);
    if (start < end) common.push({ start, end });
    if (l.end <= r.end) i++;
    else j++;
  }
  return common;
}

/**
 * Consecutive slots of `slotMs` laid from window.start; a remainder shorter than a slot is
 * dropped because a partial slot cannot be booked.
 */
export function cut(window: Interval, slotMs: number): Interval[] {
  if (!Number.isFinite(slotMs) || slotMs <= 0) {
    throw new RangeError(`slot length must be a positive number of milliseconds, got ${slotMs}`);
  }
  const slots: Interval[] = [];
  for (let start = window.start; start + slotMs <= window.end; start += slotMs) {
    slots.push({ start, end: start + slotMs });
  }
  return slots;
}
