import { TimeFieldsDto } from '../../common/http/time-fields.dto';
import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../common/http/pagination';
import { IsDateOrInstant, IsId, IsLocalDate, IsLocalTime, QueryId } from '../../common/validation/decorators';

export class CreateAvailabilityDto {
  /** The consultant's local date the slot starts on. */
  @IsLocalDate()
  date: string;

  @IsLocalTime({ example: '09:00:00' })
  start_time: string;

  /** Earlier than start_time: the slot ends on the next day (23:00 → 01:00). */
  @IsLocalTime({ example: '10:00:00' })
  end_time: string;
}

export class ListAvailabilityQuery extends PageQuery {
  /** Slots ending after this (a local date means that day's start). */
  @IsOptional()
  @IsDateOrInstant()
  from?: string;

  /** Slots starting before this (a local date is inclusive). */
  @IsOptional()
  @IsDateOrInstant({ example: '2030-12-31' })
  to?: string;

  /** Only booked (true) or only free (false) slots. */
  @ApiProperty({ required: false, enum: ['true', 'false'] })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'must be true or false' })
  is_booked?: 'true' | 'false';
}

/**
 * The seed's `DELETE /consultant/{id}/availability/` names the slot in the body or the query:
 * this is the query's `?id=`, text that must read as an id.
 */
export class SlotIdDto {
  /** The slot to delete (or in the body). @example 1 */
  @IsOptional()
  @QueryId()
  id?: number;
}

/** The seed's slot id in a JSON body: a number, as every body id (`{"id": "1"}` is refused). */
export class SlotIdBodyDto {
  /** The slot to delete (or as ?id=). @example 1 */
  @IsOptional()
  @IsId()
  id?: number;
}

export class AvailabilityDto extends TimeFieldsDto {
  /** The slot's id. @example 1 */
  id: number;
  /** Whose slot it is. @example 1 */
  consultant_id: number;
  /** Whether a confirmed booking holds the slot. @example false */
  is_booked: boolean;
}

export class AvailabilityPageDto {
  /** This page of slots, by start. */
  data: AvailabilityDto[];
  /** Pass as `cursor` for the next page; null on the last page. @example "eyJpZCI6MjB9" */
  next_cursor: string | null;
}
