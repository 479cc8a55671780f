import {
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
@Index('consultants_specialization_idx', ['specialization', 'id'])
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

  /** SHA-256 of the API token, hex; the token itself is never stored. */
  @Column({ name: 'api_token_hash', type: 'char', length: 64, select: false })
  apiTokenHash: string;

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
