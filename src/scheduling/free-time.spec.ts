import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as fc from 'fast-check';
import {
  type FreeSlot,
  type FreeTimeInput,
  type Interval,
  type Occurrence,
  type OneTimeSlot,
  computeFreeTime,
  contains,
  cut,
  expandRules,
  intersect,
  localWindowToInterval,
  normalize,
  overlaps,
  subtract,
} from '../../src/scheduling';
import { check } from './support/properties';

// Free time does not look at zones: instants on a grid of minutes from an arbitrary epoch
// instant, crowded enough that slots, occurrences and bookings collide often.
const BASE = Date.parse('2030-01-07T00:00:00Z');
const MINUTE = 60_000;
const EVERYTHING: Interval = { start: BASE - 1e9, end: BASE + 1e9 };

const spanArb = (maxLength: number) =>
  fc
    .tuple(fc.integer({ min: 0, max: 720 }), fc.integer({ min: 1, max: maxLength }))
    .map(([start, length]) => ({ start: BASE + start * MINUTE, end: BASE + (start + length) * MINUTE }));

const inputArb: fc.Arbitrary<FreeTimeInput> = fc
  .record({
    oneTime: fc.array(fc.tuple(spanArb(120), fc.boolean()), { maxLength: 6 }),
    occurrences: fc.array(spanArb(360), { maxLength: 5 }),
    bookings: fc.array(spanArb(90), { maxLength: 6 }),
    range: fc.oneof(spanArb(800), fc.constant(EVERYTHING)),
    slotMinutes: fc.option(fc.constantFrom(7, 15, 30, 45, 60), { nil: undefined }),
    includeBooked: fc.boolean(),
  })
  .map(({ oneTime, occurrences, bookings, range, slotMinutes, includeBooked }) => ({
    // Labels are irrelevant to the computation; ids are distinct so each slot names its source.
    oneTimeSlots: oneTime.map(([span, isBooked], k): OneTimeSlot => ({ ...span, id: 100 + k, isBooked })),
    occurrences: occurrences.map((span, k): Occurrence => ({
      ...span,
      ruleId: 200 + k,
      date: '2030-01-07',
      startTime: '00:00:00',
      endTime: '00:00:00',
    })),
    bookings,
    range,
    ...(slotMinutes === undefined ? {} : { slotMinutes }),
    includeBooked,
  }));

/** Confirmed bookings and one-time slots flagged booked. */
const busyOf = (input: FreeTimeInput) =>
  normalize([...input.bookings, ...input.oneTimeSlots.filter((s) => s.isBooked)]);
const overlapsAny = (span: Interval, list: readonly Interval[]) => list.some((b) => overlaps(span, b));
const strip = ({ start, end }: Interval): Interval => ({ start, end });

