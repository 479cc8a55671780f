import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { EntityManager } from 'typeorm';

/** One condition a consultant's removal must meet, checked by the module that owns the data. */
export interface RemovalCheck {
  /** Throws a DomainError if the consultant may not go yet; runs in the removal's transaction, under the consultant's row lock. */
  assertRemovable(manager: EntityManager, consultantId: number): Promise<void>;
}

/**
 * Marks a provider as a RemovalCheck: a module that owns data of a consultant's declares one
 * among its providers (bookings: no upcoming confirmed ones), and removal runs them all.
 */
export const ConsultantRemovalCheck = DiscoveryService.createDecorator<void>();

/**
 * What must hold before a consultant goes, with everything of theirs (ON DELETE CASCADE): every
 * provider marked @ConsultantRemovalCheck(), found at start-up, so the consultants module reads
 * no other module's tables and depends on none of them.
 */
@Injectable()
export class ConsultantRemovalChecks implements OnModuleInit {
  private readonly checks: RemovalCheck[] = [];

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const provider of this.discovery.getProviders({ metadataKey: ConsultantRemovalCheck.KEY }))
      this.checks.push(provider.instance as RemovalCheck);
  }

  async assertAll(manager: EntityManager, consultantId: number): Promise<void> {
    for (const check of this.checks) await check.assertRemovable(manager, consultantId);
  }
}
