import * as fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import {
  InvalidLocalWindowError,
  NonexistentLocalTimeError,
  addDays,
  canonicalTimeZone,
  dayOfWeek,
  instantToLocal,
  instantToLocalTime,
  isoFromEpochMs,
  isValidLocalDate,
  isValidTimeZone,
  localDatesToInterval,
  localToInstant,
  localWindowToInterval,
  parseLocalTime,
} from './index';
import { check } from './testing/properties';
import { gapBefore, isSkipped, localMs, plusDays, temporalInstant, temporalLocal } from './testing/temporal-oracle';
import { ZONES, instantNear, localMsNear, splitLocalMs, zoneArb } from './testing/zones';

const utc = (iso: string) => Date.parse(iso);

/** A zone and a wall-clock reading in it, often close to one of its clock changes. */
const localReadingArb = zoneArb.chain((zone) => localMsNear(zone).map((ms) => ({ zone, ...splitLocalMs(ms) })));

describe('local time in a zone', () => {
  it('localToInstant agrees with Temporal disambiguation "compatible" (gaps forward, repeats first)', () => {
    check(
      fc.property(localReadingArb, ({ zone, date, time }) => {
        expect(localToInstant(date, time, zone, 'compatible')).toBe(temporalInstant(date, time, zone, 'compatible'));
      }),
    );
  });

  it('"reject" throws NonexistentLocalTimeError exactly for skipped times, else takes the earlier instant', () => {
    check(
      fc.property(localReadingArb, ({ zone, date, time }) => {
        if (isSkipped(date, time, zone)) {
          const reject = () => localToInstant(date, time, zone, 'reject');
          expect(reject).toThrow(NonexistentLocalTimeError);
          expect(reject).toThrow(expect.objectContaining({ date, time, zone }));
        } else {
          expect(localToInstant(date, time, zone, 'reject')).toBe(temporalInstant(date, time, zone, 'earlier'));
        }
      }),
    );
  });

  it('instantToLocal and instantToLocalTime agree with Temporal, to the second', () => {
    // Near clock changes (gaps and repeats) in 2020–2035, and anywhere in 1850–2150, where
    // zones still kept local mean time with offsets in seconds.
    const wide = fc.integer({ min: Date.UTC(1850, 0, 1), max: Date.UTC(2150, 0, 1) });
    check(
      fc.property(
        zoneArb.chain((zone) => fc.oneof(instantNear(zone), wide).map((instant) => ({ zone, instant }))),
        ({ zone, instant }) => {
          const expected = temporalLocal(instant, zone);
          expect(instantToLocal(instant, zone)).toStrictEqual(expected);
          expect(instantToLocalTime(instant, zone)).toBe(expected.time);
        },
      ),
    );
  });

  it('isoFromEpochMs writes what Date#toISOString writes, over years 0000–9999', () => {
    const first = Date.parse('0000-01-01T00:00:00.000Z');
    const last = Date.parse('9999-12-31T23:59:59.999Z');
    check(
      fc.property(fc.oneof(fc.integer({ min: first, max: last }), fc.integer({ min: -1000, max: 1000 })), (ms) => {
        expect(isoFromEpochMs(ms)).toBe(new Date(ms).toISOString());
      }),
    );
    expect(isoFromEpochMs(Date.UTC(2030, 2, 5, 9))).toBe('2030-03-05T09:00:00.000Z');
    expect(isoFromEpochMs(first)).toBe('0000-01-01T00:00:00.000Z');
    expect(isoFromEpochMs(last)).toBe('9999-12-31T23:59:59.999Z');
    for (const ms of [first - 1, last + 1, 0.5, Number.NaN]) expect(() => isoFromEpochMs(ms)).toThrow(RangeError);
  });

  it('a local time maps back to itself, or when skipped to a time later by exactly the gap', () => {
    check(
      fc.property(localReadingArb, ({ zone, date, time }) => {
        const instant = localToInstant(date, time, zone);
        const back = instantToLocal(instant, zone);
        if (isSkipped(date, time, zone)) {
          expect(localMs(back.date, back.time) - localMs(date, time)).toBe(gapBefore(instant, zone));
        } else {
          expect(back).toStrictEqual({ date, time });
        }
      }),
    );
  });

  it('localWindowToInterval converts both ends, the end on the next day when it is earlier', () => {
    const windowArb = zoneArb.chain((zone) =>
      fc.record({
        zone: fc.constant(zone),
        start: localMsNear(zone),
        endTime: fc.integer({ min: 0, max: 86_399 }).map((s) => splitLocalMs(s * 1000).time),
      }),
    );
    check(
      fc.property(windowArb, ({ zone, start, endTime }) => {
        const { date, time: startTime } = splitLocalMs(start);
        if (endTime === startTime) {
          expect(() => localWindowToInterval(date, startTime, endTime, zone)).toThrow(InvalidLocalWindowError);
          return;
        }
        const endDate = endTime < startTime ? plusDays(date, 1) : date;
        const expected = {
          start: temporalInstant(date, startTime, zone, 'compatible'),
          end: temporalInstant(endDate, endTime, zone, 'compatible'),
        };
        if (expected.end <= expected.start) {
          expect(() => localWindowToInterval(date, startTime, endTime, zone)).toThrow(InvalidLocalWindowError);
        } else {
          expect(localWindowToInterval(date, startTime, endTime, zone)).toStrictEqual(expected);
        }
        if (isSkipped(date, startTime, zone) || isSkipped(endDate, endTime, zone)) {
          expect(() => localWindowToInterval(date, startTime, endTime, zone, 'reject')).toThrow(
            NonexistentLocalTimeError,
          );
        } else if (expected.end > expected.start) {
          expect(localWindowToInterval(date, startTime, endTime, zone, 'reject')).toStrictEqual({
            start: temporalInstant(date, startTime, zone, 'earlier'),
            end: temporalInstant(endDate, endTime, zone, 'earlier'),
          });
        }
      }),
    );
  });

  it('localDatesToInterval spans from the start of the first day to the start of the day after the last', () => {
    const datesArb = zoneArb.chain((zone) =>
      fc.record({ zone: fc.constant(zone), first: localMsNear(zone), extra: fc.integer({ min: 0, max: 40 }) }),
    );
    check(
      fc.property(datesArb, ({ zone, first, extra }) => {
        const from = splitLocalMs(first).date;
        const to = plusDays(from, extra);
        const startOfDay = (date: string) =>
          Temporal.PlainDate.from(date).toZonedDateTime({ timeZone: zone }).epochMilliseconds;
        expect(localDatesToInterval(from, to, zone)).toStrictEqual({
          start: startOfDay(from),
          end: startOfDay(plusDays(to, 1)),
        });
      }),
    );
    expect(() => localDatesToInterval('2026-01-02', '2026-01-01', 'UTC')).toThrow(RangeError);
  });

  it('New York: Monday 09:00 is 14:00Z in winter and 13:00Z after the March change', () => {
    expect(localToInstant('2026-03-02', '09:00', 'America/New_York')).toBe(utc('2026-03-02T14:00:00Z'));
    expect(localToInstant('2026-03-09', '09:00', 'America/New_York')).toBe(utc('2026-03-09T13:00:00Z'));
  });

  it('New York: 02:30 on the spring-forward Sunday is 03:30 local, or an error in reject mode', () => {
    expect(localToInstant('2026-03-08', '02:30', 'America/New_York')).toBe(utc('2026-03-08T07:30:00Z'));
    expect(instantToLocal(utc('2026-03-08T07:30:00Z'), 'America/New_York')).toStrictEqual({
      date: '2026-03-08',
      time: '03:30:00',
    });
    const reject = () => localWindowToInterval('2026-03-08', '02:30', '04:00', 'America/New_York', 'reject');
    expect(reject).toThrow(NonexistentLocalTimeError);
    expect(reject).toThrow(expect.objectContaining({ date: '2026-03-08', time: '02:30:00', zone: 'America/New_York' }));
    expect(() => localWindowToInterval('2026-03-08', '01:00', '02:15', 'America/New_York', 'reject')).toThrow(
      NonexistentLocalTimeError,
    );
    expect(localWindowToInterval('2026-03-08', '01:00', '03:30', 'America/New_York', 'reject')).toStrictEqual({
      start: utc('2026-03-08T06:00:00Z'),
      end: utc('2026-03-08T07:30:00Z'),
    });
  });

  it('New York: 01:30 on the fall-back Sunday is the first 01:30 in both modes', () => {
    expect(localToInstant('2026-11-01', '01:30', 'America/New_York')).toBe(utc('2026-11-01T05:30:00Z'));
    expect(localToInstant('2026-11-01', '01:30', 'America/New_York', 'reject')).toBe(utc('2026-11-01T05:30:00Z'));
  });

  it('Lord Howe: the 30-minute shift moves 02:15 to 02:45 in October and repeats 01:45 in April', () => {
    // 2026-10-04 02:00 +10:30 becomes 02:30 +11:00; 2026-04-05 02:00 +11:00 becomes 01:30 +10:30.
    expect(localToInstant('2026-10-04', '02:15', 'Australia/Lord_Howe')).toBe(utc('2026-10-03T15:45:00Z'));
    expect(instantToLocal(utc('2026-10-03T15:45:00Z'), 'Australia/Lord_Howe')).toStrictEqual({
      date: '2026-10-04',
      time: '02:45:00',
    });
    expect(localToInstant('2026-04-05', '01:45', 'Australia/Lord_Howe')).toBe(utc('2026-04-04T14:45:00Z'));
    expect(instantToLocal(utc('2026-04-04T15:15:00Z'), 'Australia/Lord_Howe')).toStrictEqual({
      date: '2026-04-05',
      time: '01:45:00',
    });
  });

  it('a 23:00→01:00 window ends on the next day; equal times are refused', () => {
    expect(localWindowToInterval('2026-06-30', '23:00', '01:00', 'Europe/Berlin')).toStrictEqual({
      start: utc('2026-06-30T21:00:00Z'),
      end: utc('2026-06-30T23:00:00Z'),
    });
    expect(() => localWindowToInterval('2026-06-30', '09:00', '09:00:00', 'Europe/Berlin')).toThrow(
      InvalidLocalWindowError,
    );
    expect(() => localWindowToInterval('2026-03-08', '02:10', '02:50', 'America/New_York', 'reject')).toThrow(
      NonexistentLocalTimeError,
    );
    // Both ends in the gap move forward together; 02:30→03:15 leaves nothing once 02:30 is 03:30.
    expect(localWindowToInterval('2026-03-08', '02:10', '02:50', 'America/New_York')).toStrictEqual({
      start: utc('2026-03-08T07:10:00Z'),
      end: utc('2026-03-08T07:50:00Z'),
    });
    expect(() => localWindowToInterval('2026-03-08', '02:30', '03:15', 'America/New_York')).toThrow(
      InvalidLocalWindowError,
    );
  });

  it('addDays and dayOfWeek agree with Temporal.PlainDate over years 0001–9999', () => {
    check(
      fc.property(
        fc.integer({
          min: Temporal.PlainDate.from('0002-02-05').since('1970-01-01').days,
          max: Temporal.PlainDate.from('9998-01-01').since('1970-01-01').days,
        }),
        fc.integer({ min: -400, max: 400 }),
        (day, delta) => {
          const plain = Temporal.PlainDate.from('1970-01-01').add({ days: day });
          const date = plain.toString();
          expect(addDays(date, delta)).toBe(plain.add({ days: delta }).toString());
          expect(dayOfWeek(date)).toBe(plain.dayOfWeek - 1);
        },
      ),
    );
    expect(dayOfWeek('2026-03-02')).toBe(0);
    expect(dayOfWeek('2026-03-08')).toBe(6);
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2100-02-28', 1)).toBe('2100-03-01');
    expect(() => addDays('2026-02-30', 1)).toThrow(RangeError);
    expect(() => addDays('9999-12-31', 1)).toThrow(RangeError);
  });

  it('isValidLocalDate accepts exactly the YYYY-MM-DD dates Temporal accepts without overflow', () => {
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    check(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 19 }),
        fc.integer({ min: 0, max: 39 }),
        (y, m, d) => {
          const text = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
          let exists = true;
          try {
            Temporal.PlainDate.from({ year: y, month: m, day: d }, { overflow: 'reject' });
          } catch {
            exists = false;
          }
          expect(isValidLocalDate(text)).toBe(exists);
        },
      ),
    );
    for (const text of [
      '2026-1-01',
      '20260101',
      '2026-01-01T00:00',
      ' 2026-01-01',
      '2026-01-01 ',
      '+002026-01-01',
      '２０２６-01-01',
      '',
    ]) {
      expect({ text, valid: isValidLocalDate(text) }).toStrictEqual({ text, valid: false });
    }
  });

  it('parseLocalTime accepts HH:MM and HH:MM:SS within a day and normalizes to HH:MM:SS', () => {
    const pad = (n: number) => String(n).padStart(2, '0');
    check(
      fc.property(
        fc.integer({ min: 0, max: 29 }),
        fc.integer({ min: 0, max: 69 }),
        fc.option(fc.integer({ min: 0, max: 69 })),
        (h, m, s) => {
          const text = s === null ? `${pad(h)}:${pad(m)}` : `${pad(h)}:${pad(m)}:${pad(s)}`;
          const valid = h <= 23 && m <= 59 && (s ?? 0) <= 59;
          expect(parseLocalTime(text)).toBe(valid ? `${pad(h)}:${pad(m)}:${pad(s ?? 0)}` : null);
        },
      ),
    );
    for (const text of ['9:00', '09:00:00.000', '24:00', ' 09:00', '09:00 ', '0900', '09:00:60', 'T09:00', '']) {
      expect({ text, parsed: parseLocalTime(text) }).toStrictEqual({ text, parsed: null });
    }
  });

  it('isValidTimeZone accepts IANA names as Temporal spells them and refuses offsets and unknown names', () => {
    for (const zone of ZONES) expect({ zone, valid: isValidTimeZone(zone) }).toStrictEqual({ zone, valid: true });
    for (const zone of [
      '+05:00',
      '-0500',
      '+05',
      'Z',
      'utc',
      'america/new_york',
      'Mars/Olympus',
      'America/New_York ',
      '',
      '2026-01-01T00:00[UTC]',
    ]) {
      expect({ zone, valid: isValidTimeZone(zone) }).toStrictEqual({ zone, valid: false });
    }
    expect(canonicalTimeZone('america/new_york')).toBe('America/New_York');
    expect(canonicalTimeZone('+05:00')).toBeNull();
    expect(() => localToInstant('2026-01-01', '09:00', '+05:00')).toThrow(RangeError);
    expect(() => localToInstant('2026-01-01', '25:00', 'UTC')).toThrow(RangeError);
  });
});
