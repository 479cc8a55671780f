import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
  Unique,
} from 'typeorm';
import { Consultant } from '../../consultants/entities/consultant.entity';

/** One local wall-clock window of a date override; end_time < start_time crosses midnight. */
export type OverrideWindow = { start_time: string; end_time: string };

/**
 * An exception for one local date of the consultant: its windows replace that date's weekly
 * windows; none means unavailable all day. One per date (the unique key answers a second with 409).
 */
@Entity('date_overrides')
@Unique('date_overrides_consultant_date_key', ['consultantId', 'date'])
@Check('date_overrides_windows_array', `jsonb_typeof(windows) = 'array'`)
export class DateOverride {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'date_overrides_pkey' })
  id: number;

  @Column({ name: 'consultant_id', type: 'integer' })
  consultantId: number;

  @ManyToOne(() => Consultant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'consultant_id', foreignKeyConstraintName: 'date_overrides_consultant_id_fkey' })
  consultant: Relation<Consultant>;

  /** The consultant's local date, 'YYYY-MM-DD'. */
  @Column({ type: 'date' })
  date: string;

  /** Empty: unavailable all day. Validated and normalised ('HH:MM:SS') before it is stored. */
  @Column({ type: 'jsonb', default: () => `'[]'` })
  windows: OverrideWindow[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
