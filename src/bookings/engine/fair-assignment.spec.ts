import fc from 'fast-check';
import { assignmentOrder, assignmentWindow, type PoolCandidate } from './fair-assignment';

const candidateArb = (id: number): fc.Arbitrary<PoolCandidate> =>
  fc.record({
    id: fc.constant(id),
    weight: fc.integer({ min: 0, max: 1000 }),
    load: fc.integer({ min: 0, max: 50 }),
    lastAssignedAt: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: null }),
  });

const poolArb = fc
  .integer({ min: 0, max: 12 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => candidateArb(i + 1))) as fc.Arbitrary<PoolCandidate[]>);

/**
 * What a pool's counts come to after `bookings` pooled bookings at times far enough apart that
 * each one is the next assignment, every consultant free: each takes the first of the order.
 */
function assignSequentially(weights: number[], bookings: number): number[] {
  const pool: PoolCandidate[] = weights.map((weight, i) => ({ id: i + 1, weight, load: 0, lastAssignedAt: null }));
  for (let at = 1; at <= bookings; at++) {
    const [first] = assignmentOrder(pool);
    first.load++;
    first.lastAssignedAt = at;
  }
  return pool.map((c) => c.load);
}

describe('fair assignment', () => {
  it('orders every candidate with a weight, each once, and none without', () => {
    fc.assert(
      fc.property(poolArb, (pool) => {
        const order = assignmentOrder(pool).map((c) => c.id);
        expect([...order].sort((a, b) => a - b)).toEqual(pool.filter((c) => c.weight > 0).map((c) => c.id));
      }),
    );
  });

  it('puts a lower load per weight first, then the least recently assigned, then the lower id', () => {
    fc.assert(
      fc.property(poolArb, (pool) => {
        const order = assignmentOrder(pool);
        for (let i = 1; i < order.length; i++) {
          const [a, b] = [order[i - 1], order[i]];
          const [ratioA, ratioB] = [a.load / a.weight, b.load / b.weight];
          expect(ratioA).toBeLessThanOrEqual(ratioB);
          if (ratioA !== ratioB) continue;
          const [lastA, lastB] = [a.lastAssignedAt ?? -1, b.lastAssignedAt ?? -1];
          expect(lastA).toBeLessThanOrEqual(lastB);
          if (lastA === lastB) expect(a.id).toBeLessThan(b.id);
        }
      }),
    );
  });

  it('depends neither on the order candidates come in nor on the scale of the weights', () => {
    fc.assert(
      fc.property(poolArb, fc.integer({ min: 1, max: 5 }), (pool, scale) => {
        const expected = assignmentOrder(pool).map((c) => c.id);
        expect(assignmentOrder([...pool].reverse()).map((c) => c.id)).toEqual(expected);
        const scaled = pool.map((c) => ({ ...c, weight: Math.min(1000, c.weight * scale) }));
        if (scaled.every((c, i) => c.weight === pool[i].weight * scale))
          expect(assignmentOrder(scaled).map((c) => c.id)).toEqual(expected);
      }),
    );
  });

  it('gives equally weighted consultants counts that differ by at most one, at every step', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 300 }), (size, bookings) => {
        const counts = assignSequentially(Array<number>(size).fill(100), bookings);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('never gives a consultant more than one booking past its weighted share', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 400 }),
        (weights, bookings) => {
          const total = weights.reduce((sum, w) => sum + w, 0);
          // Taken only while its load per weight is the lowest, so at most one past (bookings − 1) × its share.
          assignSequentially(weights, bookings).forEach((count, i) =>
            expect(count).toBeLessThanOrEqual((Math.max(0, bookings - 1) * weights[i]) / total + 1),
          );
        },
      ),
    );
  });

  it('comes to 1:1:2 for weights 100/100/200', () => {
    expect(assignSequentially([100, 100, 200], 1000)).toEqual([250, 250, 500]);
    expect(assignSequentially([100, 100, 200], 999)).toEqual([250, 250, 499]);
  });

  it('counts the 7 days centred on the booking start', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 1, max: 86_400_000 }), (start, length) => {
        const window = assignmentWindow({ start, end: start + length });
        expect(window.end - window.start).toBe(7 * 86_400_000);
        expect(start - window.start).toBe(window.end - start);
      }),
    );
  });
});
