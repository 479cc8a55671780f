import { ApiProperty } from '@nestjs/swagger';
import { BookingDto } from '../../bookings/dto/booking.dto';

/** What every event carries around its `data` (docs/MESSAGES.md, "Events"). */
class EventEnvelopeDto {
  /** The event's id (a UUID); a redelivery carries the same one, so drop an id you have seen. @example "0b0e7d9c-3f5e-4a55-9a1e-7c1f2b8d6a10" */
  id: string;
  /** When the transaction that made the change began, in UTC. @example "2030-12-01T09:00:00.123Z" */
  occurred_at: string;
  /** The consultant whose calendar changed. @example 1 */
  consultant_id: number;
  /** 1, 2, 3… per consultant, without gaps, in the order the changes committed. @example 42 */
  sequence: number;
}

/** A booking was made, moved or cancelled; `data` is the booking as GET /bookings/{id} answers it. */
export class BookingEventDto extends EventEnvelopeDto {
  @ApiProperty({
    enum: ['booking.created', 'booking.rescheduled', 'booking.cancelled'],
    description: 'What happened to the booking',
    example: 'booking.created',
  })
  type: 'booking.created' | 'booking.rescheduled' | 'booking.cancelled';
  /** The booking after the change. */
  data: BookingDto;
}

/** What changed in an availability.changed event: `change`, and the one member it names. */
export class AvailabilityChangeDto {
  @ApiProperty({
    enum: [
      'slot.created',
      'slot.deleted',
      'rules.created',
      'rules.replaced',
      'rule.updated',
      'rule.deleted',
      'override.created',
      'override.deleted',
      'policy.updated',
      'timezone.updated',
    ],
    description:
      'What changed; the member of the same name holds it as its route answers it (slot, slot_id, rules, rule, rule_id, override, override_id, policy or timezone)',
    example: 'slot.deleted',
  })
  change: string;
}

/** A one-time slot, weekly window, date override, the policy or the time zone changed. */
export class AvailabilityChangedEventDto extends EventEnvelopeDto {
  @ApiProperty({ enum: ['availability.changed'], description: 'The event type', example: 'availability.changed' })
  type: 'availability.changed';
  @ApiProperty({
    type: AvailabilityChangeDto,
    description: 'What changed, with the changed object (or its id when it was removed)',
    example: { change: 'slot.deleted', slot_id: 7 },
    additionalProperties: true,
  })
  data: AvailabilityChangeDto;
}
