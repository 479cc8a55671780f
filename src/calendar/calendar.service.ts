import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LRUCache } from 'lru-cache';
import { Metrics } from '../operations/metrics';
import { encodeCursor } from '../common/http/pagination';
import { badRequest, DomainError, invalidFields } from '../common/errors';
import { timeFields } from '../common/http/time-fields';
import type { AppConfig } from '../config/configuration';
import { consultantPageKey, ConsultantsService, type VersionedConsultants } from '../consultants/consultants.service';
import type { ConsultantDto } from '../consultants/dto/consultant.dto';
import { type FreeSlot, type Interval, isoFromEpochMs, localDatesToInterval, poolSlots } from '../scheduling';
import { resolveBounds } from '../scheduling/query-range';
import { CalendarRepository, type Window } from './calendar.repository';
import { type FreeSlotOptions, freeSlots, movesWithTheClock } from './free-slots';
import {
  type ConsultantRangeDto,
  type DailyViewDto,
  type DailyViewQuery,
  type FreeTimeQuery,
  MAX_RANGE_DAYS,
  type MonthlyViewDto,
  type MonthlyViewQuery,
  MAX_POOLED_DAYS,
  type PooledViewDto,
  type PooledViewQuery,
  type TimeRangeQuery,
  type TimeRangeViewDto,
  type ViewSlotDto,
} from './dto/calendar.dto';

const DAY_MS = 86_400_000;
/** The pooled view's cut when slot_minutes is left out. */
const DEFAULT_POOLED_SLOT_MINUTES = 30;

/** A consultant's view slots by its place in the page, or null when there would be more than `max`. */
type SlotsOf = (consultant: ConsultantDto, index: number, max: number) => ViewSlotDto[] | null;

/** One consultant's view slots over one range, as computed at a calendar version. */
type KeptView = { version: number; slots: ViewSlotDto[] };

@Injectable()
export class CalendarService {
  private readonly maxSlots: number;
  /**
   * Views computed earlier, by consultant, range and options. An entry serves while the
   * consultant's calendar_version, read with the page of consultants every view starts with, is
   * still the one it was computed at: every change a view shows bumps it in the change's own
   * transaction, on any instance. Bounded by slots, a few hundred bytes each (a month of one
   * consultant can be hundreds), so that the cache stays a small part of `npm start`'s heap; the
   * least recently used go first.
   */
  private readonly kept = new LRUCache<string, KeptView>({
    maxSize: 50_000,
    sizeCalculation: (view) => view.slots.length + 1,
  });

  constructor(
    private readonly consultants: ConsultantsService,
    private readonly repository: CalendarRepository,
    config: ConfigService<AppConfig, true>,
    private readonly metrics: Metrics,
  ) {
    this.maxSlots = config.get('MAX_SLOTS_PER_RESPONSE', { infer: true });
  }

  /** Each consultant's free time on its own local `date`: the page of consultants, then the schedules of those whose calendar changed. */
  async daily(date: string, query: DailyViewQuery): Promise<DailyViewDto> {
    const page = await this.consultants.listVersioned(query);
    const windows = page.data.map((c) => ({ consultantId: c.id, ...localDatesToInterval(date, date, c.timezone) }));
    const fitted = this.fit(
      page,
      await this.viewSlots(page, windows, {}),
      'ask /availabilities/timerange/ for part of the day, with instants as start and end',
    );
    return { date, data: fitted.data, next_cursor: fitted.next_cursor };
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
    const fitted = this.fit(
      page,
      await this.viewSlots(page, windows, { includeBooked: true }),
      'ask /availabilities/timerange/ for part of the month',
    );
    const data = fitted.data.map(({ consultant, slots }) => {
      const byDate = new Map<string, ViewSlotDto[]>(dates.map((date) => [date, []]));
      // A slot belongs to the local day it starts on; one starting the evening before the month is not listed.
      for (const slot of slots) byDate.get(slot.date)?.push(slot);
      return { consultant, days: dates.map((date) => ({ date, slots: byDate.get(date)! })) };
    });
    return { year: query.year, month: query.month, data, next_cursor: fitted.next_cursor };
  }

