import { Temporal } from 'temporal-polyfill';
import { isValidLocalDate, localDatesToInterval } from './local-time';

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** An ISO 8601 instant with an explicit offset or Z, as epoch ms; null for anything else. */
export function parseInstant(text: string): number | null {
  if (!INSTANT.test(text)) return null;
  try {
    return Temporal.Instant.from(text).epochMilliseconds;
  } catch {
    return null;
  }
}

/** A range bound as clients send it: a local date (a whole day in the zone) or an instant. */
export const isDateOrInstant = (text: string): boolean => isValidLocalDate(text) || parseInstant(text) !== null;

/**
 * Query bounds to instants. Dates are the consultant's local days, both inclusive: `from` is the
 * start of its day, `to` the end of its day. Instants are taken as they are. A missing bound is open.
 */
export function resolveBounds(
  from: string | undefined,
  to: string | undefined,
  zone: string,
): { start: number | null; end: number | null } {
  return {
    start: from === undefined ? null : bound(from, zone, 'start'),
    end: to === undefined ? null : bound(to, zone, 'end'),
  };
}

function bound(text: string, zone: string, edge: 'start' | 'end'): number {
  if (isValidLocalDate(text)) return localDatesToInterval(text, text, zone)[edge];
  const instant = parseInstant(text);
  if (instant === null) throw new RangeError(`not a date or instant: ${text}`);
  return instant;
}
