import { type BookingPolicy, DEFAULT_POLICY } from '../scheduling';
import type { PolicyDto, UpdatePolicyDto } from './dto/policy.dto';

/** The Consultant entity's policy properties: the names BookingPolicy shares with it. */
export const POLICY_FIELDS = [
  'minimumNoticeMinutes',
  'bookingHorizonDays',
  'bufferBeforeMinutes',
  'bufferAfterMinutes',
  'slotMinutes',
  'maxBookingsPerDay',
  'maxBookingMinutes',
  'maxClientShareMinutes',
] as const satisfies readonly (keyof BookingPolicy)[];

/** The policy as GET/PUT /consultants/{id}/policy keep it: the booking rules, and the weight in pooled assignment. */
export type ConsultantPolicy = BookingPolicy & { poolWeight: number };

/** The Consultant entity's properties of a ConsultantPolicy. */
export const CONSULTANT_POLICY_FIELDS = [
  ...POLICY_FIELDS,
  'poolWeight',
] as const satisfies readonly (keyof ConsultantPolicy)[];

/** A consultant's weight in pooled assignment until one is set. */
const DEFAULT_POOL_WEIGHT = 100;

/** A row selected with POLICY_FIELDS as its column aliases. */
export const toPolicy = (row: BookingPolicy): BookingPolicy => ({
  minimumNoticeMinutes: row.minimumNoticeMinutes,
  bookingHorizonDays: row.bookingHorizonDays,
  bufferBeforeMinutes: row.bufferBeforeMinutes,
  bufferAfterMinutes: row.bufferAfterMinutes,
  slotMinutes: row.slotMinutes,
  maxBookingsPerDay: row.maxBookingsPerDay,
  maxBookingMinutes: row.maxBookingMinutes,
  maxClientShareMinutes: row.maxClientShareMinutes,
});

export const toPolicyDto = (consultantId: number, p: ConsultantPolicy): PolicyDto => ({
  consultant_id: consultantId,
  minimum_notice_minutes: p.minimumNoticeMinutes,
  booking_horizon_days: p.bookingHorizonDays,
  buffer_before_minutes: p.bufferBeforeMinutes,
  buffer_after_minutes: p.bufferAfterMinutes,
  slot_minutes: p.slotMinutes,
  max_bookings_per_day: p.maxBookingsPerDay,
  max_booking_minutes: p.maxBookingMinutes,
  max_client_share_minutes: p.maxClientShareMinutes,
  pool_weight: p.poolWeight,
});

/** A PUT replaces the whole policy: what it leaves out goes back to the default. */
export const fromPolicyDto = (dto: UpdatePolicyDto): ConsultantPolicy => ({
  minimumNoticeMinutes: dto.minimum_notice_minutes ?? DEFAULT_POLICY.minimumNoticeMinutes,
  bookingHorizonDays: dto.booking_horizon_days ?? DEFAULT_POLICY.bookingHorizonDays,
  bufferBeforeMinutes: dto.buffer_before_minutes ?? DEFAULT_POLICY.bufferBeforeMinutes,
  bufferAfterMinutes: dto.buffer_after_minutes ?? DEFAULT_POLICY.bufferAfterMinutes,
  slotMinutes: dto.slot_minutes ?? DEFAULT_POLICY.slotMinutes,
  maxBookingsPerDay: dto.max_bookings_per_day ?? DEFAULT_POLICY.maxBookingsPerDay,
  // These two default to a limit, so null (no limit) must be told from left out.
  maxBookingMinutes: dto.max_booking_minutes === undefined ? DEFAULT_POLICY.maxBookingMinutes : dto.max_booking_minutes,
  maxClientShareMinutes:
    dto.max_client_share_minutes === undefined ? DEFAULT_POLICY.maxClientShareMinutes : dto.max_client_share_minutes,
  poolWeight: dto.pool_weight ?? DEFAULT_POOL_WEIGHT,
});
