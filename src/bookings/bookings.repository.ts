import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Raw, Repository } from 'typeorm';
import { Availability } from '../availability/entities/availability.entity';
import { Consultant } from '../consultants/entities/consultant.entity';
import { POLICY_FIELDS } from '../consultants/policy.mapper';
import { epochMs } from '../database/epoch-ms';
import { selectAs, sqlNames } from '../database/sql-names';
import { overrideDatesNear, overrideJson, type OverrideRow, toOverride } from '../recurring/date-override-rows';
import { DateOverride } from '../recurring/entities/date-override.entity';
import { RecurringRule } from '../recurring/entities/recurring-rule.entity';
import type { BookingPolicy, Interval, OneTimeSlot, WeeklyRule } from '../scheduling';
import type { BookingState, ChangeKind, ScheduleNear, WriteOutcome } from './engine/booking-rules';
import { Booking, type BookingStatus } from './entities/booking.entity';
import { IdempotencyKey } from './entities/idempotency-key.entity';

/** The statuses of bookings; `held` and `expired` are holds, which the booking routes never show. */
export const BOOKING_STATUSES = ['confirmed', 'cancelled'] as const;

/** A consultant's zone, policy and schedule version, as a booking is decided from them. */
export type ConsultantRow = { id: number; timezone: string; version: number } & BookingPolicy;

/** One call of the writer (booking-writer.sql): the change, as the engine decided it. */
export interface BookingChange {
  kind: ChangeKind;
  /** The booking or hold changed, with the status and sequence the decision read. */
  booking: { id: number; status: BookingStatus; sequence: number } | null;
  consultantId: number;
  /** The schedule version the decision read; null when the change does not depend on the schedule. */
  scheduleVersion: number | null;
  userId: number;
  slotId: number | null;
  recurringId: number | null;
  interval: Interval | null;
  blocked: Interval | null;
  cap: number | null;
  dailyLimit: { max: number; day: Interval } | null;
  /** The policy's client share, and the client address it also counts by (null: the user only). */
  share: { minutes: number; address: string | null } | null;
  holdMinutes: number | null;
  /** The event's data; the writer adds the booking's id and created_at. */
  event: { type: string; data: object } | null;
}

export interface Written {
  outcome: WriteOutcome;
  bookingId: number;
  createdAt: string | null;
  expiresAt: string | null;
}

/** A booking row with, for a hold, whether it has expired by the database's clock. */
export type BookingRow = Booking & BookingState;

/**
 * Every statement of the bookings module, named for what it does. The hot ones are plain SQL
 * built once from the entities' metadata; the schedule reads (`consultantCopy`, `slotCopy`,
 * `scheduleNear`) read the consultants, availability and recurring modules' tables, a named
 * exception (README, Layout) that keeps a booking at one or two round trips.
 */
@Injectable()
export class BookingsRepository {
  private readonly changeSql: string;
  private readonly findSql: string;
  private readonly consultantSql: string;
  private readonly slotSql: string;
  private readonly scheduleNearSql: string;
  private readonly purgeKeysSql: string;
  private readonly assignmentsSql: string;

