import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import { conflict, notFound, DomainError, type ProblemCode, toProblem } from '../../common/errors';
import type { AppConfig } from '../../config/configuration';
import { bufferedInterval, type Interval } from '../../scheduling';
import { type BookingFields, toBookingDto } from '../booking.mapper';
import { type BookingChange, type BookingRow, BookingsRepository } from '../bookings.repository';
import type { BookingDto } from '../dto/booking.dto';
import type { Booking } from '../entities/booking.entity';
import {
  CHANGE_RULES,
  type ChangeKind,
  checkBookable,
  checkConvertible,
  checkMovable,
  checkPolicy,
  dailyLimitOf,
  intervalOf,
  isToCancel,
  refusalOf,
  type Source,
  sourceIn,
  type Target,
} from './booking-rules';
import { PoolCandidates } from './pool-candidates';
import { type ConsultantCopy, ScheduleCopies } from './schedule-copies';

/** Whom a consultant's client share counts: the user, and the client address it also counts by (null: none). */
export interface Client {
  address: string | null;
}

/** Reads of a schedule or booking that changed under a change before it gives up with a 409. */
const MAX_STALE_ATTEMPTS = 3;

/**
 * The refusals of a pooled booking's candidate that another consultant of the pool may not give:
 * its time taken meanwhile (by a booking, a hold, the slot's, a full day, a schedule changed
 * under every retry), the consultant deleted since the pool was read, its policy, or its share
 * of this client. Any other (the user's own caps, an outage) ends the request.
 */
const NEXT_CANDIDATE = new Set<string>(
  (
    [
      'time-taken',
      'conflict',
      'not-found',
      'daily-limit',
      'client-share',
      'outside-availability',
      'too-soon',
      'beyond-horizon',
      'off-grid',
      'too-long',
    ] satisfies ProblemCode[]
  ).map((code) => `/problems/${code}`),
);

/** A change as decided, with what the refusals and the answer are worded from. */
interface Decision {
  change: BookingChange;
  consultant: ConsultantCopy;
  /** The booking as it is once the change is written, but for what the writer gives (id, created_at, expiry). */
  after: BookingFields;
}

/** What a change wrote: the booking as it now is, and its consultant's zone. */
export interface Changed {
  booking: BookingFields & Pick<Booking, 'expiresAt'>;
  timezone: string;
}

/**
 * The booking engine: every change of a booking or hold (create, hold, convert, reschedule,
 * cancel, release) is decided here, on reads made before the write (this instance's copy of the
 * consultant's schedule, the booking's row), with the pure rules of booking-rules.ts, and applied
 * by the one writer (booking-writer.sql) in one statement. A read the decision relied on that no
 * longer holds is answered 'stale', and the change is read and decided again.
 */
@Injectable()
export class BookingEngine {
  constructor(
    private readonly repository: BookingsRepository,
    private readonly copies: ScheduleCopies,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly pool: PoolCandidates,
  ) {}

  /**
   * A new booking (`holdMinutes` null) or hold, autocommitted (one round trip when the copy of a
   * slot's consultant is current), or in `manager`, an Idempotency-Key's transaction.
   */
  create(
    request: {
      userId: number;
      consultantId: number | undefined;
      target: Target;
      holdMinutes: number | null;
      /** Whom the policy's client share counts (null: nobody, the admin). */
      client: Client | null;
    },
    manager = this.repository.autocommit,
  ): Promise<Changed> {
    const kind = request.holdMinutes === null ? 'create' : 'hold';
    return this.write(manager, async (fresh) => {
      const { consultant, interval, source } = await this.timeOf(manager, request.consultantId, request.target, fresh);
      const after = {
        ...sourceFields(source, interval),
        id: 0,
        consultantId: consultant.id,
        userId: request.userId,
        status: kind === 'create' ? ('confirmed' as const) : ('held' as const),
        createdAt: new Date(0),
      };
      const change = this.changeOf(kind, null, consultant, after, source, interval, request.client);
      return { change: { ...change, holdMinutes: request.holdMinutes }, consultant, after };
    });
  }

  /**
   * A pooled booking or hold (docs/API.md, "Pooled booking"): the pool's consultants free for the
   * whole interval, fairest first (PoolCandidates), each in turn decided and written as create()
   * decides and writes any booking, until one is written. A candidate lost to a concurrent booking
   * (or refusing for a reason of its own, NEXT_CANDIDATE) passes the request to the next in the
   * same request; 409 time-taken once none is left.
   */
  async createPooled(
    request: {
      userId: number;
      specialization: string;
      interval: Interval;
      holdMinutes: number | null;
      client: Client | null;
    },
    manager = this.repository.autocommit,
  ): Promise<Changed> {
    const { specialization, interval, ...rest } = request;
    checkBookable(interval, Date.now());
    for (const consultantId of await this.pool.inOrder(specialization, interval, manager)) {
      try {
        return await this.apart(manager, () => this.create({ ...rest, consultantId, target: { interval } }, manager));
      } catch (refusal) {
        if (!NEXT_CANDIDATE.has(toProblem(refusal).type)) throw refusal;
      }
    }
    throw conflict(
      'time-taken',
      `No consultant of specialization "${specialization.trim()}" is free for that whole time; pick another.`,
    );
  }

