import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** Throws (a problem) if the consultant may not go yet; runs under the consultant's row lock. */
export type RemovalCheck = (manager: EntityManager, consultantId: number) => Promise<void>;

/**
 * What must hold before a consultant goes, with everything of theirs (ON DELETE CASCADE). The
 * modules that own that data add their checks here at start-up (bookings: no upcoming ones), so
 * the consultants module reads no other module's tables and depends on none of them.
 */
@Injectable()
export class ConsultantRemovalChecks {
  private readonly checks: RemovalCheck[] = [];

  add(check: RemovalCheck): void {
    this.checks.push(check);
  }

  async assertAll(manager: EntityManager, consultantId: number): Promise<void> {
    for (const check of this.checks) await check(manager, consultantId);
  }
}
