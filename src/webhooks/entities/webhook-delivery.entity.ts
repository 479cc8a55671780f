import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
  Unique,
} from 'typeorm';
import type { CalendarEvent } from '@consultant-calendar/client';
import { WebhookSubscription } from './webhook-subscription.entity';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * Why an attempt failed, in a fixed vocabulary: never an error's text, a host or an address,
 * which would let a subscriber map what the service can reach (the log has the details).
 */
export type AttemptError =
  | 'timeout'
  | 'refused-target'
  | 'unresolved-target'
  | 'connection-failed'
  | 'tls-failed'
  | 'no-answer'
  | `http-${number}`;

/** One attempt to POST a delivery, as GET /webhooks/{id}/deliveries lists it. */
export interface DeliveryAttempt {
  at: string;
  duration_ms: number;
  /** The receiver's HTTP status; null when no answer came (refused, timed out, forbidden address). */
  response_status: number | null;
  error: AttemptError | null;
}

/**
 * One event for one subscription: written by the relay in the transaction that marks the event
 * delivered, then POSTed (and retried) by the webhook dispatcher. It keeps its own copy of the
 * event, which the outbox purges sooner.
 */
@Entity('webhook_deliveries')
@Unique('webhook_deliveries_subscription_event_key', ['subscriptionId', 'eventId'])
// The dispatcher's question: the first pending delivery of each subscription and consultant.
@Index('webhook_deliveries_pending_idx', ['subscriptionId', 'consultantId', 'sequence'], {
  where: `status = 'pending'`,
})
@Index('webhook_deliveries_list_idx', ['subscriptionId', 'id'])
export class WebhookDelivery {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  @Column({ name: 'subscription_id', type: 'integer' })
  subscriptionId: number;

  @ManyToOne(() => WebhookSubscription, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subscription_id', foreignKeyConstraintName: 'webhook_deliveries_subscription_id_fkey' })
  subscription: Relation<WebhookSubscription>;

  /** The event's id: the webhook-id header, the same in every attempt and redelivery. */
  @Column({ name: 'event_id', type: 'uuid' })
  eventId: string;

  @Column({ name: 'consultant_id', type: 'integer' })
  consultantId: number;

  @Column({ type: 'integer' })
  sequence: number;

  @Column({ type: 'jsonb' })
  event: CalendarEvent;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: DeliveryStatus;

  @Column({ type: 'jsonb', default: () => `'[]'` })
  attempts: DeliveryAttempt[];

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt: Date;

  /** Failures are retried until then (WEBHOOK_RETRY_WINDOW_SECONDS after it was due), then it fails. */
  @Column({ name: 'retry_until', type: 'timestamptz' })
  retryUntil: Date;

  /** An instance sending it holds it until then; a crashed one's claim runs out. */
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
