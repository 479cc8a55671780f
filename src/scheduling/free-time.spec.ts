import * as fc from 'fast-check';
import {
  type FreeSlot,
  type FreeTimeInput,
  type Interval,
  type Occurrence,
  type OneTimeSlot,
  computeFreeTime,
  computeFreeTimeWithin,
  contains,
  countFreeTime,
  cut,
  expandRules,
  intersect,
  localWindowToInterval,
  normalize,
  overlaps,
  subtract,
} from './index';
import { check } from './testing/properties';

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
const occurrenceOf = (input: FreeTimeInput, slot: FreeSlot) =>
  input.occurrences.find((o) => o.ruleId === slot.recurringId)!;

// expect() costs microseconds a call, thousands of times node:assert: a check of every slot in
// every case is one expect per case, of the slots that break it (none) or of all their values.

describe('free time', () => {
  it('no free slot overlaps a confirmed booking, and every booked slot does', () => {
    check(
      fc.property(inputArb, (input) => {
        const busy = busyOf(input);
        const slots = computeFreeTime(input);
        const booked = slots.filter((s) => s.isBooked);
        const free = slots.filter((s) => !s.isBooked);
        // Booked time comes back only with includeBooked...
        if (booked.length > 0) expect(input.includeBooked).toBe(true);
        // ...and a slot marked booked really overlaps busy time.
        expect(booked.filter((s) => !overlapsAny(s, busy))).toStrictEqual([]);
        // A free slot overlaps no booking, nor any busy time.
        expect(free.filter((s) => overlapsAny(s, input.bookings))).toStrictEqual([]);
        expect(free.filter((s) => overlapsAny(s, busy))).toStrictEqual([]);
      }),
    );
  });

  it('every slot is a whole one-time slot or lies inside its occurrence, overlaps the range, in start order', () => {
    check(
      fc.property(inputArb, (input) => {
        const slots = computeFreeTime(input);
        // Sorted by start.
        expect(slots.filter((s, k) => k > 0 && !(slots[k - 1]!.start <= s.start))).toStrictEqual([]);
        // None empty, none outside the range.
        expect(slots.filter((s) => !(s.start < s.end))).toStrictEqual([]);
        expect(slots.filter((s) => !overlaps(s, input.range))).toStrictEqual([]);
        const oneTime = slots.filter((s) => s.source === 'one_time');
        const recurring = slots.filter((s) => s.source !== 'one_time');
        // A one-time slot is never cut or clipped.
        expect(oneTime.map(strip)).toStrictEqual(
          oneTime.map((s) => strip(input.oneTimeSlots.find((o) => o.id === s.availabilityId)!)),
        );
        expect(oneTime.filter((s) => s.recurringId !== undefined)).toStrictEqual([]);
        // None outside its occurrence.
        expect(recurring.filter((s) => !contains(occurrenceOf(input, s), s))).toStrictEqual([]);
        expect(recurring.filter((s) => s.availabilityId !== undefined)).toStrictEqual([]);
      }),
    );
  });

  it('with slotMinutes, recurring slots are whole slots on the occurrence grid; one-time slots stay whole', () => {
    check(
      fc.property(inputArb, fc.constantFrom(7, 15, 30, 45, 60), (base, slotMinutes) => {
        const input = { ...base, slotMinutes };
        const step = slotMinutes * MINUTE;
        const recurring = computeFreeTime(input).filter((s) => s.source !== 'one_time');
        // No partial slot...
        expect(recurring.map((s) => s.end - s.start)).toStrictEqual(recurring.map(() => step));
        // ...and none off the occurrence grid.
        expect(recurring.map((s) => (s.start - occurrenceOf(input, s).start) % step)).toStrictEqual(
          recurring.map(() => 0),
        );
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
            expect(mine.filter((s) => !s.isBooked).map(strip)).toStrictEqual(subtract([occurrence], busy));
            expect(mine.filter((s) => s.isBooked).map(strip)).toStrictEqual(intersect([occurrence], busy));
          } else {
            expect(mine.map((s) => ({ ...strip(s), isBooked: s.isBooked }))).toStrictEqual(
              cut(occurrence, input.slotMinutes * MINUTE).map((s) => ({ ...s, isBooked: overlapsAny(s, busy) })),
            );
          }
        }
        const oneTime = slots.filter((s) => s.source === 'one_time');
        expect(oneTime.map((s) => [s.availabilityId, s.isBooked]).sort()).toStrictEqual(
          input.oneTimeSlots.map((s) => [s.id, s.isBooked || overlapsAny(s, busy)]).sort(),
        );
      }),
    );
  });

  it('a range only filters: the result is the unbounded result restricted to slots overlapping it', () => {
    check(
      fc.property(inputArb, (input) => {
        const everything = computeFreeTime({ ...input, range: EVERYTHING });
        expect(computeFreeTime(input)).toStrictEqual(everything.filter((s) => overlaps(s, input.range)));
      }),
    );
  });

  it('without includeBooked, the result is the includeBooked result minus the booked slots', () => {
    check(
      fc.property(inputArb, (input) => {
        const withBooked = computeFreeTime({ ...input, includeBooked: true });
        expect(computeFreeTime({ ...input, includeBooked: false })).toStrictEqual(
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
    expect(starts(computeFreeTime(input))).toStrictEqual([
      [at('10:00'), false],
      [at('10:30'), false],
      [at('11:00'), false],
      [at('11:30'), false],
    ]);
    expect(starts(computeFreeTime({ ...input, includeBooked: true }))).toStrictEqual([
      [at('09:00'), true],
      [at('09:30'), true],
      [at('10:00'), false],
      [at('10:30'), false],
      [at('11:00'), false],
      [at('11:30'), false],
    ]);
    expect(computeFreeTime({ ...input, slotMinutes: undefined })).toStrictEqual([
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
    expect(computeFreeTime(input)).toStrictEqual([
      { start: BASE, end: BASE + 60 * MINUTE, source: 'one_time', availabilityId: 1, isBooked: false },
      { start: BASE + 180 * MINUTE, end: BASE + 240 * MINUTE, source: 'one_time', availabilityId: 4, isBooked: false },
    ]);
    expect(computeFreeTime({ ...input, includeBooked: true }).map((s) => [s.availabilityId, s.isBooked])).toStrictEqual(
      [
        [1, false],
        [2, true],
        [3, true],
        [4, false],
      ],
    );
    expect(() => computeFreeTime({ ...input, slotMinutes: 0 })).toThrow(RangeError);
    expect(() => computeFreeTime({ ...input, slotMinutes: 2.5 })).toThrow(RangeError);
  });
});

describe('free time within a ceiling', () => {
  it('gives up exactly when there would be more than the ceiling, and otherwise gives the same slots', () => {
    check(
      fc.property(inputArb, fc.integer({ min: 0, max: 60 }), (input, max) => {
        const all = computeFreeTime(input);
        expect(computeFreeTimeWithin(input, max)).toEqual(all.length > max ? null : all);
      }),
    );
  });

  it('counts exactly what it would cut, and past a limit says only that it passed it', () => {
    check(
      fc.property(inputArb, fc.integer({ min: 0, max: 60 }), (input, limit) => {
        const all = computeFreeTime(input).length;
        const counted = countFreeTime(input, limit);
        expect([countFreeTime(input), counted > limit]).toEqual([all, all > limit]);
      }),
    );
  });

  it('counts whole days of 5-minute slots by arithmetic as the cut lists them', () => {
    const day = 24 * 60 * MINUTE;
    const occurrences = Array.from({ length: 92 }, (_, d): Occurrence => ({
      start: BASE + d * day,
      end: BASE + d * day + day - 5 * MINUTE,
      ruleId: 1,
      date: '2030-01-07',
      startTime: '00:00:00',
      endTime: '23:55:00',
    }));
    const input: FreeTimeInput = {
      oneTimeSlots: [],
      occurrences,
      bookings: [{ start: BASE + 3 * day + 7 * MINUTE, end: BASE + 3 * day + 31 * MINUTE }],
      range: { start: BASE + 13 * MINUTE, end: BASE + 91 * day + 2 * MINUTE },
      slotMinutes: 5,
    };
    expect(countFreeTime(input)).toBe(computeFreeTime(input).length);
  });
});
