import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { epochMs } from '../common/epoch-ms';
import { type Interval, type OneTimeSlot, type WeeklyRule, isoFromEpochMs } from '../scheduling';

/** What free time is computed from, for one consultant over one range. */
export interface ConsultantSchedule {
  slots: OneTimeSlot[];
  rules: WeeklyRule[];
  bookings: Interval[];
}

/** One consultant and the UTC range of interest (its local days differ by zone). */
export type Window = Interval & { consultantId: number };

/**
 * Loads the schedules of any number of consultants in three queries, whatever their number:
 * each (consultant, range) pair is joined through `unnest` so every lookup is one index range scan.
 */
@Injectable()
export class CalendarRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async schedules(windows: Window[]): Promise<Map<number, ConsultantSchedule>> {
    const result = new Map<number, ConsultantSchedule>(windows.map((w) => [w.consultantId, { slots: [], rules: [], bookings: [] }]));
    if (!windows.length) return result;
    const params = [windows.map((w) => w.consultantId), windows.map((w) => isoFromEpochMs(w.start)), windows.map((w) => isoFromEpochMs(w.end))];
    const ranges = `unnest($1::int[], $2::timestamptz[], $3::timestamptz[]) AS w(consultant_id, range_start, range_end)`;
    const [slots, rules, bookings] = await Promise.all([
      this.db.query<{ id: number; consultant_id: number; start_at: number; end_at: number; is_booked: boolean }[]>(
        `SELECT a.id, a.consultant_id, ${epochMs('a.start_at')} AS start_at, ${epochMs('a.end_at')} AS end_at, a.is_booked FROM ${ranges}
           JOIN availabilities a ON a.consultant_id = w.consultant_id AND a.during && tstzrange(w.range_start, w.range_end)`,
        params,
      ),
      this.db.query<(WeeklyRule & { consultant_id: number })[]>(
        `SELECT consultant_id, id, day_of_week AS "dayOfWeek", start_time::text AS "startTime", end_time::text AS "endTime",
                is_active AS "isActive", valid_from::text AS "validFrom", valid_until::text AS "validUntil"
           FROM recurring_rules WHERE consultant_id = ANY($1::int[]) AND is_active`,
        [params[0]],
      ),
      // A day's margin either side: a weekly window that starts before the range can still be cut
      // by a booking. Bookings last at most a day (a CHECK), so bounding start_at on both sides is
      // exact and uses the (consultant_id, start_at) B-tree, a few pages, where the GiST took ~30.
      this.db.query<{ consultant_id: number; start_at: number; end_at: number }[]>(
        `SELECT b.consultant_id, ${epochMs('b.start_at')} AS start_at, ${epochMs('b.end_at')} AS end_at FROM ${ranges}
           JOIN bookings b ON b.consultant_id = w.consultant_id AND b.status = 'confirmed'
            AND b.start_at > w.range_start - interval '2 days' AND b.start_at < w.range_end + interval '1 day'
            AND b.end_at > w.range_start - interval '1 day'`,
        params,
      ),
    ]);
    for (const s of slots) {
      result.get(s.consultant_id)!.slots.push({ id: s.id, start: s.start_at, end: s.end_at, isBooked: s.is_booked });
    }
    for (const { consultant_id, ...rule } of rules) result.get(consultant_id)!.rules.push(rule);
    for (const b of bookings) result.get(b.consultant_id)!.bookings.push({ start: b.start_at, end: b.end_at });
    return result;
  }
}
