import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { notFound } from '../../common/errors';
import { CalendarRepository } from '../../calendar/calendar.repository';
import { isFreeFor } from '../../calendar/free-slots';
import { ConsultantsService } from '../../consultants/consultants.service';
import type { Interval } from '../../scheduling';
import { BookingsRepository } from '../bookings.repository';
import { assignmentOrder, assignmentWindow } from './fair-assignment';

/**
 * Whom a pooled booking tries, in order: the pool's consultants free for the whole interval as
 * their views find it (calendar/free-slots.ts, on the schedules the views read), fairest first
 * (fair-assignment.ts). Whether one of them may really be booked is still the engine's to decide.
 */
@Injectable()
export class PoolCandidates {
  constructor(
    private readonly consultants: ConsultantsService,
    private readonly schedules: CalendarRepository,
    private readonly repository: BookingsRepository,
  ) {}

  /** Consultant ids, fairest first, read in `manager`; a 404 when the specialization has no pool at all. */
  async inOrder(specialization: string, interval: Interval, manager: EntityManager): Promise<number[]> {
    const pool = await this.consultants.pool(specialization, manager);
    if (!pool.data.length) throw notFound(`A consultant of specialization "${specialization.trim()}"`);
    const windows = pool.data.map((c) => ({ consultantId: c.id, ...interval }));
    const schedules = await this.schedules.schedules(windows, manager);
    const free = pool.data
      .map((consultant, i) => ({ consultant, weight: pool.weights[i] }))
      .filter(({ consultant }) => isFreeFor(schedules.get(consultant.id)!, consultant.timezone, interval));
    if (!free.length) return [];
    const counted = await this.repository.assignments(
      free.map(({ consultant }) => consultant.id),
      assignmentWindow(interval),
      manager,
    );
    return assignmentOrder(
      free.map(({ consultant, weight }) => ({ id: consultant.id, weight, ...counted.get(consultant.id)! })),
    ).map((c) => c.id);
  }
}
