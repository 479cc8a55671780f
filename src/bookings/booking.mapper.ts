import { timeFields } from '../common/http/time-fields';
import type { BookingDto, HoldDto } from './dto/booking.dto';
import type { Booking } from './entities/booking.entity';

/** The booking's columns a client sees. */
export type BookingFields = Pick<
  Booking,
  'id' | 'consultantId' | 'userId' | 'availabilityId' | 'recurringId' | 'startAt' | 'endAt' | 'status' | 'createdAt'
>;

export const toBookingDto = (b: BookingFields, zone: string): BookingDto => ({
  id: b.id,
  consultant_id: b.consultantId,
  user_id: b.userId,
  availability_id: b.availabilityId,
  recurring_id: b.recurringId,
  ...timeFields(b.startAt.getTime(), b.endAt.getTime(), zone),
  status: b.status as BookingDto['status'],
  created_at: b.createdAt.toISOString(),
});

export const toHoldDto = (h: BookingFields & Pick<Booking, 'expiresAt'>, zone: string): HoldDto => ({
  id: h.id,
  consultant_id: h.consultantId,
  user_id: h.userId,
  availability_id: h.availabilityId,
  recurring_id: h.recurringId,
  ...timeFields(h.startAt.getTime(), h.endAt.getTime(), zone),
  expires_at: h.expiresAt!.toISOString(),
});
