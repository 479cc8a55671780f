import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { EntityManager } from 'typeorm';
import { notFound } from '../../common/errors';
import { toPolicy } from '../../consultants/policy.mapper';
import type { BookingPolicy } from '../../scheduling';
import { BookingsRepository, type ConsultantRow } from '../bookings.repository';

/** What a booking is decided from: the consultant's zone and policy at a schedule version. */
export interface ConsultantCopy {
  id: number;
  timezone: string;
  policy: BookingPolicy;
  version: number;
}

/** A one-time slot's time, as of its consultant's schedule version. */
interface SlotCopy {
  consultantId: number;
  startAt: number;
  endAt: number;
  version: number;
}

/**
 * This instance's copies of what a booking is decided from, so that a booking of a known
 * consultant's slot is one round trip (the engine's writer). A copy is never trusted: the writer
 * compares its version with the consultant's `schedule_version` under the row lock and answers
 * 'stale' when a slot, rule, override, the policy or the zone changed since, here or on another
 * instance; the engine then reads afresh. What changes with bookings (a slot's flag, the day's
 * count, the user's cap) is not copied: the writer reads it under the lock.
 */
@Injectable()
export class ScheduleCopies {
  // The least recently used go first: a few MB at most.
  private readonly consultants = new LRUCache<number, ConsultantCopy>({ max: 10_000 });
  private readonly slots = new LRUCache<number, SlotCopy>({ max: 20_000 });

  constructor(private readonly repository: BookingsRepository) {}

  /** The consultant's copy; `fresh` reads it again (after a 'stale'). */
  async consultant(manager: EntityManager, id: number, fresh: boolean): Promise<ConsultantCopy> {
    const known = fresh ? undefined : this.consultants.get(id);
    if (known) return known;
    const row = await this.repository.consultantCopy(manager, id);
    if (!row) throw notFound(`Consultant ${id}`);
    return this.keepConsultant(row);
  }

  /**
   * The slot's time and its consultant's copy. `consultantId` is the consultant the request
   * names, if it names one: a slot of another is a 404, as is a slot that does not exist.
   */
  async slot(
    manager: EntityManager,
    slotId: number,
    consultantId: number | undefined,
    fresh: boolean,
  ): Promise<{ consultant: ConsultantCopy; startAt: number; endAt: number }> {
    const slot = fresh ? undefined : this.slots.get(slotId);
    const consultant = slot && this.consultants.get(slot.consultantId);
    if (slot && consultant && slot.version === consultant.version) {
      if (consultantId !== undefined && consultantId !== slot.consultantId)
        throw notFound(`Slot ${slotId} of consultant ${consultantId}`);
      return { consultant, startAt: slot.startAt, endAt: slot.endAt };
    }
    const row = await this.repository.slotCopy(manager, slotId, consultantId);
    if (!row) throw notFound(consultantId === undefined ? `Slot ${slotId}` : `Consultant ${consultantId}`);
    const copy = this.keepConsultant(row);
    if (row.slotId === null) throw notFound(`Slot ${slotId} of consultant ${row.id}`);
    const kept = { consultantId: row.id, startAt: row.startAt, endAt: row.endAt, version: row.version };
    this.slots.set(slotId, kept);
    return { consultant: copy, startAt: row.startAt, endAt: row.endAt };
  }

  private keepConsultant(row: ConsultantRow): ConsultantCopy {
    const copy = { id: row.id, timezone: row.timezone, policy: toPolicy(row), version: row.version };
    this.consultants.set(row.id, copy);
    return copy;
  }
}
