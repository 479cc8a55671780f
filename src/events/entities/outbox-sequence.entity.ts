import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Each consultant's last event sequence. A counter of its own rather than max(sequence) + 1: the
 * purge deletes old events, and a consultant whose events were all purged must not start again at 1.
 * Its row lock, taken by the event's insert, also orders a consultant's events as their commits.
 */
@Entity('outbox_sequences')
export class OutboxSequence {
  @PrimaryColumn({ name: 'consultant_id', type: 'int' })
  consultantId: number;

  @Column({ name: 'last_sequence', type: 'int' })
  lastSequence: number;
}