  /**
   * One candidate's attempt, in a transaction (an Idempotency-Key's) behind a savepoint: a write
   * the exclusion constraint refuses aborts the transaction, and the next candidate needs it.
   */
  private async apart<T>(manager: EntityManager, attempt: () => Promise<T>): Promise<T> {
    if (!manager.queryRunner?.isTransactionActive) return attempt();
    await manager.query('SAVEPOINT pooled_candidate');
    try {
      const done = await attempt();
      await manager.query('RELEASE SAVEPOINT pooled_candidate');
      return done;
    } catch (refusal) {
      await manager.query('ROLLBACK TO SAVEPOINT pooled_candidate');
      throw refusal;
    }
  }

  /** A hold becomes the booking, in place (its id is the booking's): its time has been blocked since it was made. */
  convert(hold: BookingRow, manager = this.repository.autocommit): Promise<Changed> {
    return this.write(manager, async (fresh) => {
      const now = fresh ? await this.reread(manager, hold.id, 'Hold') : hold;
      checkConvertible(now, Date.now());
      const consultant = await this.copies.consultant(manager, now.consultantId, fresh);
      const after = { ...now, status: 'confirmed' as const };
      return { change: this.changeOf('convert', now, consultant, after, null, null), consultant, after };
    });
  }

  /** Moves a confirmed booking in place (same id, higher sequence); on any refusal it stays as it was. */
  reschedule(booking: BookingRow, target: Target, client: Client | null): Promise<Changed> {
    const manager = this.repository.autocommit;
    return this.write(manager, async (fresh) => {
      const now = fresh ? await this.reread(manager, booking.id, 'Booking') : booking;
      checkMovable(now, Date.now());
      const { consultant, interval, source } = await this.timeOf(manager, now.consultantId, target, fresh, now);
      const after = { ...now, ...sourceFields(source, interval) };
      const change = this.changeOf('reschedule', now, consultant, after, source, interval, client);
      return { change, consultant, after };
    });
  }

  /** Cancels a confirmed booking, freeing its time at once; a cancelled one is answered as it is. */
  async cancel(booking: BookingRow): Promise<Changed> {
    const manager = this.repository.autocommit;
    let unchanged: BookingRow | undefined;
    const changed = await this.write(manager, async (fresh) => {
      const now = fresh ? await this.reread(manager, booking.id, 'Booking') : booking;
      const consultant = await this.copies.consultant(manager, now.consultantId, fresh);
      if (!isToCancel(now, Date.now())) {
        unchanged = now;
        return { change: null, consultant, after: now };
      }
      const after = { ...now, status: 'cancelled' as const };
      return { change: this.changeOf('cancel', now, consultant, after, null, null), consultant, after };
    });
    return unchanged ? { ...changed, booking: unchanged } : changed;
  }

  /** Deletes a hold, live or expired: its time is free again at once. */
  async release(hold: BookingRow): Promise<void> {
    const manager = this.repository.autocommit;
    await this.write(manager, async (fresh) => {
      const now = fresh ? await this.reread(manager, hold.id, 'Hold') : hold;
      if (now.status !== 'held' && now.status !== 'expired') throw notFound(`Hold ${hold.id}`);
      const consultant = await this.copies.consultant(manager, now.consultantId, fresh);
      return { change: this.changeOf('release', now, consultant, now, null, null), consultant, after: now };
    });
  }

