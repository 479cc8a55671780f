import { Column, CreateDateColumn, Entity, OneToMany, PrimaryGeneratedColumn, type Relation, Unique } from 'typeorm';
import { Booking } from '../../bookings/entities/booking.entity';

@Entity('users')
@Unique('users_api_token_hash_key', ['apiTokenHash'])
export class User {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  @Column({ name: 'first_name', type: 'varchar', length: 50 })
  firstName: string;

  @Column({ name: 'last_name', type: 'varchar', length: 50 })
  lastName: string;

  /** SHA-256 of the API token, hex; the token itself is never stored. */
  @Column({ name: 'api_token_hash', type: 'char', length: 64, select: false })
  apiTokenHash: string;

  /**
   * The user's confirmed bookings, ended ones included: made (a booking, a hold booked) less
   * cancelled. Never fewer than the upcoming ones, so while it is under the per-user cap the
   * booking need not count them. Its row lock queues the user's bookings and holds.
   */
  @Column({ name: 'confirmed_bookings', type: 'integer', default: 0 })
  confirmedBookings: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @OneToMany(() => Booking, (booking) => booking.user)
  bookings: Relation<Booking>[];
}
