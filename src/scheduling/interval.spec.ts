import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as fc from 'fast-check';
import { type Interval, contains, cut, intersect, normalize, overlaps, subtract } from '../../src/scheduling';
import { check } from './support/properties';

// Intervals on a small integer line collide often; half-open integer intervals are decided by
// their integer points, so membership of each point 0..LIMIT is an exact oracle.
const LIMIT = 60;
const intervalArb: fc.Arbitrary<Interval> = fc
  .tuple(fc.integer({ min: 0, max: LIMIT }), fc.integer({ min: 0, max: 15 }))
  .map(([start, length]) => ({ start, end: Math.min(LIMIT, start + length) }));
const listArb = fc.array(intervalArb, { maxLength: 12 });

const covers = (list: readonly Interval[], point: number) => list.some((i) => i.start <= point && point < i.end);
const points = Array.from({ length: LIMIT + 1 }, (_, p) => p);

function assertNormalized(list: readonly Interval[]): void {
  for (const i of list) assert.ok(i.start < i.end, `empty piece ${JSON.stringify(i)}`);
  for (let k = 1; k < list.length; k++) {
    assert.ok(list[k - 1]!.end < list[k]!.start, `pieces not sorted, disjoint and apart: ${JSON.stringify(list)}`);
  }
}

describe('interval arithmetic', () => {
  it('overlaps is true exactly when the intervals share a point, and adjacent ones do not', () => {
    check(
      fc.property(intervalArb, intervalArb, (a, b) => {
        const shared = points.some((p) => covers([a], p) && covers([b], p));
        assert.equal(overlaps(a, b), shared);
        assert.equal(overlaps(b, a), shared);
      }),
    );
    assert.equal(overlaps({ start: 0, end: 10 }, { start: 10, end: 20 }), false);
    assert.equal(overlaps({ start: 0, end: 10 }, { start: 9, end: 20 }), true);
    assert.equal(overlaps({ start: 5, end: 5 }, { start: 0, end: 10 }), false);
  });

  it('contains is true exactly when every point of a non-empty inner lies in outer', () => {
    check(
      fc.property(intervalArb, intervalArb, (outer, inner) => {
        fc.pre(inner.start < inner.end);
        const expected = points.every((p) => !covers([inner], p) || covers([outer], p));
        assert.equal(contains(outer, inner), expected);
      }),
    );
  });

  it('normalize keeps the same points, sorted, disjoint and merged, and is idempotent', () => {
    check(
      fc.property(listArb, (list) => {
        const normalized = normalize(list);
        assertNormalized(normalized);
        for (const p of points) assert.equal(covers(normalized, p), covers(list, p), `point ${p}`);
        assert.deepEqual(normalize(normalized), normalized);
      }),
    );
    assert.deepEqual(
      normalize([
        { start: 5, end: 8 },
        { start: 0, end: 5 },
        { start: 9, end: 9 },
      ]),
      [{ start: 0, end: 8 }],
    );
  });

  it('subtract is the set difference: disjoint from busy, inside from, and with from ∩ busy covers from', () => {
    check(
      fc.property(listArb, listArb, (from, busy) => {
        const free = subtract(from, busy);
        const taken = intersect(from, busy);
        assertNormalized(free);
        assertNormalized(taken);
        for (const f of free) {
          assert.ok(!busy.some((b) => overlaps(f, b)), `${JSON.stringify(f)} overlaps busy time`);
          assert.ok(
            normalize(from).some((piece) => contains(piece, f)),
            `${JSON.stringify(f)} outside from`,
          );
        }
        for (const p of points) {
          assert.equal(covers(free, p), covers(from, p) && !covers(busy, p), `point ${p} in subtract`);
          assert.equal(covers(taken, p), covers(from, p) && covers(busy, p), `point ${p} in intersect`);
        }
        assert.deepEqual(normalize([...free, ...taken]), normalize(from));
      }),
    );
    assert.deepEqual(
      subtract(
        [{ start: 0, end: 100 }],
        [
          { start: 10, end: 20 },
          { start: 20, end: 30 },
          { start: 90, end: 200 },
        ],
      ),
      [
        { start: 0, end: 10 },
        { start: 30, end: 90 },
      ],
    );
  });

  it('subtract of large lists is sort-bound, not n × m', () => {
    const random = fc.sample(fc.tuple(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 5000 })), {
      numRuns: 200_000,
      seed: 42,
    });
    const from = random.slice(0, 100_000).map(([start, length]) => ({ start, end: start + length * 4 }));
    const busy = random.slice(100_000).map(([start, length]) => ({ start, end: start + length }));
    const began = performance.now();
    const free = subtract(from, busy);
    const elapsed = performance.now() - began;
    // n × m comparisons would be 10^10 here; the sweep takes well under a second.
    assert.ok(elapsed < 3000, `subtract of 100k × 100k took ${elapsed.toFixed(0)} ms`);
    assert.ok(free.length > 0);
    for (let k = 1; k < free.length; k += 997) assert.ok(free[k - 1]!.end < free[k]!.start);
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
          assert.equal(slots.length, Math.floor(length / slot));
          slots.forEach((s, k) => {
            assert.equal(s.start, start + k * slot);
            assert.equal(s.end - s.start, slot);
            assert.ok(contains(window, s));
          });
          assert.ok(window.end - (slots.at(-1)?.end ?? start) < slot, 'a whole slot was left out');
        },
      ),
    );
    assert.deepEqual(cut({ start: 0, end: 25 }, 10), [
      { start: 0, end: 10 },
      { start: 10, end: 20 },
    ]);
    assert.throws(() => cut({ start: 0, end: 10 }, 0), RangeError);
  });
});
