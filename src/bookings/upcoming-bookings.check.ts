import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { conflict } from '../common/errors';
import { ConsultantRemovalCheck, type RemovalCheck } from '../consultants/consultant-removal';
import { BookingsRepository } from './bookings.repository';

/** A consultant with upcoming confirmed bookings stays: clients rely on those. */
@ConsultantRemovalCheck()
@Injectable()
export class UpcomingBookingsCheck implements RemovalCheck {
  constructor(private readonly repository: BookingsRepository) {}

  async assertRemovable(manager: EntityManager, consultantId: number): Promise<void> {
    if (await this.repository.hasUpcoming(manager, consultantId))
      throw conflict(
        'consultant-has-bookings',
        `Consultant ${consultantId} has upcoming confirmed bookings; cancel them first.`,
      );
  }
}
