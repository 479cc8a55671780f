import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';

/**
 * An event written in the transaction of the change it reports (the transactional outbox), then
 * delivered by the relay (events/outbox-relay.ts) and kept `OUTBOX_RETENTION_DAYS` after.
 */
@Entity('outbox_events')
@Unique('outbox_events_consultant_sequence_key', ['consultantId', 'sequence'])
// The relay's question: each consultant's lowest undelivered event.
@Index('outbox_events_undelivered_idx', ['consultantId', 'sequence'], { where: 'delivered_at IS NULL' })
// The purge's question: delivered before the retention's start.
@Index('outbox_events_delivered_idx', ['deliveredAt'], { where: 'delivered_at IS NOT NULL' })
export class OutboxEvent {
  /** The event's id, the same in every delivery of it (webhook-id, a broker event's `id`). */
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** `booking.created`, `booking.rescheduled`, `booking.cancelled`, `availability.changed`. */
  @Column({ type: 'varchar', length: 64 })
  type: string;

  /** No foreign key: a consultant's events outlive the consultant until delivered and purged. */
  @Column({ name: 'consultant_id', type: 'int' })
  consultantId: number;

  /** 1, 2, 3… per consultant, in commit order, without gaps (the consultant's last_event_sequence). */
  @Column({ type: 'int' })
  sequence: number;

  @Column({ name: 'occurred_at', type: 'timestamptz', default: () => 'now()' })
  occurredAt: Date;

  @Column({ type: 'jsonb' })
  data: unknown;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;
}
