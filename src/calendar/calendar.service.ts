import { Injectable } from '@nestjs/common';
import { badRequest, invalidFields } from '../common/http/problem';
import { timeFields } from '../common/http/time-fields';
import { ConsultantsService } from '../consultants/consultants.service';
import type { ConsultantDto } from '../consultants/dto/consultant.dto';
import {
  computeFreeTime,
  expandRules,
  type FreeSlot,
  type Interval,
  isoFromEpochMs,
  localDatesToInterval,
} from '../scheduling';
import { resolveBounds } from '../scheduling/query-range';
import { CalendarRepository, type ConsultantSchedule } from './calendar.repository';
import {
  type ConsultantRangeDto,
  type DailyViewDto,
  type DailyViewQuery,
  type FreeTimeQuery,
  MAX_RANGE_DAYS,
  type MonthlyViewDto,
  type MonthlyViewQuery,
  type TimeRangeQuery,
  type TimeRangeViewDto,
  type ViewSlotDto,
} from './dto/calendar.dto';

const DAY_MS = 86_400_000;

@Injectable()
export class CalendarService {
  constructor(
    private readonly consultants: ConsultantsService,
    private readonly repository: CalendarRepository,
  ) {}

  /** Each consultant's free time on its own local `date`: one page of consultants, four queries. */
  async daily(date: string, query: DailyViewQuery): Promise<DailyViewDto> {
    const page = await this.consultants.list(query);
    const windows = page.data.map((c) => ({ consultantId: c.id, ...localDatesToInterval(date, date, c.timezone) }));
    const schedules = await this.repository.schedules(windows);
    return {
      date,
      data: page.data.map((consultant, i) => ({
        consultant,
        slots: viewSlots(schedules.get(consultant.id)!, consultant.timezone, windows[i], {}),
      })),
      next_cursor: page.next_cursor,
    };
  }

  /** Every local day of the month with its slots, booked ones marked, per consultant. */
  async monthly(query: MonthlyViewQuery): Promise<MonthlyViewDto> {
    const page = await this.consultantsOf(query);
    const first = `${String(query.year).padStart(4, '0')}-${String(query.month).padStart(2, '0')}-01`;
    const daysInMonth = new Date(Date.UTC(query.year, query.month, 0)).getUTCDate();
    const dates = Array.from(
      { length: daysInMonth },
      (_, i) => `${first.slice(0, 8)}${String(i + 1).padStart(2, '0')}`,
    );
    const windows = page.data.map((c) => ({
      consultantId: c.id,
      ...localDatesToInterval(dates[0], dates[dates.length - 1], c.timezone),
    }));
    const schedules = await this.repository.schedules(windows);
    const data = page.data.map((consultant, i) => {
      const byDate = new Map<string, ViewSlotDto[]>(dates.map((date) => [date, []]));
      // A slot belongs to the local day it starts on; one starting the evening before the month is not listed.
      for (const slot of viewSlots(schedules.get(consultant.id)!, consultant.timezone, windows[i], {
        includeBooked: true,
      }))
        byDate.get(slot.date)?.push(slot);
      return { consultant, days: dates.map((date) => ({ date, slots: byDate.get(date)! })) };
    });
    return { year: query.year, month: query.month, data, next_cursor: page.next_cursor };
  }

  /** Slots in a range of at most 92 days, optionally cut into bookable lengths, per consultant. */
  async timeRange(query: TimeRangeQuery): Promise<TimeRangeViewDto> {
    const page = await this.consultantsOf(query);
    const windows = page.data.map((c) => ({
      consultantId: c.id,
      ...(resolveBounds(query.start, query.end, c.timezone) as Interval),
    }));
    const span = windows[0] ?? resolveBounds(query.start, query.end, 'UTC');
    if (span.end! <= span.start!) throw invalidFields([{ field: 'end', message: 'must be after start' }]);
    if (spanDays(query.start, query.end, span.start!, span.end!) > MAX_RANGE_DAYS)
      throw badRequest(`A range may span at most ${MAX_RANGE_DAYS} days`, [
        { field: 'end', message: `is more than ${MAX_RANGE_DAYS} days after start` },
      ]);
    const schedules = await this.repository.schedules(windows);
    const options = { slotMinutes: query.slot_minutes, includeBooked: query.include_booked === 'true' };
    return {
      data: page.data.map((consultant, i) => ({
        consultant,
        start: isoFromEpochMs(windows[i].start),
        end: isoFromEpochMs(windows[i].end),
        slots: viewSlots(schedules.get(consultant.id)!, consultant.timezone, windows[i], options),
      })),
      next_cursor: page.next_cursor,
    };
  }

  /** One consultant's free time over a range: the time-range view of that consultant alone. */
  async freeTime(query: FreeTimeQuery): Promise<ConsultantRangeDto> {
    const {
      data: [view],
    } = await this.timeRange(query);
    return view;
  }

  /** The one consultant asked for (404 if unknown), or a page of consultants. */
  private async consultantsOf(
    query: { consultant_id?: number } & DailyViewQuery,
  ): Promise<{ data: ConsultantDto[]; next_cursor: string | null }> {
    if (query.consultant_id === undefined) return this.consultants.list(query);
    // A cursor pages over consultants; with one consultant named it could only be a mistake.
    if (query.cursor !== undefined)
      throw invalidFields([{ field: 'cursor', message: 'pages over consultants and does not go with consultant_id' }]);
    return { data: [await this.consultants.get(query.consultant_id)], next_cursor: null };
  }
}

/** Local dates count whole days, both inclusive; otherwise elapsed time, in days. */
function spanDays(from: string, to: string, start: number, end: number): number {
  const isDate = (text: string) => text.length === 10;
  return isDate(from) && isDate(to) ? (Date.parse(to) - Date.parse(from)) / DAY_MS + 1 : (end - start) / DAY_MS;
}

function viewSlots(
  schedule: ConsultantSchedule,
  zone: string,
  range: Interval,
  options: { slotMinutes?: number; includeBooked?: boolean },
): ViewSlotDto[] {
  const occurrences = expandRules(schedule.rules, zone, range);
  return computeFreeTime({
    oneTimeSlots: schedule.slots,
    occurrences,
    bookings: schedule.bookings,
    range,
    ...options,
  }).map((s) => toViewSlot(s, zone));
}

function toViewSlot(s: FreeSlot, zone: string): ViewSlotDto {
  const { date, start_time, end_time, start, end } = timeFields(s.start, s.end, zone);
  // Built whole rather than spread, and one shape for both sources: JSON leaves out the undefined id.
  return {
    source: s.source,
    availability_id: s.availabilityId,
    recurring_id: s.recurringId,
    date,
    start_time,
    end_time,
    start,
    end,
    is_booked: s.isBooked,
  };
}
