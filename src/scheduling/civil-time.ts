/**
 * Zone-free arithmetic on local dates ('YYYY-MM-DD', as days since 1970-01-01) and wall-clock
 * times ('HH:MM:SS', as seconds since midnight). Plain integers keep the hot loops that expand
 * weekly rules free of object allocation; the algorithms are the proleptic Gregorian ones
 * Temporal.PlainDate uses (H. Hinnant's days_from_civil), without Date's two-digit-year quirks.
 */

export const SECONDS_PER_DAY = 86_400;
export const MS_PER_DAY = 86_400_000;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_PATTERN = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = (month + 9) % 12;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function civilFromDays(days: number): [year: number, month: number, day: number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** Days since 1970-01-01 for a valid 'YYYY-MM-DD', else null. */
export function epochDayFromDate(date: string): number | null {
  const match = typeof date === 'string' ? DATE_PATTERN.exec(date) : null;
  if (match === null) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return daysFromCivil(year, month, day);
}

/** Throws RangeError outside years 0000–9999, which 'YYYY-MM-DD' cannot write. */
export function dateFromEpochDay(epochDay: number): string {
  const [year, month, day] = civilFromDays(epochDay);
  if (!Number.isSafeInteger(epochDay) || year < 0 || year > 9999) {
    throw new RangeError(`local date out of range (years 0000-9999): epoch day ${epochDay}`);
  }
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

/** 0 = Monday … 6 = Sunday; 1970-01-01 was a Thursday. */
export function weekdayOfEpochDay(epochDay: number): number {
  return (((epochDay + 3) % 7) + 7) % 7;
}

/** Seconds since midnight for 'HH:MM' or 'HH:MM:SS' (00–23, 00–59, 00–59), else null. */
export function secondsFromTime(time: string): number | null {
  const match = typeof time === 'string' ? TIME_PATTERN.exec(time) : null;
  if (match === null) return null;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  const seconds = match[3] === undefined ? 0 : Number(match[3]);
  if (hours > 23 || minutes > 59 || seconds > 59) return null;
  return hours * 3600 + minutes * 60 + seconds;
}

/**
 * Epoch milliseconds exactly as Date#toISOString writes them ('2030-03-05T09:00:00.000Z') in
 * years 0000–9999, without the Date and in under half its time: views write two per slot.
 * Throws RangeError outside those years or for a fractional millisecond.
 */
export function isoFromEpochMs(ms: number): string {
  if (!Number.isSafeInteger(ms)) throw new RangeError(`not a whole number of milliseconds: ${ms}`);
  const day = Math.floor(ms / MS_PER_DAY);
  const msOfDay = ms - day * MS_PER_DAY;
  const seconds = Math.floor(msOfDay / 1000);
  return `${dateFromEpochDay(day)}T${timeFromSeconds(seconds)}.${pad3(msOfDay - seconds * 1000)}Z`;
}

export function timeFromSeconds(secondsOfDay: number): string {
  const hours = Math.floor(secondsOfDay / 3600);
  const minutes = Math.floor((secondsOfDay % 3600) / 60);
  return `${pad2(hours)}:${pad2(minutes)}:${pad2(secondsOfDay % 60)}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}
