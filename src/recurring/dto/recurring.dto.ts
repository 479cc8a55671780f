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

  /** The window's local start. */
  @IsLocalTime({ example: '09:00' })
  start_time: string;

  /** Earlier than start_time: the window ends on the next day. */
  @IsLocalTime({ example: '17:00' })
  end_time: string;
}

export class CreateRecurringDto extends WeeklyWindowDto {
  /** An inactive window offers no time; default true. @example true */
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
  @ApiPropertyOptional({
    minimum: 0,
    maximum: 6,
    example: 2,
    description: 'The new day, 0 = Monday … 6 = Sunday; or give `day`',
  })
  @Omittable()
  @Max(6)
  @Min(0)
  @IsInt()
  day_of_week?: number;

  @ApiPropertyOptional({
    enum: DAY_NAMES,
    example: 'Wed',
    description: 'The new day, Mon … Sun; or give `day_of_week`',
  })
  @Omittable()
  @IsIn(DAY_NAMES, { message: `must be one of ${DAY_NAMES.join(', ')}` })
  day?: DayName;

  /** The new local start. */
  @Omittable()
  @IsLocalTime({ required: false, example: '10:00' })
  start_time?: string;

  /** The new local end; earlier than start_time crosses midnight. */
  @Omittable()
  @IsLocalTime({ required: false, example: '12:00' })
  end_time?: string;

  /** false stops offering the window; bookings made stay. @example false */
  @Omittable()
  @IsBoolean()
  is_active?: boolean;

  /** First local date an occurrence may start on; null: no bound. */
  @IsOptional()
  @IsLocalDate({ required: false, nullable: true })
  valid_from?: string | null;

  /** Last local date an occurrence may start on; null: no bound. */
  @IsOptional()
  @IsLocalDate({ required: false, nullable: true })
  valid_until?: string | null;
}

/** The seed 004 payload: `{"availability": [{"day": "Mon", "start_time": "09:00", "end_time": "17:00"}, …]}`. */
export class WeeklyScheduleDto {
  /** Every weekly window of the new schedule. */
  @ApiProperty({ type: [WeeklyWindowDto], maxItems: MAX_WEEKLY_ENTRIES })
  @ArrayMaxSize(MAX_WEEKLY_ENTRIES)
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => WeeklyWindowDto)
  availability: WeeklyWindowDto[];
}

export class RecurringDto {
  /** The window's id. @example 1 */
  id: number;
  /** Whose window it is. @example 1 */
  consultant_id: number;
  /** 0 = Monday … 6 = Sunday. @example 0 */
  day_of_week: number;
  @ApiProperty({ enum: DAY_NAMES, example: 'Mon', description: 'The day of the week, as a name' })
  day: DayName;
  /** Local wall-clock start. @example "09:00:00" */
  start_time: string;
  /** Local wall-clock end; earlier than start_time crosses midnight. @example "17:00:00" */
  end_time: string;
  /** Whether the window offers time. @example true */
  is_active: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'First local date an occurrence may start on; null: no bound.',
  })
  valid_from: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'Last local date an occurrence may start on; null: no bound.',
  })
  valid_until: string | null;
}

export class RecurringPageDto {
  /** This page of windows, by day and start. */
  data: RecurringDto[];
  /** Pass as `cursor` for the next page; null on the last page. @example "eyJpZCI6MjB9" */
  next_cursor: string | null;
}

export class ListRecurringQuery extends PageQuery {}
