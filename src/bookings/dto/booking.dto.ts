import { TimeFieldsDto } from '../../common/http/time-fields.dto';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { PageQuery } from '../../common/http/pagination';
import {
  IsDateOrInstant,
  IsId,
  IsInstant,
  IsLocalDate,
  IsLocalTime,
  Omittable,
  QueryId,
} from '../../common/validation/decorators';
import type { ProblemCode } from '../../common/errors';
import { ApiShapes, type BodyShape } from '../../common/http/api-shapes.decorator';
import { IsPoolSpecialization } from '../../consultants/dto/consultant.dto';
import { IDEMPOTENCY_KEY } from '../idempotency-key.decorator';

/** What a booking, hold or reschedule may be refused with for its time (the booking engine's refusals). */
export const TIME_REFUSALS = [
  'validation-error',
  'not-found',
  'time-taken',
  'conflict',
  'in-the-past',
  'outside-availability',
  'too-soon',
  'beyond-horizon',
  'off-grid',
  'daily-limit',
  'too-long',
  'client-share',
] as const satisfies ProblemCode[];

/**
 * The target shapes of a booking, hold or reschedule body: a slot, UTC instants, or local time.
 * `consultant` says whether the consultant is named in the body (required for a time), taken
 * from the path or the booking (none), and `also` lists the body's other optional fields.
 */
const bookingTargets = (consultant: 'body' | 'none', also: string[]): BodyShape[] => {
  const byTime = consultant === 'body' ? { required: ['consultant_id'], example: { consultant_id: 1 } } : undefined;
  return [
    {
      title: 'A one-time slot',
      description: 'Takes the whole one-time slot `availability_id`',
      required: ['availability_id'],
      optional: [...(consultant === 'body' ? ['consultant_id'] : []), ...also],
      example: { availability_id: 1 },
    },
    {
      title: 'UTC instants',
      description: 'From `start` to `end`, inside a one-time slot or one occurrence of a weekly window',
      required: [...(byTime?.required ?? []), 'start', 'end'],
      optional: also,
      example: { ...byTime?.example, start: '2030-12-25T09:00:00Z', end: '2030-12-25T09:30:00Z' },
    },
    {
      title: "The consultant's local time",
      description: "The consultant's local `date`, from `start_time` to `end_time` (crossing midnight when earlier)",
      required: [...(byTime?.required ?? []), 'date', 'start_time', 'end_time'],
      optional: also,
      example: { ...byTime?.example, date: '2030-12-25', start_time: '10:00', end_time: '10:30' },
    },
    ...(consultant === 'body'
      ? [
          {
            title: 'Any consultant of a specialization',
            description:
              'From `start` to `end` with whichever consultant of the `specialization` pool the service assigns, fairly; the answer names it',
            required: ['specialization', 'start', 'end'],
            optional: also,
            example: { specialization: 'cardiology', start: '2030-12-25T09:00:00Z', end: '2030-12-25T09:30:00Z' },
          },
        ]
      : []),
  ];
};

/**
 * Where to book, in exactly one of three forms: a one-time slot by id; UTC instants `start`
 * and `end`; or the consultant's local `date`, `start_time` and `end_time`.
 */
export class BookingTargetDto {
  /** Book this one-time slot, whole. @example 1 */
  @Omittable()
  @IsId({ required: false })
  availability_id?: number;

  @Omittable()
  @IsInstant({ required: false, example: '2030-12-25T09:00:00Z', description: 'Start, with its offset (Z for UTC)' })
  start?: string;

  @Omittable()
  @IsInstant({ required: false, example: '2030-12-25T09:30:00Z', description: 'End, with its offset; after start' })
  end?: string;

  @Omittable()
  @IsLocalDate({ required: false, description: "The consultant's local date the booking starts on" })
  date?: string;

  /** The consultant's local start time. */
  @Omittable()
  @IsLocalTime({ required: false, example: '10:00' })
  start_time?: string;

  /** The consultant's local end time; earlier than start_time crosses midnight. */
  @Omittable()
  @IsLocalTime({ required: false, example: '10:30' })
  end_time?: string;
}

@ApiShapes(...bookingTargets('none', ['user_id']))
export class ReserveDto extends BookingTargetDto {
  /** Admin only: the user to book for. A user books for themselves. @example 1 */
  @Omittable()
  @IsId({ required: false })
  user_id?: number;
}

export class ConsultantTargetDto extends ReserveDto {
  /** The consultant to book; may be left out with availability_id (or hold_id). @example 1 */
  @Omittable()
  @IsId({ required: false })
  consultant_id?: number;