  /**
   * Decides (`decide`, given whether to read afresh) and writes, until the writer finds every read
   * the decision relied on still true. A refusal decided on a copy may be the copy's: it stands
   * only if a fresh read agrees.
   */
  private async write(
    manager: EntityManager,
    decide: (fresh: boolean) => Promise<Omit<Decision, 'change'> & { change: BookingChange | null }>,
  ): Promise<Changed> {
    for (let attempt = 1; ; attempt++) {
      const fresh = attempt > 1;
      let decision: Awaited<ReturnType<typeof decide>>;
      try {
        decision = await decide(fresh);
      } catch (refusal) {
        if (fresh || !(refusal instanceof DomainError)) throw refusal;
        continue;
      }
      const { change, consultant, after } = decision;
      const timezone = consultant.timezone;
      if (change === null) return { booking: { ...after, expiresAt: null }, timezone };
      const written = await this.repository.applyChange(manager, change);
      if (written.outcome === 'done') {
        const { bookingId: id, createdAt, expiresAt } = written;
        const made = { id, createdAt: new Date(createdAt!), expiresAt: expiresAt ? new Date(expiresAt) : null };
        return { booking: { ...after, ...made }, timezone };
      }
      if (written.outcome !== 'stale') {
        const ids = { consultantId: change.consultantId, bookingId: change.booking?.id ?? null };
        throw refusalOf(written.outcome, change.kind, ids, consultant.policy, change.cap);
      }
      // A schedule that changes under every retry is being rewritten faster than it can be read.
      if (attempt === MAX_STALE_ATTEMPTS)
        throw conflict('conflict', "The consultant's availability changed during the booking; retry.");
    }
  }

  /** The writer's call for a change decided on the consultant's copy; the kind says which limits it checks. */
  private changeOf(
    kind: ChangeKind,
    booking: BookingRow | null,
    consultant: ConsultantCopy,
    after: BookingFields,
    source: Source | null,
    interval: Interval | null,
    client: Client | null = null,
  ): BookingChange {
    const { timezone, policy } = consultant;
    const rules = CHANGE_RULES[kind];
    const event = rules.event && { type: rules.event, data: toBookingDto(after, timezone) satisfies BookingDto };
    return {
      kind,
      booking: booking && { id: booking.id, status: booking.status, sequence: booking.sequence },
      consultantId: consultant.id,
      scheduleVersion: consultant.version,
      userId: after.userId,
      slotId: source?.availabilityId ?? null,
      recurringId: source?.recurringId ?? null,
      interval,
      // A booking blocks its buffers under the policy of when it was made or moved.
      blocked: interval && bufferedInterval(interval, policy),
      cap: this.capOf(kind),
      dailyLimit: interval && dailyLimitOf(kind, interval, timezone, policy),
      share:
        rules.clientShare && client && policy.maxClientShareMinutes !== null
          ? {
              minutes: policy.maxClientShareMinutes,
              address: this.config.get('CLIENT_SHARE_BY_ADDRESS', { infer: true }) ? client.address : null,
            }
          : null,
      holdMinutes: null,
      event,
    };
  }

  private capOf(kind: ChangeKind): number | null {
    const cap = CHANGE_RULES[kind].cap;
    if (cap === null) return null;
    return this.config.get(cap === 'holds' ? 'MAX_HOLDS_PER_USER' : 'MAX_FUTURE_BOOKINGS_PER_USER', { infer: true });
  }

  /**
   * The interval a target names and where it comes from, checked on the consultant's copy (`fresh`:
   * read again): a whole one-time slot or inside one occurrence of a bookable window, in the
   * future, passing the policy. `moving` is the booking being moved, whose own slot counts as
   * free. Whether the slot is still free, the day's count, the caps and overlaps are the writer's.
   */
  private async timeOf(
    manager: EntityManager,
    consultantId: number | undefined,
    target: Target,
    fresh: boolean,
    moving: BookingRow | null = null,
  ): Promise<{ consultant: ConsultantCopy; interval: Interval; source: Source }> {
    const now = Date.now();
    if ('slotId' in target) {
      const { consultant, startAt, endAt } = await this.copies.slot(manager, target.slotId, consultantId, fresh);
      const interval = { start: startAt, end: endAt };
      checkBookable(interval, now);
      checkPolicy(interval, consultant.policy, null, now);
      return { consultant, interval, source: { availabilityId: target.slotId, recurringId: null, windowStart: null } };
    }
    const consultant = await this.copies.consultant(manager, consultantId!, fresh);
    const { timezone, policy } = consultant;
    const interval = intervalOf(target, timezone);
    checkBookable(interval, now);
    const schedule = await this.repository.scheduleNear(manager, consultant.id, interval);
    const source = sourceIn(interval, schedule, timezone, policy, moving?.availabilityId ?? null);
    checkPolicy(interval, policy, source.windowStart, now);
    return { consultant, interval, source };
  }

  /** The booking or hold read again, after a decision on the earlier read was stale. */
  private async reread(manager: EntityManager, id: number, what: 'Booking' | 'Hold'): Promise<BookingRow> {
    const row = await this.repository.findById(id, manager);
    if (!row) throw notFound(`${what} ${id}`);
    return row;
  }
}

const sourceFields = (source: Source, interval: Interval) => ({
  availabilityId: source.availabilityId,
  recurringId: source.recurringId,
  startAt: new Date(interval.start),
  endAt: new Date(interval.end),
});
