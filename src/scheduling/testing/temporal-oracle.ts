// Test support for the scheduling specs only: production code must never import from testing/.
import { Temporal } from 'temporal-polyfill';

/** Answers straight from Temporal, to check the scheduling module's cached arithmetic against. */

export function temporalInstant(
  date: string,
  time: string,
  zone: string,
  disambiguation: 'compatible' | 'earlier' | 'later' | 'reject',
): number {
  return Temporal.PlainDateTime.from(`${date}T${time}`).toZonedDateTime(zone, { disambiguation }).epochMilliseconds;
}

/** Whether the zone's clocks skip this wall-clock reading. */
export function isSkipped(date: string, time: string, zone: string): boolean {
  const plain = Temporal.PlainDateTime.from(`${date}T${time}`);
  return !plain.toZonedDateTime(zone, { disambiguation: 'compatible' }).toPlainDateTime().equals(plain);
}

export function temporalLocal(instant: number, zone: string): { date: string; time: string } {
  const plain = Temporal.Instant.fromEpochMilliseconds(instant).toZonedDateTimeISO(zone).toPlainDateTime();
  return { date: plain.toPlainDate().toString(), time: plain.toPlainTime().toString({ smallestUnit: 'second' }) };
}

export function temporalOffset(instant: number, zone: string): number {
  return Temporal.Instant.fromEpochMilliseconds(instant).toZonedDateTimeISO(zone).offsetNanoseconds / 1e6;
}

/** Wall-clock reading as milliseconds (local time read as if UTC). */
export function localMs(date: string, time: string): number {
  return Temporal.PlainDateTime.from(`${date}T${time}`).toZonedDateTime('UTC').epochMilliseconds;
}

/** Length of the gap a skipped reading falls in: the jump of the transition before `instant`. */
export function gapBefore(instant: number, zone: string): number {
  const zoned = Temporal.Instant.fromEpochMilliseconds(instant + 1).toZonedDateTimeISO(zone);
  const transition = zoned.getTimeZoneTransition('previous');
  if (transition === null) throw new Error(`no transition before ${instant} in ${zone}`);
  return transition.offsetNanoseconds / 1e6 - temporalOffset(transition.epochMilliseconds - 1, zone);
}

export function plusDays(date: string, days: number): string {
  return Temporal.PlainDate.from(date).add({ days }).toString();
}
