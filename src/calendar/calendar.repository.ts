import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { epochMs } from '../database/epoch-ms';
import { type Interval, type OneTimeSlot, type WeeklyRule, isoFromEpochMs } from '../scheduling';

/** What free time is computed from, for one consultant over one range. */
export interface ConsultantSchedule {
  slots: OneTimeSlot[];
  rules: WeeklyRule[];
  bookings: Interval[];
}

/** One consultant and the UTC range of interest (its local days differ by zone). */
export type Window = Interval & { consultantId: number };

/** A row as the statement returns it: with the consultant it belongs to. */
type Owned<T> = T & { consultantId: number };

/**
 * Loads the schedules of any number of consultants in one statement, whatever their number:
 * each (consultant, range) pair is joined through `unnest` so every lookup is one index range
 * scan, and each of the three lists comes back as one JSON value. Three statements cost about
 * 110 µs more Node CPU for one consultant and 280 µs more for a page of 50 (a round trip each).
 */
@Injectable()
export class CalendarRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async schedules(windows: Window[]): Promise<Map<number, ConsultantSchedule>> {
    const result = new Map<number, ConsultantSchedule>(
      windows.map((w) => [w.consultantId, { slots: [], rules: [], bookings: [] }]),
    );
    if (!windows.length) return result;
    const params = [
      windows.map((w) => w.consultantId),
      windows.map((w) => isoFromEpochMs(w.start)),
      windows.map((w) => isoFromEpochMs(w.end)),
    ];
    const ranges = `unnest($1::int[], $2::timestamptz[], $3::timestamptz[]) AS w(consultant_id, range_start, range_end)`;
    // json_agg of no rows is null. Bookings get a day's margin either side: a weekly window that
    // starts before the range can still be cut by a booking. Bookings last at most a day (a CHECK),
    // so bounding start_at on both sides is exact and uses the (consultant_id, start_at) B-tree,
    // a few pages, where the GiST took ~30.
    const [{ slots, rules, bookings }] = await this.db.query<
      [{ slots: Owned<OneTimeSlot>[] | null; rules: Owned<WeeklyRule>[] | null; bookings: Owned<Interval>[] | null }]
    >(
      `SELECT
         (SELECT json_agg(json_build_object('consultantId', a.consultant_id, 'id', a.id, 'start', ${epochMs('a.start_at')}, 'end', ${epochMs('a.end_at')}, 'isBooked', a.is_booked))
            FROM ${ranges} JOIN availabilities a ON a.consultant_id = w.consultant_id AND a.during && tstzrange(w.range_start, w.range_end)) AS slots,
         (SELECT json_agg(json_build_object('consultantId', consultant_id, 'id', id, 'dayOfWeek', day_of_week, 'startTime', start_time::text, 'endTime', end_time::text,
                                            'isActive', is_active, 'validFrom', valid_from::text, 'validUntil', valid_until::text))
            FROM recurring_rules WHERE consultant_id = ANY($1::int[]) AND is_active) AS rules,
         (SELECT json_agg(json_build_object('consultantId', b.consultant_id, 'start', ${epochMs('b.start_at')}, 'end', ${epochMs('b.end_at')}))
            FROM ${ranges} JOIN bookings b ON b.consultant_id = w.consultant_id AND b.status = 'confirmed'
             AND b.start_at > w.range_start - interval '2 days' AND b.start_at < w.range_end + interval '1 day'
             AND b.end_at > w.range_start - interval '1 day') AS bookings`,
      params,
    );
    for (const slot of slots ?? []) result.get(slot.consultantId)!.slots.push(slot);
    for (const rule of rules ?? []) result.get(rule.consultantId)!.rules.push(rule);
    for (const booking of bookings ?? []) result.get(booking.consultantId)!.bookings.push(booking);
    return result;
  }
}
