import * as fc from 'fast-check';
import { poolSlots } from './index';
import { check } from './testing/properties';

const MINUTE = 60_000;
const viewArb = fc.array(
  fc.record({ at: fc.integer({ min: 0, max: 40 }), length: fc.constantFrom(15, 30, 60) }).map(({ at, length }) => ({
    start: at * 15 * MINUTE,
    end: at * 15 * MINUTE + length * MINUTE,
  })),
  { maxLength: 30 },
);

describe('poolSlots', () => {
  it('lists each interval some view lists, once, with the number of views that list it, sorted', () => {
    check(
      fc.property(fc.array(viewArb, { maxLength: 8 }), (views) => {
        const pooled = poolSlots(views);
        const listedBy = (s: { start: number; end: number }) =>
          views.filter((v) => v.some((x) => x.start === s.start && x.end === s.end)).length;
        for (const slot of pooled) expect(slot.free).toBe(listedBy(slot));
        for (const view of views)
          for (const s of view) expect(pooled.filter((p) => p.start === s.start && p.end === s.end)).toHaveLength(1);
        for (let i = 1; i < pooled.length; i++)
          expect(pooled[i - 1].start - pooled[i].start || pooled[i - 1].end - pooled[i].end).toBeLessThan(0);
      }),
    );
  });
});