  /** Slots in a range of at most 92 days, optionally cut into bookable lengths, per consultant. */
  async timeRange(query: TimeRangeQuery): Promise<TimeRangeViewDto> {
    const span = resolveBounds(query.start, query.end, 'UTC') as Interval;
    if (span.end <= span.start) throw invalidFields([{ field: 'end', message: 'must be after start' }]);
    if (spanDays(query.start, query.end, span.start, span.end) > MAX_RANGE_DAYS)
      throw badRequest(`A range may span at most ${MAX_RANGE_DAYS} days`, [
        { field: 'end', message: `is more than ${MAX_RANGE_DAYS} days after start` },
      ]);
    const page = await this.consultantsOf(query);
    // A date bound is the consultant's own local day, so a range of one instant and one date can
    // end before it starts in some zones only: there it holds no time, and the consultant no slot.
    const windows = page.data.map((c) => {
      const { start, end } = resolveBounds(query.start, query.end, c.timezone) as Interval;
      return { consultantId: c.id, start, end: Math.max(start, end) };
    });
    const options = { slotMinutes: query.slot_minutes, includeBooked: query.include_booked === 'true' };
    const fitted = this.fit(
      page,
      await this.viewSlots(page, windows, options),
      'ask for a shorter range between start and end, or a larger slot_minutes',
    );
    return {
      data: fitted.data.map(({ consultant, slots }, i) => ({
        consultant,
        start: isoFromEpochMs(windows[i].start),
        end: isoFromEpochMs(windows[i].end),
        slots,
      })),
      next_cursor: fitted.next_cursor,
    };
  }

  /** One consultant's free time over a range: the time-range view of that consultant alone. */
  async freeTime(query: FreeTimeQuery): Promise<ConsultantRangeDto> {
    const {
      data: [view],
    } = await this.timeRange(query);
    return view;
  }

  /**
   * GET /availabilities/pooled: the time in which at least one consultant of the pool is free,
   * as the union of their time-range views over the range (cut into `slot_minutes`, default 30),
   * each slot with how many of them list it. Dates and times are in the client's `timezone`.
   * Each consultant's view is bounded as a view of its own is, and so is the union.
   */
  async pooled(query: PooledViewQuery): Promise<PooledViewDto> {
    const zone = query.timezone ?? 'UTC';
    const range = resolveBounds(query.start, query.end, zone) as Interval;
    if (range.end <= range.start) throw invalidFields([{ field: 'end', message: 'must be after start' }]);
    if (spanDays(query.start, query.end, range.start, range.end) > MAX_POOLED_DAYS)
      throw badRequest(`A pooled range may span at most ${MAX_POOLED_DAYS} days`, [
        { field: 'end', message: `is more than ${MAX_POOLED_DAYS} days after start` },
      ]);
    const pool = await this.consultants.pool(query.specialization);
    const windows = pool.data.map((c) => ({ consultantId: c.id, ...range }));
    const slotsOf = await this.viewSlots(pool, windows, {
      slotMinutes: query.slot_minutes ?? DEFAULT_POOLED_SLOT_MINUTES,
    });
    const tooLarge = () =>
      new DomainError(
        'response-too-large',
        `This pooled view would list more than ${this.maxSlots} slots; one answer lists at most ${this.maxSlots}: ask for a shorter range between start and end, or a larger slot_minutes.`,
        { max_slots: this.maxSlots },
      );
    const views = pool.data.map((consultant, i) => {
      const slots = slotsOf(consultant, i, this.maxSlots);
      if (slots === null) throw tooLarge();
      return slots.map((s) => ({ start: Date.parse(s.start), end: Date.parse(s.end) }));
    });
    const pooled = poolSlots(views);
    if (pooled.length > this.maxSlots) throw tooLarge();
    return {
      specialization: query.specialization,
      timezone: zone,
      start: isoFromEpochMs(range.start),
      end: isoFromEpochMs(range.end),
      consultants: pool.data.length,
      slots: pooled.map((s) => ({ ...timeFields(s.start, s.end, zone), free_consultants: s.free })),
    };
  }

