import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Exclusion,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
  UpdateDateColumn,
} from 'typeorm';
import { Availability } from '../../availability/entities/availability.entity';
import { Consultant } from '../../consultants/entities/consultant.entity';
import { DuringColumn } from '../../database/during-column';
import { RecurringRule } from '../../recurring/entities/recurring-rule.entity';
import { User } from '../../users/entities/user.entity';

/**
 * `held`: a hold (POST /holds), live until `expires_at`; `expired`: a hold marked so, under the
 * consultant's lock, by the first write that could meet it. Holds share the table with bookings
 * so that one exclusion constraint keeps bookings and live holds apart.
 */
export type BookingStatus = 'confirmed' | 'cancelled' | 'held' | 'expired';

/**
 * A user's hold on a consultant's time. It keeps its own copy of the instants: the slot or rule
 * it came from may change or go (its id is then set to null) without moving the booking.
 */
@Entity('bookings')
@Check('bookings_positive', 'end_at > start_at')
@Check('bookings_status_check', `status IN ('confirmed', 'cancelled', 'held', 'expired')`)
@Check('bookings_hold_expiry', `(status IN ('held', 'expired')) = (expires_at IS NOT NULL)`)
// The service never accepts more; saying so lets the views find a range's bookings on the
// (consultant_id, start_at) B-tree, exactly.
@Check('bookings_at_most_a_day', `end_at - start_at <= interval '24 hours'`)
@Check('bookings_blocked_check', 'blocked_start_at <= start_at AND blocked_end_at >= end_at')
// The guarantee: two confirmed bookings or holds of one consultant never overlap, buffers
// included, whatever runs. Without buffers the blocked range is the booking's own. A hold past
// its expiry still counts here until a write marks it expired, which every write that could meet
// it does first, under the consultant's lock.
@Exclusion(
  'bookings_blocked_no_overlap',
  `USING gist (consultant_id WITH =, tstzrange(blocked_start_at, blocked_end_at, '[)') WITH &&) WHERE (status IN ('confirmed', 'held'))`,
)
@Index('bookings_held_idx', ['consultantId', 'expiresAt'], { where: `status = 'held'` })
@Index('bookings_consultant_start_idx', ['consultantId', 'startAt', 'id'])
@Index('bookings_user_start_idx', ['userId', 'startAt', 'id'])
@Index('bookings_consultant_client_idx', ['consultantId', 'clientAddress', 'startAt'], {
  where: 'client_address IS NOT NULL',
})
@Index('bookings_availability_idx', ['availabilityId'], { where: 'availability_id IS NOT NULL' })
@Index('bookings_recurring_idx', ['recurringId'], { where: 'recurring_id IS NOT NULL' })
export class Booking {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  @Column({ name: 'consultant_id', type: 'integer' })
  consultantId: number;

  @ManyToOne(() => Consultant, (consultant) => consultant.bookings, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'consultant_id', foreignKeyConstraintName: 'bookings_consultant_id_fkey' })
  consultant: Relation<Consultant>;

  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @ManyToOne(() => User, (user) => user.bookings, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'bookings_user_id_fkey' })
  user: Relation<User>;

  /**
   * The address (an IPv6 client's /64) the booking or hold was asked from over HTTP; null over
   * messages and for the admin. Never shown: the policy's client share counts by it, so that
   * several accounts from one address share one budget.
   */
  @Column({ name: 'client_address', type: 'inet', nullable: true, select: false })
  clientAddress: string | null;

  /** The one-time slot booked whole, if that is where the time came from. */
  @Column({ name: 'availability_id', type: 'integer', nullable: true })
  availabilityId: number | null;

  @ManyToOne(() => Availability, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'availability_id', foreignKeyConstraintName: 'bookings_availability_id_fkey' })
  availability: Relation<Availability> | null;

  /** The weekly window one of whose occurrences contains the booking, if that is where it came from. */
  @Column({ name: 'recurring_id', type: 'integer', nullable: true })
  recurringId: number | null;

  @ManyToOne(() => RecurringRule, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'recurring_id', foreignKeyConstraintName: 'bookings_recurring_id_fkey' })
  recurring: Relation<RecurringRule> | null;

  @Column({ name: 'start_at', type: 'timestamptz' })
  startAt: Date;

  @Column({ name: 'end_at', type: 'timestamptz' })
  endAt: Date;

  @DuringColumn()
  during: string;

  /**
   * The time the booking blocks: its own and the buffers of the consultant's policy when it was
   * made (a later policy change leaves it as it is).
   */
  @Column({ name: 'blocked_start_at', type: 'timestamptz' })
  blockedStartAt: Date;

  @Column({ name: 'blocked_end_at', type: 'timestamptz' })
  blockedEndAt: Date;

  @Column({ type: 'text', default: 'confirmed' })
  status: BookingStatus;

  /** When a hold stops blocking; null for a booking (a converted hold's is cleared). */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  /** RFC 5545 SEQUENCE of the booking's calendar event: raised by every reschedule and cancel. */
  @Column({ type: 'integer', default: 0 })
  sequence: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
