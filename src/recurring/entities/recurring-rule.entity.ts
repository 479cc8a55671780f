import {
  Check,
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

/** A weekly window in the consultant's local wall-clock time; end_time < start_time crosses midnight. */
@Entity('recurring_rules')
@Check('recurring_rules_day_of_week_check', 'day_of_week BETWEEN 0 AND 6')
@Check('recurring_rules_nonempty', 'start_time <> end_time')
@Check('recurring_rules_validity', 'valid_from IS NULL OR valid_until IS NULL OR valid_from <= valid_until')
@Index('recurring_rules_consultant_idx', ['consultantId', 'dayOfWeek', 'startTime', 'id'])
export class RecurringRule {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  @Column({ name: 'consultant_id', type: 'integer' })
  consultantId: number;

  @ManyToOne(() => Consultant, (consultant) => consultant.recurringRules, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'consultant_id', foreignKeyConstraintName: 'recurring_rules_consultant_id_fkey' })
  consultant: Relation<Consultant>;

  /** 0 = Monday … 6 = Sunday. */
  @Column({ name: 'day_of_week', type: 'smallint' })
  dayOfWeek: number;

  @Column({ name: 'start_time', type: 'time' })
  startTime: string;

  @Column({ name: 'end_time', type: 'time' })
  endTime: string;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive: boolean;

  @Column({ name: 'valid_from', type: 'date', nullable: true })
  validFrom: string | null;

  @Column({ name: 'valid_until', type: 'date', nullable: true })
  validUntil: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
