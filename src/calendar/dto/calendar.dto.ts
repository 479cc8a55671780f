import { TimeFieldsDto } from '../../common/http/time-fields.dto';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { PageQuery } from '../../common/http/pagination';
import { IsDateOrInstant, QueryInt } from '../../common/validation/decorators';
import { ConsultantDto } from '../../consultants/dto/consultant.dto';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value);

/** The longest range one request may ask for. */
export const MAX_RANGE_DAYS = 92;

export class DailyViewQuery extends PageQuery {
  /** Only consultants with exactly this specialization. @example "cardiology" */
  @IsOptional() @IsString() @Matches(/^[^\p{Cc}]{1,100}$/u, { message: 'must be 1 to 100 characters' })
  specialization?: string;
}

export class MonthlyViewQuery {
  /** @example 2030 */
  @QueryInt(1971, 9998)
  year: number;

  /** 1 to 12. @example 12 */
  @QueryInt(1, 12)
  month: number;

  /** @example 1 */
  @Transform(toInt) @IsInt() @Min(1) @Max(2_147_483_647)
  consultant_id: number;
}

export class TimeRangeQuery {
  /** A local date (inclusive, in the consultant's zone) or an ISO instant. */
  @IsDateOrInstant({ example: '2030-12-01' })
  start: string;

  /** A local date (inclusive) or an ISO instant; at most 92 days after start. */
  @IsDateOrInstant({ example: '2030-12-31' })
  end: string;

  /** @example 1 */
  @Transform(toInt) @IsInt() @Min(1) @Max(2_147_483_647)
  consultant_id: number;

  /** Cut free weekly-window time into bookable slots of this many minutes (5 to 1440). @example 30 */
  @IsOptional() @QueryInt(5, 1440)
  slot_minutes?: number;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Also list booked time, marked is_booked' })
  @IsOptional() @IsIn(['true', 'false'], { message: 'must be true or false' })
  include_booked?: 'true' | 'false';
}

export class ViewSlotDto extends TimeFieldsDto {
  @ApiProperty({ enum: ['one_time', 'recurring'], example: 'recurring' })
  source: 'one_time' | 'recurring';
  /** With source one_time. @example 1 */
  availability_id?: number;
  /** With source recurring. @example 1 */
  recurring_id?: number;
  /** @example false */
  is_booked: boolean;
}

export class ConsultantDayDto {
  consultant: ConsultantDto;
  slots: ViewSlotDto[];
}

export class DailyViewDto {
  /** @example "2030-12-02" */
  date: string;
  data: ConsultantDayDto[];
  /** Pass as `cursor` for the next page of consultants; null on the last page. */
  next_cursor: string | null;
}

export class MonthDayDto {
  /** @example "2030-12-02" */
  date: string;
  slots: ViewSlotDto[];
}

export class MonthlyViewDto {
  /** @example 1 */
  consultant_id: number;
  /** @example "Europe/Berlin" */
  timezone: string;
  /** @example 2030 */
  year: number;
  /** @example 12 */
  month: number;
  days: MonthDayDto[];
}

export class TimeRangeViewDto {
  /** @example 1 */
  consultant_id: number;
  /** @example "Europe/Berlin" */
  timezone: string;
  /** @example "2030-11-30T23:00:00.000Z" */
  start: string;
  /** @example "2030-12-31T23:00:00.000Z" */
  end: string;
  slots: ViewSlotDto[];
}
