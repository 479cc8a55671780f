import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
  UpdateDateColumn,
} from 'typeorm';
import { Consultant } from '../../consultants/entities/consultant.entity';

/** Where a consultant's events are POSTed, signed with the subscription's secret. */
@Entity('webhook_subscriptions')
@Index('webhook_subscriptions_consultant_idx', ['consultantId', 'id'])
export class WebhookSubscription {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  @Column({ name: 'consultant_id', type: 'integer' })
  consultantId: number;

  @ManyToOne(() => Consultant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'consultant_id', foreignKeyConstraintName: 'webhook_subscriptions_consultant_id_fkey' })
  consultant: Relation<Consultant>;

  @Column({ type: 'text' })
  url: string;

  /** The event types delivered here (events/event-types.ts). */
  @Column({ name: 'event_types', type: 'text', array: true })
  eventTypes: string[];

  /**
   * `whsec_` and the base64 key, as Standard Webhooks writes it. Kept as it is, not hashed: each
   * delivery is signed with it. Shown to the caller once, at creation.
   */
  @Column({ type: 'text', select: false })
  secret: string;

  /** False once it has failed for WEBHOOK_DISABLE_AFTER_SECONDS straight; PATCH enabled=true turns it back on. */
  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  /** Since when every attempt has failed; null after a success. */
  @Column({ name: 'failing_since', type: 'timestamptz', nullable: true })
  failingSince: Date | null;

  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
