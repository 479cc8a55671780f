import type { Interval } from './interval';

/** A slot of a pool's free time: an interval some of the pool's views list free, and how many do. */
export type PooledSlot = Interval & { free: number };

/**
 * A pool's free time made of its consultants' views (each one consultant's free slots): every
 * interval at least one view lists, once, with the number of views that list it (a view listing
 * it twice, as a one-time slot and window time, counts once), sorted by start, then end.
 */
export function poolSlots(views: readonly (readonly Interval[])[]): PooledSlot[] {
  const byInterval = new Map<string, PooledSlot>();
  for (const view of views) {
    const seen = new Set<string>();
    for (const { start, end } of view) {
      const key = `${start} ${end}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const slot = byInterval.get(key);
      if (slot) slot.free++;
      else byInterval.set(key, { start, end, free: 1 });
    }
  }
  return [...byInterval.values()].sort((a, b) => a.start - b.start || a.end - b.end);
}