  /**
   * Each consultant's view slots over its window, as a function of its place in the page: kept
   * from an earlier request while the consultant's calendar version holds, else computed from
   * its schedule, which one statement reads for every consultant not kept. Free time that moves
   * with the clock (under a policy's notice or horizon, or beside a hold that expires) is not
   * kept.
   */
  private async viewSlots(page: VersionedConsultants, windows: Window[], options: FreeSlotOptions): Promise<SlotsOf> {
    const keys = windows.map(
      (w) => `${w.consultantId} ${w.start} ${w.end} ${options.slotMinutes} ${options.includeBooked}`,
    );
    // Looked up once, before the read: another request may replace or evict an entry meanwhile.
    const kept = keys.map((key, i) => {
      const entry = this.kept.get(key);
      return entry?.version === page.versions[i] ? entry.slots : undefined;
    });
    const hits = kept.filter((slots) => slots !== undefined).length;
    this.metrics.keptViews.inc({ result: 'hit' }, hits);
    this.metrics.keptViews.inc({ result: 'miss' }, kept.length - hits);
    const schedules = await this.repository.schedules(windows.filter((_, i) => kept[i] === undefined));
    return (consultant, i, max) => {
      if (kept[i]) return kept[i].length > max ? null : kept[i];
      const schedule = schedules.get(consultant.id)!;
      const free = freeSlots(schedule, consultant.timezone, windows[i], options, max);
      if (free === null) return null;
      const slots = free.map((s) => toViewSlot(s, consultant.timezone));
      if (movesWithTheClock(schedule)) this.kept.delete(keys[i]);
      else this.kept.set(keys[i], { version: page.versions[i], slots });
      return slots;
    };
  }

  /**
   * Keeps one answer within MAX_SLOTS_PER_RESPONSE slots, counted before any is cut, sorted or
   * formatted (computeFreeTimeWithin), and given up once the ceiling is passed: a page of consultants ends
   * before the first consultant that would pass it (its next_cursor resumes there), and a first
   * consultant that passes it alone is a 400 that says how to ask for less (`narrow`). The
   * consultants after the cut are not computed at all.
   */
  private fit(
    page: VersionedConsultants,
    slotsOf: SlotsOf,
    narrow: string,
  ): { data: { consultant: ConsultantDto; slots: ViewSlotDto[] }[]; next_cursor: string | null } {
    const data: { consultant: ConsultantDto; slots: ViewSlotDto[] }[] = [];
    let total = 0;
    for (const [i, consultant] of page.data.entries()) {
      const slots = slotsOf(consultant, i, this.maxSlots - total);
      if (slots === null) {
        if (i > 0) return { data, next_cursor: encodeCursor(consultantPageKey(page.data[i - 1])) };
        throw new DomainError(
          'response-too-large',
          `This view would list more than ${this.maxSlots} slots for consultant ${consultant.id}; one answer lists at most ${this.maxSlots}: ${narrow}.`,
          { max_slots: this.maxSlots },
        );
      }
      total += slots.length;
      data.push({ consultant, slots });
    }
    return { data, next_cursor: page.next_cursor };
  }

  /** The one consultant asked for (404 if unknown), or a page of consultants. */
  private async consultantsOf(query: { consultant_id?: number } & DailyViewQuery): Promise<VersionedConsultants> {
    if (query.consultant_id === undefined) return this.consultants.listVersioned(query);
    // A cursor pages over consultants; with one consultant named it could only be a mistake.
    if (query.cursor !== undefined)
      throw invalidFields([{ field: 'cursor', message: 'pages over consultants and does not go with consultant_id' }]);
    return this.consultants.getVersioned(query.consultant_id);
  }
}

/** Local dates count whole days, both inclusive; otherwise elapsed time, in days. */
function spanDays(from: string, to: string, start: number, end: number): number {
  const isDate = (text: string) => text.length === 10;
  return isDate(from) && isDate(to) ? (Date.parse(to) - Date.parse(from)) / DAY_MS + 1 : (end - start) / DAY_MS;
}

function toViewSlot(s: FreeSlot, zone: string): ViewSlotDto {
  const { date, start_time, end_time, start, end } = timeFields(s.start, s.end, zone);
  // Built whole rather than spread, and one shape for both sources: JSON leaves out the undefined id.
  return {
    source: s.source,
    availability_id: s.availabilityId,
    recurring_id: s.recurringId,
    override_id: s.overrideId,
    date,
    start_time,
    end_time,
    start,
    end,
    is_booked: s.isBooked,
    is_held: s.isHeld === true,
  };
}