  constructor(@InjectRepository(Booking) private readonly bookings: Repository<Booking>) {
    const db = bookings.manager.connection;
    const b = sqlNames<Booking>(bookings.metadata);
    const c = sqlNames<Consultant>(db.getMetadata(Consultant));
    const a = sqlNames<Availability>(db.getMetadata(Availability));
    const r = sqlNames<RecurringRule>(db.getMetadata(RecurringRule));
    const o = sqlNames<DateOverride>(db.getMetadata(DateOverride));
    this.changeSql = `SELECT outcome, booking_id AS "bookingId", created_at AS "createdAt", expires_at AS "expiresAt"
      FROM change_booking($1::text, $2::int, $3::text, $4::int, $5::int, $6::int, $7::int, $8::int, $9::int,
                          $10::timestamptz, $11::timestamptz, $12::timestamptz, $13::timestamptz, $14::int, $15::int,
                          $16::timestamptz, $17::timestamptz, $18::int, $19::text, $20::jsonb, $21::int, $22::inet)`;
    const columns = selectAs(b, [
      'id',
      'consultantId',
      'userId',
      'availabilityId',
      'recurringId',
      'startAt',
      'endAt',
      'status',
      'sequence',
      'expiresAt',
      'createdAt',
      'updatedAt',
    ]);
    this.findSql = `SELECT ${columns}, ${b.expiresAt} <= clock_timestamp() AS expired FROM ${b.table} WHERE ${b.id} = $1`;
    const consultant = `c.${c.id} AS id, c.${c.timezone} AS timezone, c.${c.scheduleVersion} AS version, ${selectAs(c, POLICY_FIELDS, 'c')}`;
    this.consultantSql = `SELECT ${consultant} FROM ${c.table} c WHERE c.${c.id} = $1`;
    // The slot's consultant ($1) when the request names one, else the slot's own.
    this.slotSql = `WITH s AS (SELECT ${a.id} AS id, ${a.consultantId} AS consultant_id, ${epochMs(a.startAt)} AS "startAt", ${epochMs(a.endAt)} AS "endAt"
                                 FROM ${a.table} WHERE ${a.id} = $2)
      SELECT ${consultant}, s.id AS "slotId", s."startAt", s."endAt"
        FROM ${c.table} c LEFT JOIN s ON s.consultant_id = c.${c.id}
       WHERE c.${c.id} = COALESCE($1::int, (SELECT consultant_id FROM s))`;
    // One index range of (consultant_id, start_at) per consultant.
    this.assignmentsSql = `SELECT p.id, count(b.${b.id})::int AS load, ${epochMs(`max(b.${b.createdAt})`)} AS "lastAssignedAt"
      FROM unnest($1::int[]) AS p(id)
      LEFT JOIN ${b.table} b ON b.${b.consultantId} = p.id AND b.${b.status} = 'confirmed' AND b.${b.startAt} >= $2 AND b.${b.startAt} < $3
     GROUP BY p.id`;
    const k = sqlNames<IdempotencyKey>(db.getMetadata(IdempotencyKey));
    this.purgeKeysSql = `DELETE FROM ${k.table} WHERE (${k.principal}, ${k.key}) IN (
        SELECT ${k.principal}, ${k.key} FROM ${k.table} WHERE ${k.createdAt} <= now() - make_interval(hours => $1)
         ORDER BY ${k.createdAt} LIMIT $2 FOR UPDATE SKIP LOCKED)`;
    this.scheduleNearSql = `WITH slots AS (SELECT ${a.id} AS "id", ${epochMs(a.startAt)} AS "start", ${epochMs(a.endAt)} AS "end", ${a.isBooked} AS "isBooked"
                           FROM ${a.table} WHERE ${a.consultantId} = $1 AND ${a.during} && tstzrange($2, $3))
       SELECT (SELECT json_agg(slots) FROM slots) AS slots,
              (SELECT json_agg(r) FROM (SELECT ${r.id} AS "id", ${r.dayOfWeek} AS "dayOfWeek", ${r.startTime}::text AS "startTime", ${r.endTime}::text AS "endTime",
                                               ${r.isActive} AS "isActive", ${r.validFrom}::text AS "validFrom", ${r.validUntil}::text AS "validUntil"
                                          FROM ${r.table} WHERE ${r.consultantId} = $1 AND ${r.isActive}) r) AS rules,
              (SELECT json_agg(${overrideJson(o, 'o')}) FROM ${o.table} o WHERE o.${o.consultantId} = $1 AND ${overrideDatesNear(o, 'o', '$2', '$3')}) AS overrides`;
  }

  /**
   * Deletes up to `batch` Idempotency-Keys older than `hours`, oldest first, and says how many:
   * a bounded batch holds its row locks briefly. Rows another purge (another instance's) or
   * their caller's own clean-up has locked are skipped, not waited for, and never deleted twice.
   */
  async purgeExpiredKeys(hours: number, batch: number): Promise<number> {
    // TypeORM answers a DELETE with [rows, count].
    const [, deleted] = await this.bookings.manager.query<[unknown[], number]>(this.purgeKeysSql, [hours, batch]);
    return deleted;
  }

  /** The manager of autocommitted statements, for a change outside an Idempotency-Key's transaction. */
  get autocommit(): EntityManager {
    return this.bookings.manager;
  }

  /** Applies one change through the writer, in one statement. */
  async applyChange(manager: EntityManager, change: BookingChange): Promise<Written> {
    const { interval, blocked, dailyLimit: limit } = change;
    const at = (instant: number | undefined) => (instant === undefined ? null : new Date(instant));
    const [written] = await manager.query<Written[]>(this.changeSql, [
      change.kind,
      change.booking?.id ?? null,
      change.booking?.status ?? null,
      change.booking?.sequence ?? null,
      change.consultantId,
      change.scheduleVersion,
      change.userId,
      change.slotId,
      change.recurringId,
      at(interval?.start),
      at(interval?.end),
      at(blocked?.start),
      at(blocked?.end),
      change.cap,
      limit?.max ?? null,
      at(limit?.day.start),
      at(limit?.day.end),
      change.holdMinutes,
      change.event?.type ?? null,
      change.event && JSON.stringify(change.event.data),
      change.share?.minutes ?? null,
      change.share?.address ?? null,
    ]);
    return written;
  }

  /**
   * Each consultant's confirmed bookings starting in the window, and when the latest of them was
   * made (null: none), for fair assignment (engine/fair-assignment.ts).
   */
  async assignments(
    consultantIds: readonly number[],
    window: Interval,
    manager = this.bookings.manager,
  ): Promise<Map<number, { load: number; lastAssignedAt: number | null }>> {
    const rows = await manager.query<{ id: number; load: number; lastAssignedAt: number | null }[]>(
      this.assignmentsSql,
      [consultantIds, new Date(window.start), new Date(window.end)],
    );
    return new Map(rows.map(({ id, ...counted }) => [id, counted]));
  }

