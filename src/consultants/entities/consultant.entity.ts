import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  OneToMany,
  PrimaryGeneratedColumn,
  type Relation,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { Availability } from '../../availability/entities/availability.entity';
import { Booking } from '../../bookings/entities/booking.entity';
import { RecurringRule } from '../../recurring/entities/recurring-rule.entity';

@Entity('consultants')
@Unique('consultants_api_token_hash_key', ['apiTokenHash'])
@Index('consultants_specialization_idx', ['specializationKey', 'id'])
// The booking policy's bounds, as PUT /consultants/{id}/policy validates them.
@Check('consultants_pool_weight_check', 'pool_weight BETWEEN 0 AND 1000')
@Check(
  'consultants_policy_check',
  `minimum_notice_minutes BETWEEN 0 AND 525600 AND (booking_horizon_days IS NULL OR booking_horizon_days BETWEEN 1 AND 3650) AND buffer_before_minutes BETWEEN 0 AND 1440 AND buffer_after_minutes BETWEEN 0 AND 1440 AND (slot_minutes IS NULL OR slot_minutes BETWEEN 5 AND 1440) AND (max_bookings_per_day IS NULL OR max_bookings_per_day BETWEEN 1 AND 1000) AND (max_booking_minutes IS NULL OR max_booking_minutes BETWEEN 5 AND 1440) AND (max_client_share_minutes IS NULL OR max_client_share_minutes BETWEEN 5 AND 525600)`,
)
export class Consultant {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  @Column({ name: 'first_name', type: 'varchar', length: 50 })
  firstName: string;

  @Column({ name: 'last_name', type: 'varchar', length: 50 })
  lastName: string;

  /** IANA zone: every local date and time of this consultant's slots, rules and bookings is in it. */
  @Column({ type: 'text', default: 'UTC' })
  timezone: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  specialization: string | null;

  /** The specialization as pools and filters compare it: trimmed, lower case (docs/API.md, "Pooled booking"). */
  @Column({
    name: 'specialization_key',
    type: 'varchar',
    length: 100,
    generatedType: 'STORED',
    asExpression: 'lower(btrim(specialization))',
    nullable: true,
    select: false,
    insert: false,
    update: false,
  })
  specializationKey: string | null;

  /** SHA-256 of the API token, hex; the token itself is never stored. */
  @Column({ name: 'api_token_hash', type: 'char', length: 64, select: false })
  apiTokenHash: string;

  // The booking policy (GET/PUT /consultants/{id}/policy): on the consultant's row, so the lock
  // every booking takes first reads it in the same statement. Defaults keep a policy-less
  // consultant's behaviour (src/scheduling/policy.ts).

  @Column({ name: 'minimum_notice_minutes', type: 'integer', default: 0 })
  minimumNoticeMinutes: number;

  @Column({ name: 'booking_horizon_days', type: 'integer', nullable: true })
  bookingHorizonDays: number | null;

  @Column({ name: 'buffer_before_minutes', type: 'integer', default: 0 })
  bufferBeforeMinutes: number;

  @Column({ name: 'buffer_after_minutes', type: 'integer', default: 0 })
  bufferAfterMinutes: number;

  @Column({ name: 'slot_minutes', type: 'integer', nullable: true })
  slotMinutes: number | null;

  @Column({ name: 'max_bookings_per_day', type: 'integer', nullable: true })
  maxBookingsPerDay: number | null;

  @Column({ name: 'max_booking_minutes', type: 'integer', nullable: true, default: 120 })
  maxBookingMinutes: number | null;

  @Column({ name: 'max_client_share_minutes', type: 'integer', nullable: true, default: 240 })
  maxClientShareMinutes: number | null;

  /** Its share of a pooled booking's assignments against the pool's others (0: never assigned by the pool). */
  @Column({ name: 'pool_weight', type: 'integer', default: 100 })
  poolWeight: number;

  /**
   * Bumped by every change to what can be booked: slots, rules, overrides, the policy, the zone
   * (lockConsultant's `schedule` change). A booking decided from a copy read earlier is placed
   * only if this is still the version it read (change_booking, src/bookings/engine/).
   */
  @Column({ name: 'schedule_version', type: 'integer', default: 0 })
  scheduleVersion: number;

  /**
   * Bumped by every change to what the calendar views show: the schedule's, and bookings and
   * holds made, moved, cancelled or released. A view computed at this version still holds.
   */
  @Column({ name: 'calendar_version', type: 'integer', default: 0 })
  calendarVersion: number;

  /** Its events' last sequence (1, 2, 3… without gaps): taken by the UPDATE of this row that records one. */
  @Column({ name: 'last_event_sequence', type: 'integer', default: 0 })
  lastEventSequence: number;

  /**
   * At or after the expiry of each of its holds still `held`; null when none is. A booking at a
   * consultant without one runs no hold expiry, and a view with one changes with the clock.
   */
  @Column({ name: 'holds_until', type: 'timestamptz', nullable: true })
  holdsUntil: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @OneToMany(() => Availability, (slot) => slot.consultant)
  availabilities: Relation<Availability>[];

  @OneToMany(() => RecurringRule, (rule) => rule.consultant)
  recurringRules: Relation<RecurringRule>[];

  @OneToMany(() => Booking, (booking) => booking.consultant)
  bookings: Relation<Booking>[];
}
