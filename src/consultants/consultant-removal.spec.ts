import { Injectable } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { EntityManager } from 'typeorm';
import { conflict } from '../common/errors';
import { ConsultantRemovalCheck, ConsultantRemovalChecks, type RemovalCheck } from './consultant-removal';

const manager = {} as EntityManager;

@ConsultantRemovalCheck()
@Injectable()
class NoUpcomingBookings implements RemovalCheck {
  readonly asked: number[] = [];
  async assertRemovable(_manager: EntityManager, consultantId: number): Promise<void> {
    this.asked.push(consultantId);
    if (consultantId === 7) throw conflict('consultant-has-bookings');
  }
}

/** The same shape, but not declared a removal check: never asked. */
@Injectable()
class Unmarked implements RemovalCheck {
  readonly asked: number[] = [];
  async assertRemovable(_manager: EntityManager, consultantId: number): Promise<void> {
    this.asked.push(consultantId);
  }
}

describe('ConsultantRemovalChecks', () => {
  it('asks every provider declared a removal check, and refuses with the first refusal', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [DiscoveryModule],
      providers: [ConsultantRemovalChecks, NoUpcomingBookings, Unmarked],
    }).compile();
    await moduleRef.init();
    const checks = moduleRef.get(ConsultantRemovalChecks);
    await checks.assertAll(manager, 3);
    await expect(checks.assertAll(manager, 7)).rejects.toMatchObject({ code: 'consultant-has-bookings' });
    expect(moduleRef.get(NoUpcomingBookings).asked).toStrictEqual([3, 7]);
    expect(moduleRef.get(Unmarked).asked).toStrictEqual([]);
  });
});