  @Omittable()
  @IsPoolSpecialization({
    required: false,
    description:
      'Instead of a consultant, with start and end: the pool of this specialization assigns one, fairly (docs/API.md, "Pooled booking"); the answer names it in consultant_id',
  })
  specialization?: string;
}

@ApiShapes(...bookingTargets('body', ['user_id']), {
  title: 'A hold',
  description: 'Turns the live hold `hold_id` (POST /holds) into the booking',
  required: ['hold_id'],
  optional: ['consultant_id', 'user_id'],
  example: { hold_id: 1 },
})
export class CreateBookingDto extends ConsultantTargetDto {
  /** Turn this hold (POST /holds) into the booking, instead of giving a target. @example 1 */
  @Omittable()
  @IsId({ required: false })
  hold_id?: number;
}

/** POST /holds: a target as for a booking, and how long to hold it. */
@ApiShapes(...bookingTargets('body', ['user_id', 'hold_minutes']))
export class CreateHoldDto extends ConsultantTargetDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 60, default: 10, example: 10, description: 'Minutes the hold lives' })
  @Omittable()
  @Max(60)
  @Min(1)
  @IsInt()
  hold_minutes?: number;
}

export class HoldDto extends TimeFieldsDto {
  /** Pass as hold_id to POST /bookings. @example 1 */
  id: number;
  /** Whose time is held. @example 1 */
  consultant_id: number;
  /** Who holds it. @example 1 */
  user_id: number;
  @ApiProperty({ type: 'integer', nullable: true, example: null, description: 'The one-time slot held, if any.' })
  availability_id: number | null;
  /** The weekly window held from, if any. @example 1 */
  recurring_id: number | null;
  /** When the hold stops blocking the time. @example "2030-12-01T12:10:00.000Z" */
  expires_at: string;
}

/** The booking's new time, of the same consultant. */
@ApiShapes(...bookingTargets('none', []))
export class RescheduleDto extends BookingTargetDto {}

/** bookings.create: POST /bookings' body, and the key a retried message is recognised by. */
export class CreateBookingMessage extends CreateBookingDto {
  /** As the Idempotency-Key header; required, since a broker may deliver a request twice. @example "7f9c2ba4-e88f-4c2b-9d1e-2f4a5b6c7d8e" */
  @Matches(IDEMPOTENCY_KEY, { message: 'must be 1 to 255 visible ASCII characters' })
  @IsString()
  idempotency_key: string;
}

/** bookings.reschedule: the booking's id (a path parameter over HTTP) and the new target. */
export class RescheduleBookingMessage extends RescheduleDto {
  @IsId()
  id: number;
}

export class ListBookingsQuery extends PageQuery {
  /** Only this consultant's bookings. @example 1 */
  @IsOptional()
  @QueryId()
  consultant_id?: number;

  /** Only this user's bookings (the admin's filter). @example 1 */
  @IsOptional()
  @QueryId()
  user_id?: number;

  /** Bookings ending after this (a local date means that day's start, in UTC). */
  @IsOptional()
  @IsDateOrInstant()
  from?: string;

  /** Bookings starting before this (a local date is inclusive, in UTC). */
  @IsOptional()
  @IsDateOrInstant({ example: '2030-12-31' })
  to?: string;

  /** Only confirmed, or only cancelled, bookings. */
  @ApiPropertyOptional({ enum: ['confirmed', 'cancelled'] })
  @IsOptional()
  @IsIn(['confirmed', 'cancelled'])
  status?: 'confirmed' | 'cancelled';
}

export class BookingDto extends TimeFieldsDto {
  /** The booking's id; a reschedule keeps it. @example 1 */
  id: number;
  /** The consultant booked. @example 1 */
  consultant_id: number;
  /** The user the booking is for. @example 1 */
  user_id: number;
  @ApiProperty({ type: 'integer', nullable: true, example: null, description: 'The one-time slot booked, if any.' })
  availability_id: number | null;
  /** The weekly window booked from, if any. @example 1 */
  recurring_id: number | null;
  /** confirmed, or cancelled. @example "confirmed" */
  status: 'confirmed' | 'cancelled';
  /** When the booking was made, in UTC. @example "2030-12-01T12:00:00.000Z" */
  created_at: string;
}

export class BookingPageDto {
  /** This page of bookings, by start. */
  data: BookingDto[];
  /** Pass as `cursor` for the next page; null on the last page. @example "eyJpZCI6MjB9" */
  next_cursor: string | null;
}
