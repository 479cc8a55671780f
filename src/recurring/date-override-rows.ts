import type { SqlNames } from '../database/sql-names';
import type { DateOverride as Override } from '../scheduling';
import type { DateOverride, OverrideWindow } from './entities/date-override.entity';

/** A date override as the hot paths' statements return it (overrideJson). */
export type OverrideRow = { id: number; date: string; windows: OverrideWindow[] };

/**
 * The JSON object of one date override, for statements that read a consultant's schedule in one
 * round trip (the booking check, the calendar views) rather than through DateOverridesService.
 */
export const overrideJson = (o: SqlNames<DateOverride>, alias: string): string =>
  `json_build_object('id', ${alias}.${o.id}, 'date', ${alias}.${o.date}::text, 'windows', ${alias}.${o.windows})`;

/**
 * The overrides whose windows can reach into [start, end): local dates from two days before to
 * two days after, whatever the zone's offset (at most 14 hours) and a window's length (under a day).
 */
export const overrideDatesNear = (o: SqlNames<DateOverride>, alias: string, start: string, end: string): string =>
  `${alias}.${o.date} BETWEEN (${start}::timestamptz - interval '2 days')::date AND (${end}::timestamptz + interval '2 days')::date`;

export const toOverride = (row: OverrideRow): Override => ({
  id: row.id,
  date: row.date,
  windows: row.windows.map((w) => ({ startTime: w.start_time, endTime: w.end_time })),
});
