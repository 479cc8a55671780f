import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';
import { IsId, Omittable } from '../../common/validation/decorators';

/** A whole number in [min, max], documented here rather than left to the Swagger plugin. */
const Count = (min: number, max: number, example: number, description: string, nullable = false) =>
  applyDecorators(
    ApiProperty({ type: Number, minimum: min, maximum: max, example, description, required: false, nullable }),
    // Left out: the default. null: refused, unless null is how the field says "no limit".
    nullable ? ValidateIf((_: unknown, value: unknown) => value !== undefined && value !== null) : Omittable(),
    IsInt(),
    Min(min),
    Max(max),
  );

/**
 * PUT /consultants/{id}/policy: the whole policy. A field left out takes its default, which is
 * the behaviour of a consultant without a policy; `null` clears a limit that has no number by
 * default.
 */
export class UpdatePolicyDto {
  @Count(0, 525_600, 120, 'No booking may start sooner than this many minutes from now. Default 0.')
  minimum_notice_minutes?: number;

  @Count(
    1,
    3650,
    60,
    'No booking may start more than this many days (of 24 hours) ahead. Default null: no limit.',
    true,
  )
  booking_horizon_days?: number | null;

  @Count(0, 1440, 10, 'A booking also blocks this many minutes before its start. Default 0.')
  buffer_before_minutes?: number;

  @Count(0, 1440, 15, 'A booking also blocks this many minutes after its end. Default 0.')
  buffer_after_minutes?: number;

  @Count(
    5,
    1440,
    30,
    "The views' default cut; bookings of window time must start on this grid, counted from the window's start. Default null: no grid.",
    true,
  )
  slot_minutes?: number | null;

  @Count(
    1,
    1000,
    8,
    'Confirmed bookings (and live holds) in one local day of the consultant. Default null: no limit.',
    true,
  )
  max_bookings_per_day?: number | null;

  @Count(
    5,
    1440,
    60,
    'The longest booking or hold of window time, in minutes (a one-time slot is booked whole, whatever its length). Default 120; null: up to a whole window occurrence.',
    true,
  )
  max_booking_minutes?: number | null;

  @Count(
    5,
    525_600,
    240,
    "How many minutes of this consultant's upcoming time (buffers included) one client may block at once with confirmed bookings and live holds, counted per user and per client address. Default 240; null: no limit.",
    true,
  )
  max_client_share_minutes?: number | null;

  @Count(
    0,
    1000,
    200,
    "This consultant's weight in pooled bookings (POST /bookings with specialization): the pool assigns in proportion to it. Default 100; 0: never assigned by the pool.",
  )
  pool_weight?: number;
}

/** consultants.policy.update: the consultant's id (a path parameter over HTTP) and the policy. */
export class UpdatePolicyMessage extends UpdatePolicyDto {
  @IsId()
  id: number;
}

export class PolicyDto {
  /** The consultant this policy belongs to. @example 1 */
  consultant_id: number;
  /** No booking starts sooner than this many minutes from now. @example 120 */
  minimum_notice_minutes: number;
  /** No booking starts more than this many days ahead; null: no limit. @example 60 */
  booking_horizon_days: number | null;
  /** Minutes each booking also blocks before its start. @example 10 */
  buffer_before_minutes: number;
  /** Minutes each booking also blocks after its end. @example 15 */
  buffer_after_minutes: number;
  /** The views' default cut and the grid bookings of window time start on; null: no grid. @example 30 */
  slot_minutes: number | null;
  /** Confirmed bookings and live holds per local day; null: no limit. @example 8 */
  max_bookings_per_day: number | null;
  /** The longest booking or hold of window time; null: a whole window occurrence. @example 60 */
  max_booking_minutes: number | null;
  /** Upcoming minutes one client may block at once; null: no limit. @example 240 */
  max_client_share_minutes: number | null;
  /** This consultant's weight in pooled bookings; 0: never assigned by the pool. @example 100 */
  pool_weight: number;
}