describe('free time', () => {
  it('no free slot overlaps a confirmed booking, and every booked slot does', () => {
    check(
      fc.property(inputArb, (input) => {
        const busy = busyOf(input);
        for (const slot of computeFreeTime(input)) {
          if (slot.isBooked) {
            assert.ok(input.includeBooked, 'booked time returned without includeBooked');
            assert.ok(overlapsAny(slot, busy), `${JSON.stringify(slot)} marked booked but free`);
          } else {
            assert.ok(!overlapsAny(slot, input.bookings), `${JSON.stringify(slot)} overlaps a booking`);
            assert.ok(!overlapsAny(slot, busy));
          }
        }
      }),
    );
  });

  it('every slot is a whole one-time slot or lies inside its occurrence, overlaps the range, in start order', () => {
    check(
      fc.property(inputArb, (input) => {
        const slots = computeFreeTime(input);
        for (let k = 1; k < slots.length; k++) assert.ok(slots[k - 1]!.start <= slots[k]!.start, 'not sorted by start');
        for (const slot of slots) {
          assert.ok(slot.start < slot.end);
          assert.ok(overlaps(slot, input.range), `${JSON.stringify(slot)} outside the range`);
          if (slot.source === 'one_time') {
            const origin = input.oneTimeSlots.find((s) => s.id === slot.availabilityId)!;
            assert.deepEqual(strip(slot), strip(origin), 'a one-time slot was cut or clipped');
            assert.equal(slot.recurringId, undefined);
          } else {
            const origin = input.occurrences.find((o) => o.ruleId === slot.recurringId)!;
            assert.ok(contains(origin, slot), `${JSON.stringify(slot)} outside its occurrence`);
            assert.equal(slot.availabilityId, undefined);
          }
        }
      }),
    );
  });

  it('with slotMinutes, recurring slots are whole slots on the occurrence grid; one-time slots stay whole', () => {
    check(
      fc.property(inputArb, fc.constantFrom(7, 15, 30, 45, 60), (base, slotMinutes) => {
        const input = { ...base, slotMinutes };
        for (const slot of computeFreeTime(input)) {
          if (slot.source === 'one_time') continue;
          const origin = input.occurrences.find((o) => o.ruleId === slot.recurringId)!;
          assert.equal(slot.end - slot.start, slotMinutes * MINUTE, 'partial slot');
          assert.equal((slot.start - origin.start) % (slotMinutes * MINUTE), 0, 'off the occurrence grid');
        }
      }),
    );
  });

  it('is exact: free pieces are occurrence minus busy time, booked pieces its intersection, grid slots all of cut()', () => {
    check(
      fc.property(inputArb, (base) => {
        const input = { ...base, range: EVERYTHING, includeBooked: true };
        const busy = busyOf(input);
        const slots = computeFreeTime(input);
        for (const occurrence of input.occurrences) {
          const mine = slots.filter((s) => s.recurringId === occurrence.ruleId);
          if (input.slotMinutes === undefined) {
            assert.deepEqual(mine.filter((s) => !s.isBooked).map(strip), subtract([occurrence], busy));
            assert.deepEqual(mine.filter((s) => s.isBooked).map(strip), intersect([occurrence], busy));
          } else {
            assert.deepEqual(
              mine.map((s) => ({ ...strip(s), isBooked: s.isBooked })),
              cut(occurrence, input.slotMinutes * MINUTE).map((s) => ({ ...s, isBooked: overlapsAny(s, busy) })),
            );
          }
        }
        const oneTime = slots.filter((s) => s.source === 'one_time');
        assert.deepEqual(
          oneTime.map((s) => [s.availabilityId, s.isBooked]).sort(),
          input.oneTimeSlots.map((s) => [s.id, s.isBooked || overlapsAny(s, busy)]).sort(),
        );
      }),
    );
  });

  it('a range only filters: the result is the unbounded result restricted to slots overlapping it', () => {
    check(
      fc.property(inputArb, (input) => {
        const everything = computeFreeTime({ ...input, range: EVERYTHING });
        assert.deepEqual(
          computeFreeTime(input),
          everything.filter((s) => overlaps(s, input.range)),
        );
      }),
    );
  });

  it('without includeBooked, the result is the includeBooked result minus the booked slots', () => {
    check(
      fc.property(inputArb, (input) => {
        const withBooked = computeFreeTime({ ...input, includeBooked: true });
        assert.deepEqual(
          computeFreeTime({ ...input, includeBooked: false }),
          withBooked.filter((s) => !s.isBooked),
        );
      }),
    );
  });

  it('09:00–12:00 with a booking at 09:10–09:40 in 30-minute slots frees 10:00, 10:30, 11:00, 11:30', () => {
    const zone = 'Europe/Berlin';
    const [occurrence] = expandRules(
      [
        {
          id: 5,
          dayOfWeek: 0,
          startTime: '09:00',
          endTime: '12:00',
          isActive: true,
          validFrom: null,
          validUntil: null,
        },
      ],
      zone,
      localWindowToInterval('2030-01-07', '00:00', '23:59', zone),
    );
    const at = (time: string) => localWindowToInterval('2030-01-07', time, '23:59', zone).start;
    const booking = { start: at('09:10'), end: at('09:40') };
    const input: FreeTimeInput = {
      oneTimeSlots: [],
      occurrences: [occurrence!],
      bookings: [booking],
      range: EVERYTHING,
      slotMinutes: 30,
    };
    const starts = (slots: FreeSlot[]) => slots.map((s) => [s.start, s.isBooked]);
    assert.deepEqual(starts(computeFreeTime(input)), [
      [at('10:00'), false],
      [at('10:30'), false],
      [at('11:00'), false],
      [at('11:30'), false],
    ]);
    assert.deepEqual(starts(computeFreeTime({ ...input, includeBooked: true })), [
      [at('09:00'), true],
      [at('09:30'), true],
      [at('10:00'), false],
      [at('10:30'), false],
      [at('11:00'), false],
      [at('11:30'), false],
    ]);
    assert.deepEqual(computeFreeTime({ ...input, slotMinutes: undefined }), [
      { start: at('09:00'), end: at('09:10'), source: 'recurring', recurringId: 5, isBooked: false },
      { start: at('09:40'), end: at('12:00'), source: 'recurring', recurringId: 5, isBooked: false },
    ]);
  });

  it('one-time slots: booked or overlapping a booking are not free, and are kept whole at the range edge', () => {
    const slot = (id: number, from: number, to: number, isBooked = false): OneTimeSlot => ({
      id,
      start: BASE + from * MINUTE,
      end: BASE + to * MINUTE,
      isBooked,
    });
    const input: FreeTimeInput = {
      oneTimeSlots: [slot(1, 0, 60), slot(2, 60, 120, true), slot(3, 120, 180), slot(4, 180, 240)],
      occurrences: [],
      bookings: [{ start: BASE + 150 * MINUTE, end: BASE + 160 * MINUTE }],
      range: { start: BASE + 30 * MINUTE, end: BASE + 200 * MINUTE },
      slotMinutes: 15,
    };
    assert.deepEqual(computeFreeTime(input), [
      { start: BASE, end: BASE + 60 * MINUTE, source: 'one_time', availabilityId: 1, isBooked: false },
      { start: BASE + 180 * MINUTE, end: BASE + 240 * MINUTE, source: 'one_time', availabilityId: 4, isBooked: false },
    ]);
    assert.deepEqual(
      computeFreeTime({ ...input, includeBooked: true }).map((s) => [s.availabilityId, s.isBooked]),
      [
        [1, false],
        [2, true],
        [3, true],
        [4, false],
      ],
    );
    assert.throws(() => computeFreeTime({ ...input, slotMinutes: 0 }), RangeError);
    assert.throws(() => computeFreeTime({ ...input, slotMinutes: 2.5 }), RangeError);
  });
});
