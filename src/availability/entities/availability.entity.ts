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
} from 'typeorm';
import { Consultant } from '../../consultants/entities/consultant.entity';
import { DuringColumn } from '../../database/during-column';

/**
 * A one-time slot. Its instants are the truth; local date and times are derived from the
 * consultant's zone when read, so they stay right if the zone is corrected later.
 */
@Entity('availabilities')
@Check('availabilities_positive', 'end_at > start_at')
@Exclusion('availabilities_no_overlap', 'USING gist (consultant_id WITH =, during WITH &&)')
@Index('availabilities_consultant_start_idx', ['consultantId', 'startAt', 'id'])
export class Availability {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  @Column({ name: 'consultant_id', type: 'integer' })
  consultantId: number;

  @ManyToOne(() => Consultant, (consultant) => consultant.availabilities, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'consultant_id', foreignKeyConstraintName: 'availabilities_consultant_id_fkey' })
  consultant: Relation<Consultant>;

  @Column({ name: 'start_at', type: 'timestamptz' })
  startAt: Date;

  @Column({ name: 'end_at', type: 'timestamptz' })
  endAt: Date;

  @DuringColumn()
  during: string;

  @Column({ name: 'is_booked', type: 'boolean', default: false })
  isBooked: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
