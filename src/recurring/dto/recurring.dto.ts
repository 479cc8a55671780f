import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { PageQuery } from '../../common/http/pagination';
import { IsLocalDate, IsLocalTime, Omittable } from '../../common/validation/decorators';
import { DAY_NAMES, type DayName } from '../../scheduling';

/** More windows than anyone's week holds; a bigger body is refused before any work. */
export const MAX_WEEKLY_ENTRIES = 100;

/** A weekly window: the day as `day_of_week` (0 = Monday) or `day` (`Mon`…`Sun`). */
export class WeeklyWindowDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 6, example: 0, description: '0 = Monday … 6 = Sunday; or give `day`' })
  @ValidateIf((o: WeeklyWindowDto) => o.day === undefined || o.day_of_week !== undefined)
  @Max(6)
  @Min(0)
  @IsInt()
  day_of_week?: number;

  @ApiPropertyOptional({ enum: DAY_NAMES, example: 'Mon', description: 'Mon … Sun; or give `day_of_week`' })
  @ValidateIf((o: WeeklyWindowDto) => o.day_of_week === undefined || o.day !== undefined)
  @IsIn(DAY_NAMES, { message: `must be one of ${DAY_NAMES.join(', ')}` })
  day?: DayName;

  @IsLocalTime({ example: '09:00' })
  start_time: string;

  /** Earlier than start_time: the window ends on the next day. */
  @IsLocalTime({ example: '17:00' })
  end_time: string;
}

export class CreateRecurringDto extends WeeklyWindowDto {
  /** @example true */
  @IsOptional()
  @IsBoolean()
  is_active?: boolean;

  /** First local date an occurrence may start on (inclusive). */
  @IsOptional()
  @IsLocalDate({ example: '2030-01-01' })
  valid_from?: string | null;

  /** Last local date an occurrence may start on (inclusive). */
  @IsOptional()
  @IsLocalDate({ example: '2030-12-31' })
  valid_until?: string | null;
}

/** Any subset of a rule's fields; `null` clears valid_from or valid_until. */
export class UpdateRecurringDto {
  // Only valid_from and valid_until may be null; a null elsewhere is a 400, not a cleared column.
  @ApiPropertyOptional({ minimum: 0, maximum: 6, example: 2 })
  @Omittable()
  @Max(6)
  @Min(0)
  @IsInt()
  day_of_week?: number;

  @ApiPropertyOptional({ enum: DAY_NAMES, example: 'Wed' })
  @Omittable()
  @IsIn(DAY_NAMES, { message: `must be one of ${DAY_NAMES.join(', ')}` })
  day?: DayName;

  @Omittable()
  @IsLocalTime({ required: false, example: '10:00' })
  start_time?: string;

  @Omittable()
  @IsLocalTime({ required: false, example: '12:00' })
  end_time?: string;

  /** @example false */
  @Omittable()
  @IsBoolean()
  is_active?: boolean;

  @IsOptional()
  @IsLocalDate({ required: false, nullable: true })
  valid_from?: string | null;

  @IsOptional()
  @IsLocalDate({ required: false, nullable: true })
  valid_until?: string | null;
}

/** The seed 004 payload: `{"availability": [{"day": "Mon", "start_time": "09:00", "end_time": "17:00"}, …]}`. */
export class WeeklyScheduleDto {
  @ApiProperty({ type: [WeeklyWindowDto], maxItems: MAX_WEEKLY_ENTRIES })
  @ArrayMaxSize(MAX_WEEKLY_ENTRIES)
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => WeeklyWindowDto)
  availability: WeeklyWindowDto[];
}

export class RecurringDto {
  /** @example 1 */
  id: number;
  /** @example 1 */
  consultant_id: number;
  /** 0 = Monday … 6 = Sunday. @example 0 */
  day_of_week: number;
  @ApiProperty({ enum: DAY_NAMES, example: 'Mon' })
  day: DayName;
  /** @example "09:00:00" */
  start_time: string;
  /** @example "17:00:00" */
  end_time: string;
  /** @example true */
  is_active: boolean;
  /** @example null */
  valid_from: string | null;
  /** @example null */
  valid_until: string | null;
}

export class RecurringPageDto {
  data: RecurringDto[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

export class ListRecurringQuery extends PageQuery {}
