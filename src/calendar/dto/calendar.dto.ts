import { TimeFieldsDto } from '../../common/http/time-fields.dto';
import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { PageQuery } from '../../common/http/pagination';
import { IsDateOrInstant, IsTimeZone, QueryId, QueryInt } from '../../common/validation/decorators';
import { ConsultantDto, IsPoolSpecialization } from '../../consultants/dto/consultant.dto';

/** The longest range one request may ask for. */
export const MAX_RANGE_DAYS = 92;
/** The longest range of a pooled view, which computes a view for each consultant of the pool. */
export const MAX_POOLED_DAYS = 31;

export class DailyViewQuery extends PageQuery {
  /** Only consultants of this specialization, compared trimmed and case-insensitively. @example "cardiology" */
  @IsOptional()
  @IsString()
  @Matches(/^[^\p{Cc}]{1,100}$/u, { message: 'must be 1 to 100 characters' })
  specialization?: string;
}

/**
 * Monthly and time-range views: one consultant with `consultant_id`, else a page of consultants.
 * Exported so the Swagger plugin documents it in every build mode (its metadata generator skips
 * classes a file does not export).
 */
export class ConsultantsViewQuery extends DailyViewQuery {
  /** Just this consultant; without it, a page of consultants (`limit`, `cursor`, `specialization`). @example 1 */
  @IsOptional()
  @QueryId()
  consultant_id?: number;
}

export class MonthlyViewQuery extends ConsultantsViewQuery {
  /** The year, 1971 to 9998. @example 2030 */
  @QueryInt(1971, 9998)
  year: number;

  /** 1 to 12. @example 12 */
  @QueryInt(1, 12)
  month: number;
}

export class TimeRangeQuery extends ConsultantsViewQuery {
  /** A local date (inclusive, in each consultant's zone) or an ISO instant. */
  @IsDateOrInstant({ example: '2030-12-01' })
  start: string;

  /** A local date (inclusive) or an ISO instant; at most 92 days after start. */
  @IsDateOrInstant({ example: '2030-12-31' })
  end: string;

  /** Cut free weekly-window time into bookable slots of this many minutes (5 to 1440). @example 30 */
  @IsOptional()
  @QueryInt(5, 1440)
  slot_minutes?: number;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Also list booked time, marked is_booked' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'must be true or false' })
  include_booked?: 'true' | 'false';
}

/** availability.free: one consultant's free time, as the time-range view finds it. */
export class FreeTimeQuery extends PickType(TimeRangeQuery, ['start', 'end', 'slot_minutes'] as const) {
  /** @example 1 */
  @QueryId()
  consultant_id: number;
}

/** GET /availabilities/pooled and availability.pooled: a pool's free time. */
export class PooledViewQuery {
  @IsPoolSpecialization()
  specialization: string;

  @IsDateOrInstant({ example: '2030-12-03', description: 'A local date (inclusive, in timezone) or an ISO instant' })
  start: string;

  @IsDateOrInstant({
    example: '2030-12-03',
    description: 'A local date (inclusive, in timezone) or an ISO instant; at most 31 days after start',
  })
  end: string;

  /** Cut each consultant's free window time into slots of this many minutes (5 to 1440), on its window's grid. Default 30. @example 30 */
  @IsOptional()
  @QueryInt(5, 1440)
  slot_minutes?: number;

  @IsOptional()
  @IsTimeZone({
    required: false,
    description:
      "The client's IANA zone: local dates in start and end, and each slot's date and times, are in it. Default UTC",
  })
  timezone?: string;
}

export class PooledSlotDto extends TimeFieldsDto {
  /** How many of the pool's consultants are free for the whole slot; never who. @example 3 */
  free_consultants: number;
}

export class PooledViewDto {
  /** As asked. @example "cardiology" */
  specialization: string;
  /** The zone of every slot's date and times. @example "Europe/Berlin" */
  timezone: string;
  /** The range in UTC. @example "2030-12-02T23:00:00.000Z" */
  start: string;
  /** The range's end in UTC. @example "2030-12-03T23:00:00.000Z" */
  end: string;
  /** How many consultants are in the pool (pool_weight above 0). @example 5 */
  consultants: number;
  /** Slot by slot, by start: each interval at least one of them is free for, cut into slot_minutes. */
  slots: PooledSlotDto[];
}

export class ViewSlotDto extends TimeFieldsDto {
  /** What offers the slot: a one-time slot, a weekly window, or a date override. */
  @ApiProperty({ enum: ['one_time', 'recurring', 'override'], example: 'recurring' })
  source: 'one_time' | 'recurring' | 'override';
  /** With source one_time. @example 1 */
  availability_id?: number;
  /** With source recurring. @example 1 */
  recurring_id?: number;
  /** With source override: the date override whose window this is. @example 1 */
  override_id?: number;
  /** Booked or held (with include_booked), or blocked by a booking's buffer. @example false */
  is_booked: boolean;
  /** Blocked by a live hold alone, whoever holds it; always with is_booked. @example false */
  is_held: boolean;
}

export class ConsultantDayDto {
  /** The consultant. */
  consultant: ConsultantDto;
  /** Its slots that day, by start. */
  slots: ViewSlotDto[];
}

export class DailyViewDto {
  /** The local date asked for. @example "2030-12-02" */
  date: string;
  /** This page of consultants, each with its slots. */
  data: ConsultantDayDto[];
  /** Pass as `cursor` for the next page of consultants; null on the last page. @example "eyJpZCI6MjB9" */
  next_cursor: string | null;
}

export class MonthDayDto {
  /** A local date of the month. @example "2030-12-02" */
  date: string;
  /** Its slots, by start. */
  slots: ViewSlotDto[];
}

export class ConsultantMonthDto {
  /** The consultant. */
  consultant: ConsultantDto;
  /** Every local day of the month in the consultant's zone. */
  days: MonthDayDto[];
}

export class MonthlyViewDto {
  /** The year asked for. @example 2030 */
  year: number;
  /** The month asked for, 1 to 12. @example 12 */
  month: number;
  /** The consultant asked for (or this page of consultants), each with its days. */
  data: ConsultantMonthDto[];
  /** Pass as `cursor` for the next page of consultants; null on the last page (always null with consultant_id). @example "eyJpZCI6MjB9" */
  next_cursor: string | null;
}

export class ConsultantRangeDto {
  /** The consultant. */
  consultant: ConsultantDto;
  /** The range in UTC: local dates resolve in this consultant's zone. @example "2030-11-30T23:00:00.000Z" */
  start: string;
  /** The range's end in UTC. @example "2030-12-31T23:00:00.000Z" */
  end: string;
  /** Its slots in the range, by start. */
  slots: ViewSlotDto[];
}

export class TimeRangeViewDto {
  /** The consultant asked for (or this page of consultants), each with its slots. */
  data: ConsultantRangeDto[];
  /** Pass as `cursor` for the next page of consultants; null on the last page (always null with consultant_id). @example "eyJpZCI6MjB9" */
  next_cursor: string | null;
}
