// Test support for the scheduling specs only: production code must never import from testing/.
import * as fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';

/**
 * Zones chosen for the shapes of their clock changes: 30-minute DST (Lord_Howe), 45-minute
 * offsets (Chatham, Kathmandu), half-hour offsets (Kolkata, Tehran, Adelaide, St_Johns),
 * southern-hemisphere DST (Sao_Paulo before 2019, Santiago, Auckland), changes at midnight
 * (Santiago, Havana, Beirut, Gaza), Ramadan suspensions (Casablanca), negative DST (Dublin),
 * a day-line zone (Apia) and none at all (UTC, Moscow since 2014).
 */
export const ZONES = [
  'America/New_York',
  'Europe/Berlin',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'Pacific/Chatham',
  'America/Sao_Paulo',
  'Europe/London',
  'America/Los_Angeles',
  'America/Santiago',
  'Asia/Tehran',
  'Africa/Casablanca',
  'Australia/Adelaide',
  'Pacific/Auckland',
  'America/St_Johns',
  'Asia/Kathmandu',
  'Europe/Moscow',
  'America/Havana',
  'Asia/Gaza',
  'Asia/Beirut',
  'Pacific/Apia',
  'Europe/Dublin',
  'UTC',
] as const;

export type Transition = { at: number; offsetBefore: number; offsetAfter: number };

const FIRST_INSTANT = Date.UTC(2020, 0, 1);
const LAST_INSTANT = Date.UTC(2036, 0, 1);
export const FIRST_DAY = FIRST_INSTANT / 86_400_000;
export const LAST_DAY = LAST_INSTANT / 86_400_000 - 1;

/** The zone's transitions in 2020–2035, read from Temporal directly (the test oracle). */
export const TRANSITIONS: ReadonlyMap<string, readonly Transition[]> = new Map(
  ZONES.map((zone) => {
    const found: Transition[] = [];
    let zoned: Temporal.ZonedDateTime | null =
      Temporal.Instant.fromEpochMilliseconds(FIRST_INSTANT).toZonedDateTimeISO(zone);
    let offset = zoned.offsetNanoseconds / 1e6;
    for (;;) {
      zoned = zoned.getTimeZoneTransition('next');
      if (zoned === null || zoned.epochMilliseconds >= LAST_INSTANT) break;
      const after = zoned.offsetNanoseconds / 1e6;
      found.push({ at: zoned.epochMilliseconds, offsetBefore: offset, offsetAfter: after });
      offset = after;
    }
    return [zone, found];
  }),
);

export const zoneArb = fc.constantFrom(...ZONES);

/**
 * An instant in 2020–2035 for `zone`: half the time within three hours of one of its clock
 * changes, where the interesting answers are.
 */
export function instantNear(zone: string): fc.Arbitrary<number> {
  const uniform = fc.integer({ min: FIRST_INSTANT, max: LAST_INSTANT - 1 });
  const transitions = TRANSITIONS.get(zone) ?? [];
  if (transitions.length === 0) return uniform;
  const near = fc
    .tuple(fc.constantFrom(...transitions), fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 }))
    .map(([transition, delta]) => transition.at + delta);
  return fc.oneof(uniform, near);
}

/**
 * A wall-clock reading in milliseconds (local time read as if UTC, whole seconds): three times
 * in four within two hours of a clock change's local time, so gaps and repeats come up often.
 */
export function localMsNear(zone: string): fc.Arbitrary<number> {
  const uniform = fc
    .tuple(fc.integer({ min: FIRST_DAY, max: LAST_DAY }), fc.integer({ min: 0, max: 86_399 }))
    .map(([day, second]) => day * 86_400_000 + second * 1000);
  const transitions = TRANSITIONS.get(zone) ?? [];
  if (transitions.length === 0) return uniform;
  const near = fc
    .tuple(fc.constantFrom(...transitions), fc.integer({ min: -7200, max: 7200 }), fc.boolean())
    .map(([t, seconds, useAfter]) => t.at + (useAfter ? t.offsetAfter : t.offsetBefore) + seconds * 1000);
  return fc.oneof({ arbitrary: uniform, weight: 1 }, { arbitrary: near, weight: 3 });
}

/** 'YYYY-MM-DD' and 'HH:MM:SS' of a wall-clock reading in milliseconds. */
export function splitLocalMs(localMs: number): { date: string; time: string } {
  const plain = Temporal.Instant.fromEpochMilliseconds(localMs).toZonedDateTimeISO('UTC').toPlainDateTime();
  return { date: plain.toPlainDate().toString(), time: plain.toPlainTime().toString({ smallestUnit: 'second' }) };
}
