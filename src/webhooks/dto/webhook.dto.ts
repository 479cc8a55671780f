import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { PageQuery } from '../../common/http/pagination';
import { Omittable, QueryInt } from '../../common/validation/decorators';
import { EVENT_TYPES, type EventType } from '@consultant-calendar/client';
import type { AttemptError } from '../entities/webhook-delivery.entity';

const MAX_ID = 2_147_483_647;

export class CreateWebhookDto {
  /** Whose events: the admin names the consultant; a consultant may leave it out (its own). @example 1 */
  @Omittable()
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  consultant_id?: number;

  /** An http or https URL on a public address; redirects are not followed. @example "https://crm.example.com/hooks/calendar" */
  @IsString()
  @MaxLength(2048)
  url: string;

  /** The event types to send. */
  @ApiProperty({ enum: EVENT_TYPES, isArray: true, example: ['booking.created', 'booking.cancelled'] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(EVENT_TYPES, { each: true })
  event_types: EventType[];
}

export class UpdateWebhookDto {
  /** The new target URL. @example "https://crm.example.com/hooks/calendar-v2" */
  @Omittable()
  @IsString()
  @MaxLength(2048)
  url?: string;

  /** The new event types. */
  @ApiProperty({ enum: EVENT_TYPES, isArray: true, required: false, example: ['booking.created'] })
  @Omittable()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(EVENT_TYPES, { each: true })
  event_types?: EventType[];

  /** true turns a disabled subscription back on (and clears its failure clock); false pauses it. @example true */
  @Omittable()
  @IsBoolean()
  enabled?: boolean;
}

export class ListWebhooksQuery extends PageQuery {
  /** Only this consultant's subscriptions (a consultant sees only its own anyway). @example 1 */
  @IsOptional()
  @QueryInt(1, MAX_ID)
  consultant_id?: number;
}

export class WebhookDto {
  /** The subscription's id. @example 1 */
  id: number;
  /** Whose events it receives. @example 1 */
  consultant_id: number;
  /** Where the events are POSTed. @example "https://crm.example.com/hooks/calendar" */
  url: string;
  /** The event types sent to it. */
  @ApiProperty({ enum: EVENT_TYPES, isArray: true, example: ['booking.created', 'booking.cancelled'] })
  event_types: EventType[];
  /** False once it failed for 24 hours straight (WEBHOOK_DISABLE_AFTER_SECONDS). @example true */
  enabled: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'Since when every attempt has failed; null after a success.',
  })
  failing_since: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'When it was disabled for failing; null while enabled.',
  })
  disabled_at: string | null;
  /** When it was created, in UTC. @example "2030-01-01T09:00:00.000Z" */
  created_at: string;
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({
    description: 'The signing secret (Standard Webhooks), shown once.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret: string;
}

export class WebhookPageDto {
  /** This page of subscriptions, by id. */
  data: WebhookDto[];
  /** Pass as `cursor` for the next page; null on the last page. @example "eyJpZCI6MjB9" */
  next_cursor: string | null;
}

export class DeliveryAttemptDto {
  /** When the attempt began, in UTC. @example "2030-01-01T09:00:00.120Z" */
  at: string;
  /** How long it took, answer included. @example 84 */
  duration_ms: number;
  /** The receiver's status; null when none came (refused connection, timeout, forbidden address). @example 200 */
  response_status: number | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Why the attempt failed, null when it succeeded: `timeout`, `refused-target` (the host is or resolves to a ' +
      'private or reserved address), `unresolved-target`, `connection-failed`, `tls-failed`, `no-answer` ' +
      '(connected, but the connection ended without an HTTP answer) or `http-<status>` (a non-2xx answer). ' +
      'Never an address or an error text.',
    example: null,
  })
  error: AttemptError | null;
}

export class WebhookDeliveryDto {
  /** The delivery's id. @example 12 */
  id: number;
  /** The webhook-id header: the event's id, the same in every attempt. @example "0b0e7d9c-3f5e-4a55-9a1e-7c1f2b8d6a10" */
  event_id: string;
  /** The event's type. */
  @ApiProperty({ enum: EVENT_TYPES, example: 'booking.created' })
  event_type: EventType;
  /** The event's place in its consultant's order. @example 3 */
  sequence: number;
  /** pending (to be sent or retried), delivered, or failed (given up). */
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'], example: 'delivered' })
  status: 'pending' | 'delivered' | 'failed';
  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'When the next attempt is due; null unless pending.',
  })
  next_attempt_at: string | null;
  /** Every attempt so far, oldest first. */
  attempts: DeliveryAttemptDto[];
  /** When the delivery was queued, in UTC. @example "2030-01-01T09:00:00.100Z" */
  created_at: string;
}

export class WebhookDeliveryPageDto {
  /** Newest first. */
  data: WebhookDeliveryDto[];
  /** Pass as `cursor` for the next page; null on the last page. @example "eyJpZCI6MjB9" */
  next_cursor: string | null;
}
