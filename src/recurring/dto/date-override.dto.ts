import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsOptional, ValidateNested } from 'class-validator';
import { PageQuery } from '../../common/http/pagination';
import { IsLocalDate, IsLocalTime, Omittable } from '../../common/validation/decorators';

/** More windows than one day holds; a bigger body is refused before any work. */
export const MAX_OVERRIDE_WINDOWS = 20;

export class OverrideWindowDto {
  /** The window's local start. */
  @IsLocalTime({ example: '10:00' })
  start_time: string;

  /** Earlier than start_time: the window ends on the next day. */
  @IsLocalTime({ example: '14:00' })
  end_time: string;
}

/** Exactly one of `unavailable: true` and a non-empty `windows`. */
export class CreateDateOverrideDto {
  /** The consultant's local date the override replaces. */
  @IsLocalDate({ example: '2030-12-24' })
  date: string;

  /** true: the consultant is not available at all that date. @example true */
  @Omittable()
  @IsBoolean()
  unavailable?: boolean;

  @ApiPropertyOptional({
    type: [OverrideWindowDto],
    maxItems: MAX_OVERRIDE_WINDOWS,
    description: "Replace the date's weekly windows with these (they may not overlap one another)",
    example: [{ start_time: '10:00', end_time: '14:00' }],
  })
  @Omittable()
  @ArrayMaxSize(MAX_OVERRIDE_WINDOWS)
  @ArrayMinSize(1)
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => OverrideWindowDto)
  windows?: OverrideWindowDto[];
}

export class ListDateOverridesQuery extends PageQuery {
  /** Overrides on or after this local date. */
  @IsOptional()
  @IsLocalDate({ required: false, example: '2030-12-01' })
  from?: string;

  /** Overrides on or before this local date. */
  @IsOptional()
  @IsLocalDate({ required: false, example: '2030-12-31' })
  to?: string;
}

export class OverrideWindowView {
  /** Local wall-clock start. @example "10:00:00" */
  start_time: string;
  /** Local wall-clock end; earlier than start_time crosses midnight. @example "14:00:00" */
  end_time: string;
}

export class DateOverrideDto {
  /** The override's id. @example 1 */
  id: number;
  /** Whose override it is. @example 1 */
  consultant_id: number;
  /** The local date whose weekly windows it replaces. @example "2030-12-24" */
  date: string;
  /** true: no window time at all that date. @example false */
  unavailable: boolean;
  /** The windows that replace the weekly ones that date; empty when unavailable. */
  @ApiProperty({ type: [OverrideWindowView], example: [{ start_time: '10:00:00', end_time: '14:00:00' }] })
  windows: OverrideWindowView[];
}

export class DateOverridePageDto {
  /** This page of overrides, by date. */
  data: DateOverrideDto[];
  /** Pass as `cursor` for the next page; null on the last page. @example "eyJpZCI6MjB9" */
  next_cursor: string | null;
}