  /** A booking or hold by id, with its hold's expiry judged by the database's clock. */
  async findById(id: number, manager = this.bookings.manager): Promise<BookingRow | null> {
    const [row] = await manager.query<BookingRow[]>(this.findSql, [id]);
    return row ?? null;
  }

  /** The consultant's zone, policy and schedule version. */
  async consultantCopy(manager: EntityManager, id: number): Promise<ConsultantRow | undefined> {
    const [row] = await manager.query<ConsultantRow[]>(this.consultantSql, [id]);
    return row;
  }

  /** A slot's time with its consultant's copy; `slotId` null when the consultant has no such slot. */
  async slotCopy(
    manager: EntityManager,
    slotId: number,
    consultantId: number | undefined,
  ): Promise<(ConsultantRow & { slotId: number | null; startAt: number; endAt: number }) | undefined> {
    const [row] = await manager.query<(ConsultantRow & { slotId: number | null; startAt: number; endAt: number })[]>(
      this.slotSql,
      [consultantId ?? null, slotId],
    );
    return row;
  }

  /** The consultant's slots overlapping the interval, and its active weekly rules and date overrides near it. */
  async scheduleNear(manager: EntityManager, consultantId: number, interval: Interval): Promise<ScheduleNear> {
    const [{ slots, rules, overrides }] = await manager.query<
      { slots: OneTimeSlot[] | null; rules: (WeeklyRule & { id: number })[] | null; overrides: OverrideRow[] | null }[]
    >(this.scheduleNearSql, [consultantId, new Date(interval.start), new Date(interval.end)]);
    return { slots: slots ?? [], rules: rules ?? [], overrides: (overrides ?? []).map(toOverride) };
  }

  /** Whether the consultant has confirmed bookings that have not ended, in the caller's transaction. */
  hasUpcoming(manager: EntityManager, consultantId: number): Promise<boolean> {
    return manager.exists(Booking, {
      where: { consultantId, status: 'confirmed', endAt: Raw((end) => `${end} > now()`) },
    });
  }

  /** One page of bookings in (start, id) order, after the cursor's position. */
  page(query: {
    consultantId?: number;
    userId?: number;
    statuses: readonly BookingStatus[];
    from: number | null;
    to: number | null;
    after: [number, number] | null;
    limit: number;
  }): Promise<Booking[]> {
    const qb = this.bookings
      .createQueryBuilder('b')
      .orderBy('b.startAt')
      .addOrderBy('b.id')
      .limit(query.limit)
      .andWhere('b.status IN (:...statuses)', { statuses: query.statuses });
    if (query.consultantId !== undefined) qb.andWhere('b.consultantId = :consultantId', query);
    if (query.userId !== undefined) qb.andWhere('b.userId = :userId', query);
    if (query.from !== null) qb.andWhere('b.endAt > :start', { start: new Date(query.from) });
    if (query.to !== null) qb.andWhere('b.startAt < :end', { end: new Date(query.to) });
    if (query.after)
      qb.andWhere('(b.startAt, b.id) > (:at, :id)', { at: new Date(query.after[0]), id: query.after[1] });
    return qb.getMany();
  }

  /**
   * What says that feed() would answer the same: how many bookings it lists, the last change of
   * one (a change sets updated_at; a new one is a new id), and the last rename of a consultant
   * it names (users keep their names). One aggregate over the same rows.
   */
  async feedVersion(owner: { consultantId: number } | { userId: number }, historyDays: number): Promise<unknown[]> {
    const [column, id] = 'consultantId' in owner ? ['consultant_id', owner.consultantId] : ['user_id', owner.userId];
    const [row] = await this.bookings.query<{ n: number; changed: string; last: number; renamed: string }[]>(
      `SELECT count(*)::int AS n, max(b.updated_at)::text AS changed, max(b.id) AS last, max(c.updated_at)::text AS renamed
         FROM bookings b JOIN consultants c ON c.id = b.consultant_id
        WHERE b.${column} = $1 AND b.status = ANY($2) AND b.end_at > now() - make_interval(days => $3)`,
      [id, [...BOOKING_STATUSES], historyDays],
    );
    return [row.n, row.changed, row.last, row.renamed];
  }

  /** A consultant's or a user's bookings (not holds) that end after `historyDays` ago, for a calendar feed. */
  feed(owner: { consultantId: number } | { userId: number }, historyDays: number) {
    return this.bookings.find({
      select: {
        id: true,
        consultantId: true,
        userId: true,
        startAt: true,
        endAt: true,
        status: true,
        sequence: true,
        updatedAt: true,
      },
      where: {
        ...owner,
        status: In([...BOOKING_STATUSES]),
        endAt: Raw((end) => `${end} > now() - make_interval(days => :days)`, { days: historyDays }),
      },
      order: { startAt: 'ASC', id: 'ASC' },
    });
  }
}
