import * as fc from 'fast-check';
import { type Interval, contains, cut, intersect, normalize, overlaps, subtract } from './interval';
import { check } from './testing/properties';

// Intervals on a small integer line collide often; half-open integer intervals are decided by
// their integer points, so membership of each point 0..LIMIT is an exact oracle.
const LIMIT = 60;
const intervalArb: fc.Arbitrary<Interval> = fc
  .tuple(fc.integer({ min: 0, max: LIMIT }), fc.integer({ min: 0, max: 15 }))
  .map(([start, length]) => ({ start, end: Math.min(LIMIT, start + length) }));
const listArb = fc.array(intervalArb, { maxLength: 12 });

const covers = (list: readonly Interval[], point: number) => list.some((i) => i.start <= point && point < i.end);
const points = Array.from({ length: LIMIT + 1 }, (_, p) => p);

// expect() costs microseconds a call, thousands of times node:assert: a check of every piece in
// every case is one expect per case, of the pieces that break it (none) or of all their values.

function assertNormalized(list: readonly Interval[]): void {
  // No empty piece.
  expect(list.filter((i) => !(i.start < i.end))).toStrictEqual([]);
  // Pieces sorted, disjoint and apart: each starts after the previous one ends.
  expect(list.filter((i, k) => k > 0 && !(list[k - 1]!.end < i.start))).toStrictEqual([]);
}

describe('interval arithmetic', () => {
  it('overlaps is true exactly when the intervals share a point, and adjacent ones do not', () => {
    check(
      fc.property(intervalArb, intervalArb, (a, b) => {
        const shared = points.some((p) => covers([a], p) && covers([b], p));
        expect(overlaps(a, b)).toBe(shared);
        expect(overlaps(b, a)).toBe(shared);
      }),
    );
    expect(overlaps({ start: 0, end: 10 }, { start: 10, end: 20 })).toBe(false);
    expect(overlaps({ start: 0, end: 10 }, { start: 9, end: 20 })).toBe(true);
    expect(overlaps({ start: 5, end: 5 }, { start: 0, end: 10 })).toBe(false);
  });

  it('contains is true exactly when every point of a non-empty inner lies in outer', () => {
    check(
      fc.property(intervalArb, intervalArb, (outer, inner) => {
        fc.pre(inner.start < inner.end);
        const expected = points.every((p) => !covers([inner], p) || covers([outer], p));
        expect(contains(outer, inner)).toBe(expected);
      }),
    );
  });

  it('normalize keeps the same points, sorted, disjoint and merged, and is idempotent', () => {
    check(
      fc.property(listArb, (list) => {
        const normalized = normalize(list);
        assertNormalized(normalized);
        // The same points: none covered by one and not the other.
        expect(points.filter((p) => covers(normalized, p) !== covers(list, p))).toStrictEqual([]);
        expect(normalize(normalized)).toStrictEqual(normalized);
      }),
    );
    expect(
      normalize([
        { start: 5, end: 8 },
        { start: 0, end: 5 },
        { start: 9, end: 9 },
      ]),
    ).toStrictEqual([{ start: 0, end: 8 }]);
  });

  it('subtract is the set difference: disjoint from busy, inside from, and with from ∩ busy covers from', () => {
    check(
      fc.property(listArb, listArb, (from, busy) => {
        const free = subtract(from, busy);
        const taken = intersect(from, busy);
        assertNormalized(free);
        assertNormalized(taken);
        // No free piece overlaps busy time...
        expect(free.filter((f) => busy.some((b) => overlaps(f, b)))).toStrictEqual([]);
        // ...or lies outside from.
        expect(free.filter((f) => !normalize(from).some((piece) => contains(piece, f)))).toStrictEqual([]);
        // Point by point, subtract is from and not busy, intersect from and busy: no point differs.
        expect(points.filter((p) => covers(free, p) !== (covers(from, p) && !covers(busy, p)))).toStrictEqual([]);
        expect(points.filter((p) => covers(taken, p) !== (covers(from, p) && covers(busy, p)))).toStrictEqual([]);
        expect(normalize([...free, ...taken])).toStrictEqual(normalize(from));
      }),
    );
    expect(
      subtract(
        [{ start: 0, end: 100 }],
        [
          { start: 10, end: 20 },
          { start: 20, end: 30 },
          { start: 90, end: 200 },
        ],
      ),
    ).toStrictEqual([
      { start: 0, end: 10 },
      { start: 30, end: 90 },
    ]);
  });

  it('subtract of 100,000 spans from 100,000 ends, sorted and disjoint (a sweep, not n × m)', () => {
    const random = fc.sample(fc.tuple(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 5000 })), {
      numRuns: 200_000,
      seed: 42,
    });
    const from = random.slice(0, 100_000).map(([start, length]) => ({ start, end: start + length * 4 }));
    const busy = random.slice(100_000).map(([start, length]) => ({ start, end: start + length }));
    // n × m comparisons would be 10^10 here, hours: such a regression ends at Jest's timeout rather
    // than by a clock in the test. The sweep's time is a bench figure (bench/scheduling.ts).
    const free = subtract(from, busy);
    expect(free.length).toBeGreaterThan(0);
    for (let k = 1; k < free.length; k += 997) expect(free[k - 1]!.end).toBeLessThan(free[k]!.start);
  });

  it('cut lays whole, equal, back-to-back slots from the window start and drops the remainder', () => {
    check(
      fc.property(
        fc.integer({ min: -1e6, max: 1e6 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 3000 }),
        (start, length, slot) => {
          const window = { start, end: start + length };
          const slots = cut(window, slot);
          expect(slots).toHaveLength(Math.floor(length / slot));
          // Slot k starts k slots into the window, lasts one slot and lies inside the window.
          expect(slots.filter((s, k) => s.start !== start + k * slot)).toStrictEqual([]);
          expect(slots.filter((s) => s.end - s.start !== slot)).toStrictEqual([]);
          expect(slots.filter((s) => !contains(window, s))).toStrictEqual([]);
          // No whole slot was left out.
          expect(window.end - (slots.at(-1)?.end ?? start)).toBeLessThan(slot);
        },
      ),
    );
    expect(cut({ start: 0, end: 25 }, 10)).toStrictEqual([
      { start: 0, end: 10 },
      { start: 10, end: 20 },
    ]);
    expect(() => cut({ start: 0, end: 10 }, 0)).toThrow(RangeError);
  });
});
