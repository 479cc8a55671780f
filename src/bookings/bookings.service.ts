import { Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Raw, Repository } from 'typeorm';
import { AvailabilityService, type SlotFields } from '../availability/availability.service';
import { Availability } from '../availability/entities/availability.entity';
import { isPartyTo } from '../common/auth/ownership';
import type { Principal } from '../common/auth/principal';
import { decodeCursor, DEFAULT_LIMIT, toPage } from '../common/http/pagination';
import { badRequest, conflict, forbidden, notFound, unprocessable } from '../common/http/problem';
import { timeFields } from '../common/http/time-fields';
import type { AppConfig } from '../config/configuration';
import { lockConsultant } from '../consultants/consultant-lock';
import { ConsultantRemovalChecks } from '../consultants/consultant-removal';
import { ConsultantsService } from '../consultants/consultants.service';
import { epochMs } from '../database/epoch-ms';
import { recordEvent } from '../events/outbox';
import { selectAs, sqlNames } from '../database/sql-names';
import { localWindowOrBadRequest } from '../common/validation/local-window';
import { overrideDatesNear, overrideJson, type OverrideRow, toOverride } from '../recurring/date-override-rows';
import { DateOverride } from '../recurring/entities/date-override.entity';
import { RecurringRule } from '../recurring/entities/recurring-rule.entity';
import {
  bookableWindows,
  type BookingPolicy,
  bufferedInterval,
  type Interval,
  localDayOf,
  type PolicyRefusal,
  policyRefusal,
  type WeeklyRule,
  windowOf,
} from '../scheduling';
import { parseInstant, resolveBounds } from '../scheduling/query-range';
import type {
  BookingDto,
  BookingPageDto,
  BookingTargetDto,
  CreateBookingDto,
  CreateHoldDto,
  HoldDto,
  ListBookingsQuery,
} from './dto/booking.dto';
import { Booking } from './entities/booking.entity';
import { Idempotency } from './idempotency';

const DAY_MS = 86_400_000;

/** The advisory-lock namespace (first key of the two-int form) of a user's booking creations. */
const USER_BOOKINGS_LOCK = 1;

/**
 * Serialises the creation of one user's bookings for the rest of the transaction, so that the
 * per-user cap counts every booking committed before: without it, two bookings at two
 * consultants (two different row locks) each see the other's user one short of the cap. An
 * advisory lock rather than a row lock on the user: a booking's write stays within one
 * consultant's rows.
 */
async function lockUserBookings(manager: EntityManager, userId: number): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock($1::int, $2::int)`, [USER_BOOKINGS_LOCK, userId]);
}

/** The booking's columns a client sees. */
const DTO_FIELDS = [
  'id',
  'consultantId',
  'userId',
  'availabilityId',
  'recurringId',
  'startAt',
  'endAt',
  'status',
  'createdAt',
] as const;
type BookingFields = Pick<Booking, (typeof DTO_FIELDS)[number]>;
const HOLD_FIELDS = [...DTO_FIELDS, 'expiresAt'] as const;
type HoldFields = Pick<Booking, (typeof HOLD_FIELDS)[number]>;

/** The statuses of bookings; `held` and `expired` are holds, which the booking routes never show. */
const BOOKING_STATUSES = ['confirmed', 'cancelled'] as const;
const isBooking = (b: { status: string }): b is { status: 'confirmed' | 'cancelled' } =>
  (BOOKING_STATUSES as readonly string[]).includes(b.status);
const isHold = (b: { status: string }) => b.status === 'held' || b.status === 'expired';

const DEFAULT_HOLD_MINUTES = 10;

const toDto = (b: BookingFields, zone: string): BookingDto => ({
  id: b.id,
  consultant_id: b.consultantId,
  user_id: b.userId,
  availability_id: b.availabilityId,
  recurring_id: b.recurringId,
  ...timeFields(b.startAt.getTime(), b.endAt.getTime(), zone),
  status: b.status as BookingDto['status'],
  created_at: b.createdAt.toISOString(),
});

const toHoldDto = (h: HoldFields, zone: string): HoldDto => ({
  id: h.id,
  consultant_id: h.consultantId,
  user_id: h.userId,
  availability_id: h.availabilityId,
  recurring_id: h.recurringId,
  ...timeFields(h.startAt.getTime(), h.endAt.getTime(), zone),
  expires_at: h.expiresAt!.toISOString(),
});

/** Whose hold it is to book or release: its user's, or the admin's. */
const isHolder = (principal: Principal, hold: { userId: number }) =>
  principal.role === 'admin' || (principal.role === 'user' && principal.id === hold.userId);

/** A booking as a calendar feed shows it (src/calendar/calendar-feed.service.ts). */
export type FeedEntry = Pick<
  Booking,
  'id' | 'consultantId' | 'userId' | 'startAt' | 'endAt' | 'status' | 'sequence' | 'updatedAt'
>;

/** What a booking request asks for, before it is checked against availability. */
type Target =
  { slotId: number } | { local: { date: string; start_time: string; end_time: string } } | { interval: Interval };

/** Where an accepted interval came from. */
interface Source {
  availabilityId: number | null;
  recurringId: number | null;
  /** The start of the window the interval lies in, from which the policy's grid counts; null for a one-time slot. */
  windowStart: number | null;
}

/** The policy's refusal of a start time, naming its rule and the policy's number. */
function assertPolicyAllows(interval: Interval, policy: BookingPolicy, windowStart: number | null): void {
  const refusal = policyRefusal(interval.start, policy, Date.now(), windowStart);
  if (refusal !== null) throw unprocessable(refusal, POLICY_REFUSALS[refusal](policy, windowStart));
}

const POLICY_REFUSALS: Record<PolicyRefusal, (policy: BookingPolicy, windowStart: number | null) => string> = {
  'too-soon': (p) => `Bookings with this consultant must start at least ${p.minimumNoticeMinutes} minutes from now.`,
  'beyond-horizon': (p) => `Bookings with this consultant may start at most ${p.bookingHorizonDays} days ahead.`,
  'off-grid': (p, windowStart) =>
    `Bookings of this window start on the consultant's ${p.slotMinutes}-minute grid, counted from the window's start at ${new Date(windowStart!).toISOString()}.`,
};

const dailyLimit = (policy: BookingPolicy) =>
  unprocessable(
    'daily-limit',
    `This consultant takes at most ${policy.maxBookingsPerDay} bookings a day, and that day is full; pick another day.`,
  );

function assertBookable(interval: Interval): void {
  if (interval.end - interval.start > DAY_MS)
    throw badRequest('A booking is at most 24 hours long', [
      { field: 'end', message: 'is more than 24 hours after start' },
    ]);
  if (interval.start <= Date.now()) throw unprocessable('in-the-past', 'Bookings must start in the future.');
}

/** A one-time slot is booked whole and once; the booking being moved may keep its own. */
function wholeSlot(slot: SlotFields, moving: BookingFields | null): Source {
  if (slot.isBooked && slot.id !== moving?.availabilityId)
    throw conflict('time-taken', 'That slot is already booked; pick another.');
  return { availabilityId: slot.id, recurringId: null, windowStart: null };
}

@Injectable()
export class BookingsService implements OnModuleInit {
  /**
   * POST /bookings is five statements (begin, lockConsultant, sourcesSql, this, commit): 0.57 ms
   * of Node CPU per request, where the ten it took before cost 0.74 (bench/RESULTS.md). Here the
   * per-user cap is the insert's own condition and RETURNING is the answer; a repository's
   * insert would need a count before it and a read after.
   */
  private readonly insertSql: string;
  /**
   * The consultant's slots overlapping the interval, row-locked, and active weekly rules, in
   * one round trip. It reads the availability and recurring modules' tables: a named exception
   * (README, Layout) to reading through their services, which would add a round trip to the
   * booking's five.
   */
  private readonly sourcesSql: string;
  /** The same for a hold: its user's live holds are the cap, and it lives $13 minutes. */
  private readonly holdInsertSql: string;
  /** Turns hold $1 into a booking unless its user's cap ($2) is reached. */
  private readonly convertSql: string;
  /** The hold, row-locked, and whether it has expired by the database's clock. */
  private readonly lockHoldSql: string;
  /** Marks the consultant's holds that have expired, so that they stop meeting the exclusion constraint. */
  private readonly expireSql: string;
  /** Confirmed bookings and live holds of the consultant starting in [$2, $3), but the one with id $4 (being moved). */
  private readonly dayCountSql: string;

  constructor(
    @InjectRepository(Booking) private readonly bookings: Repository<Booking>,
    private readonly idempotency: Idempotency,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly consultants: ConsultantsService,
    private readonly slots: AvailabilityService,
    private readonly removalChecks: ConsultantRemovalChecks,
  ) {
    const db = bookings.manager.connection;
    const b = sqlNames<Booking>(bookings.metadata);
    const a = sqlNames<Availability>(db.getMetadata(Availability));
    const r = sqlNames<RecurringRule>(db.getMetadata(RecurringRule));
    const o = sqlNames<DateOverride>(db.getMetadata(DateOverride));
    // $7 is the user's cap; $10 the policy's daily limit (null: none), counted over the local day
    // [$11, $12), live holds included (marked expired first): exact, since every writer of the
    // consultant's bookings holds its row lock.
    const insert = (
      status: 'confirmed' | 'held',
      mine: string,
      expiresAt: string,
      fields: readonly (keyof Booking & string)[],
    ) =>
      `INSERT INTO ${b.table} (${b.consultantId}, ${b.userId}, ${b.availabilityId}, ${b.recurringId}, ${b.startAt}, ${b.endAt}, ${b.blockedStartAt}, ${b.blockedEndAt}, ${b.status}, ${b.expiresAt})
         SELECT $1::int, $2::int, $3::int, $4::int, $5::timestamptz, $6::timestamptz, $8::timestamptz, $9::timestamptz, '${status}', ${expiresAt}
          WHERE (SELECT count(*) FROM (SELECT 1 FROM ${b.table} WHERE ${b.userId} = $2 AND ${mine} LIMIT $7) mine) < $7
            AND ($10::int IS NULL OR (SELECT count(*) FROM (SELECT 1 FROM ${b.table} WHERE ${b.consultantId} = $1 AND ${b.status} IN ('confirmed', 'held')
                                                             AND ${b.startAt} >= $11::timestamptz AND ${b.startAt} < $12::timestamptz LIMIT $10) today) < $10)
         RETURNING ${selectAs(b, fields)}`;
    const upcoming = `${b.status} = 'confirmed' AND ${b.endAt} > now()`;
    this.insertSql = insert('confirmed', upcoming, 'NULL', DTO_FIELDS);
    this.holdInsertSql = insert(
      'held',
      `${b.status} = 'held' AND ${b.expiresAt} > clock_timestamp()`,
      `clock_timestamp() + make_interval(mins => $13::int)`,
      HOLD_FIELDS,
    );
    this.convertSql = `UPDATE ${b.table} SET ${b.status} = 'confirmed', ${b.expiresAt} = NULL, ${b.updatedAt} = now()
         WHERE ${b.id} = $1 AND ${b.status} = 'held'
           AND (SELECT count(*) FROM (SELECT 1 FROM ${b.table} me WHERE me.${b.userId} = ${b.table}.${b.userId} AND me.${upcoming} LIMIT $2) mine) < $2
         RETURNING ${selectAs(b, DTO_FIELDS)}`;
    this.lockHoldSql = `SELECT ${b.status} AS status, ${b.startAt} AS "startAt", ${b.expiresAt} AS "expiresAt", ${b.expiresAt} <= clock_timestamp() AS expired
         FROM ${b.table} WHERE ${b.id} = $1 FOR UPDATE`;
    this.expireSql = `UPDATE ${b.table} SET ${b.status} = 'expired' WHERE ${b.consultantId} = $1 AND ${b.status} = 'held' AND ${b.expiresAt} <= clock_timestamp()`;
    this.dayCountSql = `SELECT count(*)::int AS n FROM ${b.table} WHERE ${b.consultantId} = $1 AND ${b.status} IN ('confirmed', 'held') AND ${b.startAt} >= $2 AND ${b.startAt} < $3 AND ${b.id} <> $4`;
    this.sourcesSql = `WITH slots AS (SELECT ${a.id} AS "id", ${epochMs(a.startAt)} AS "startAt", ${epochMs(a.endAt)} AS "endAt", ${a.isBooked} AS "isBooked"
                           FROM ${a.table} WHERE ${a.consultantId} = $1 AND ${a.during} && tstzrange($2, $3) FOR UPDATE)
       SELECT (SELECT json_agg(slots) FROM slots) AS slots,
              (SELECT json_agg(r) FROM (SELECT ${r.id} AS "id", ${r.dayOfWeek} AS "dayOfWeek", ${r.startTime}::text AS "startTime", ${r.endTime}::text AS "endTime",
                                               ${r.isActive} AS "isActive", ${r.validFrom}::text AS "validFrom", ${r.validUntil}::text AS "validUntil"
                                          FROM ${r.table} WHERE ${r.consultantId} = $1 AND ${r.isActive}) r) AS rules,
              (SELECT json_agg(${overrideJson(o, 'o')}) FROM ${o.table} o WHERE o.${o.consultantId} = $1 AND ${overrideDatesNear(o, 'o', '$2', '$3')}) AS overrides`;
  }

  /** A consultant with upcoming confirmed bookings stays: clients rely on those. */
  onModuleInit(): void {
    this.removalChecks.add(async (manager, consultantId) => {
      const upcoming = await manager.exists(Booking, {
        where: { consultantId, status: 'confirmed', endAt: Raw((end) => `${end} > now()`) },
      });
      if (upcoming)
        throw conflict(
          'consultant-has-bookings',
          `Consultant ${consultantId} has upcoming confirmed bookings; cancel them first.`,
        );
    });
  }

  async create(
    principal: Principal,
    dto: CreateBookingDto,
    pathConsultantId: number | undefined,
    idempotencyKey: string | undefined,
  ): Promise<BookingDto> {
    if (dto.hold_id !== undefined) return this.bookHold(principal, dto, dto.hold_id, pathConsultantId, idempotencyKey);
    const userId = this.bookerOf(principal, dto.user_id);
    const target = parseTarget(dto);
    if (pathConsultantId !== undefined && dto.consultant_id !== undefined && dto.consultant_id !== pathConsultantId) {
      throw badRequest('consultant_id differs from the consultant in the path', [
        { field: 'consultant_id', message: 'must match the path' },
      ]);
    }
    const consultantId = pathConsultantId ?? dto.consultant_id ?? (await this.consultantOfSlot(target));
    return this.idempotency.run(principal, idempotencyKey, { consultantId, dto }, async (manager) => {
      const max = this.config.get('MAX_FUTURE_BOOKINGS_PER_USER', { infer: true });
      const placed = await this.place<BookingFields>(manager, this.insertSql, userId, consultantId, target, max, []);
      if (!placed.row)
        throw unprocessable(
          'booking-limit',
          `You already hold ${max} upcoming bookings, the most one account may; cancel one to book another.`,
        );
      if (placed.row.availabilityId !== null) await this.slots.setBooked(manager, placed.row.availabilityId, true);
      const booking = toDto(placed.row, placed.timezone);
      await recordEvent(manager, { type: 'booking.created', consultantId, data: booking });
      return booking;
    });
  }

  /**
   * POST /holds: reserves free time (any of the three target forms) for hold_minutes, checked
   * exactly like a booking. While it lives nobody else can book or hold that time: it is a row
   * the bookings' exclusion constraint covers.
   */
  async hold(principal: Principal, dto: CreateHoldDto): Promise<HoldDto> {
    const userId = this.bookerOf(principal, dto.user_id);
    const target = parseTarget(dto);
    const consultantId = dto.consultant_id ?? (await this.consultantOfSlot(target));
    return this.bookings.manager.transaction(async (manager) => {
      const max = this.config.get('MAX_HOLDS_PER_USER', { infer: true });
      const minutes = dto.hold_minutes ?? DEFAULT_HOLD_MINUTES;
      const placed = await this.place<HoldFields>(manager, this.holdInsertSql, userId, consultantId, target, max, [
        minutes,
      ]);
      if (!placed.row)
        throw unprocessable(
          'hold-limit',
          `You already have ${max} live holds, the most one account may; book or release one first.`,
        );
      return toHoldDto(placed.row, placed.timezone);
    });
  }

  /** DELETE /holds/{id}: the time is free again at once. A hold that expired goes too. */
  async release(principal: Principal, id: number): Promise<void> {
    const found = await this.holdOf(principal, id);
    await this.bookings.manager.transaction(async (manager) => {
      await lockConsultant(manager, found.consultantId);
      const { affected } = await manager.delete(Booking, { id, status: In(['held', 'expired']) });
      if (!affected) throw notFound(`Hold ${id}`);
    });
  }

  /**
   * POST /bookings with hold_id: the hold becomes the booking, in place (its id is the
   * booking's), atomically: its time was checked when it was made and has been blocked since.
   * Only its holder (or the admin) may; an expired hold is a 422 hold-expired.
   */
  private async bookHold(
    principal: Principal,
    dto: CreateBookingDto,
    holdId: number,
    pathConsultantId: number | undefined,
    idempotencyKey: string | undefined,
  ): Promise<BookingDto> {
    if (principal.role === 'consultant') throw forbidden('Only users (or the admin) book.');
    const given = (['availability_id', 'start', 'end', 'date', 'start_time', 'end_time'] as const).filter(
      (field) => dto[field] !== undefined,
    );
    if (given.length)
      throw badRequest('hold_id names the time already: give no other target', [
        { field: given[0], message: 'must be left out with hold_id' },
      ]);
    const found = await this.holdOf(principal, holdId);
    const mismatch = [
      dto.consultant_id !== undefined && dto.consultant_id !== found.consultantId && 'consultant_id',
      pathConsultantId !== undefined && pathConsultantId !== found.consultantId && 'consultant_id',
      dto.user_id !== undefined && dto.user_id !== found.userId && 'user_id',
    ].filter((field): field is string => typeof field === 'string');
    if (mismatch.length)
      throw badRequest(`The hold belongs to another ${mismatch[0].replace('_id', '')}`, [
        { field: mismatch[0], message: "must be the hold's" },
      ]);
    const consultantId = found.consultantId;
    return this.idempotency.run(principal, idempotencyKey, { consultantId, dto }, async (manager) => {
      await lockUserBookings(manager, found.userId);
      const { timezone } = await lockConsultant(manager, consultantId);
      const [hold] = await manager.query<{ status: string; expired: boolean; startAt: Date; expiresAt: Date }[]>(
        this.lockHoldSql,
        [holdId],
      );
      if (!hold || !isHold(hold)) throw notFound(`Hold ${holdId}`);
      if (hold.status === 'expired' || hold.expired)
        throw unprocessable(
          'hold-expired',
          `Hold ${holdId} expired at ${hold.expiresAt.toISOString()}; hold or book the time again.`,
        );
      assertBookable({ start: hold.startAt.getTime(), end: hold.startAt.getTime() + 1 });
      const max = this.config.get('MAX_FUTURE_BOOKINGS_PER_USER', { infer: true });
      const [rows] = await manager.query<[BookingFields[], number]>(this.convertSql, [holdId, max]);
      if (!rows.length)
        throw unprocessable(
          'booking-limit',
          `You already hold ${max} upcoming bookings, the most one account may; cancel one to book another.`,
        );
      if (rows[0].availabilityId !== null) await this.slots.setBooked(manager, rows[0].availabilityId, true);
      // A hold is no event (nothing is booked yet); the booking it becomes is.
      const booking = toDto(rows[0], timezone);
      await recordEvent(manager, { type: 'booking.created', consultantId, data: booking });
      return booking;
    });
  }

  /**
   * Places a booking or a hold (`sql`, insertSql or holdInsertSql, whose extra parameters are
   * `extra`) under the user's and the consultant's locks, after the checks every booking passes.
   * Null when the user's cap (`cap`) refused it; a full day is a 422 daily-limit.
   */
  private async place<Row>(
    manager: EntityManager,
    sql: string,
    userId: number,
    consultantId: number,
    target: Target,
    cap: number,
    extra: unknown[],
  ): Promise<{ row: Row | null; timezone: string }> {
    // The user first, then the consultant, always in this order: a user's bookings at several
    // consultants queue here without holding a consultant's row lock while they wait.
    await lockUserBookings(manager, userId);
    const { timezone, policy } = await lockConsultant(manager, consultantId);
    await this.expireHolds(manager, consultantId);
    const { interval, source } = await this.accept(manager, consultantId, timezone, policy, target, null);
    const blocked = bufferedInterval(interval, policy);
    const day = policy.maxBookingsPerDay === null ? null : localDayOf(interval.start, timezone);
    // One round trip: the cap and the daily limit are the insert's conditions, exact because the
    // user's and the consultant's locks are held (the counts' snapshot is taken after them, so it
    // sees every booking committed before); an overlap of the blocked time, buffers included, with
    // a booking or a live hold is refused by the exclusion constraint (bookings_blocked_no_overlap,
    // a 409 time-taken).
    const [row] = await manager.query<Row[]>(sql, [
      consultantId,
      userId,
      source.availabilityId,
      source.recurringId,
      new Date(interval.start),
      new Date(interval.end),
      cap,
      new Date(blocked.start),
      new Date(blocked.end),
      policy.maxBookingsPerDay,
      day && new Date(day.start),
      day && new Date(day.end),
      ...extra,
    ]);
    // Which condition refused it: the day's count is cheaper to ask again than to return.
    if (!row && day && (await this.bookingsOnDay(manager, consultantId, day, 0)) >= policy.maxBookingsPerDay!)
      throw dailyLimit(policy);
    return { row: row ?? null, timezone };
  }

  /**
   * Marks the consultant's expired holds, under its lock, before a write that could meet them:
   * an expired hold stops blocking at its expiry without a background job.
   */
  private async expireHolds(manager: EntityManager, consultantId: number): Promise<void> {
    await manager.query(this.expireSql, [consultantId]);
  }

  /** The hold if the caller is its holder (or the admin); otherwise a 404 that does not reveal it exists. */
  private async holdOf(principal: Principal, id: number): Promise<Booking> {
    const hold = await this.bookings.findOneBy({ id });
    if (!hold || !isHold(hold) || !isHolder(principal, hold)) throw notFound(`Hold ${id}`);
    return hold;
  }

  async get(principal: Principal, id: number): Promise<BookingDto> {
    const booking = await this.visible(principal, id);
    return toDto(booking, (await this.consultants.get(booking.consultantId)).timezone);
  }

  async list(principal: Principal, query: ListBookingsQuery): Promise<BookingPageDto> {
    const scope = { consultant_id: query.consultant_id, user_id: query.user_id };
    // Each caller sees only its own side; asking for someone else's is refused, not emptied.
    if (principal.role !== 'admin') {
      const own = principal.role === 'consultant' ? 'consultant_id' : 'user_id';
      if (scope[own] !== undefined && scope[own] !== principal.id)
        throw forbidden(`You may list only your own bookings (${own}=${principal.id}).`);
      scope[own] = principal.id;
    }
    const limit = query.limit ?? DEFAULT_LIMIT;
    const qb = this.bookings
      .createQueryBuilder('b')
      .orderBy('b.startAt')
      .addOrderBy('b.id')
      .limit(limit + 1);
    if (scope.consultant_id !== undefined)
      qb.andWhere('b.consultantId = :consultantId', { consultantId: scope.consultant_id });
    if (scope.user_id !== undefined) qb.andWhere('b.userId = :userId', { userId: scope.user_id });
    qb.andWhere('b.status IN (:...statuses)', { statuses: query.status ? [query.status] : BOOKING_STATUSES });
    const { start, end } = resolveBounds(query.from, query.to, 'UTC');
    if (start !== null) qb.andWhere('b.endAt > :start', { start: new Date(start) });
    if (end !== null) qb.andWhere('b.startAt < :end', { end: new Date(end) });
    if (query.cursor) {
      const [at, id] = decodeCursor<[string, number]>(query.cursor, ['instant', 'number']);
      qb.andWhere('(b.startAt, b.id) > (:at, :id)', { at: new Date(at), id });
    }
    const page = toPage(
      await qb.getMany(),
      limit,
      (b) => b,
      (b) => [b.startAt.toISOString(), b.id],
    );
    const consultants = await this.consultants.getMany(page.data.map((b) => b.consultantId));
    return {
      // A consultant deleted between the two reads took its bookings along (ON DELETE CASCADE).
      data: page.data
        .filter((b) => consultants.has(b.consultantId))
        .map((b) => toDto(b, consultants.get(b.consultantId)!.timezone)),
      next_cursor: page.next_cursor,
    };
  }

  /** A consultant's or a user's bookings that end after `historyDays` ago, for a calendar feed. */
  feed(owner: { consultantId: number } | { userId: number }, historyDays: number): Promise<FeedEntry[]> {
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
        // Holds are not events.
        status: In([...BOOKING_STATUSES]),
        endAt: Raw((end) => `${end} > now() - make_interval(days => :days)`, { days: historyDays }),
      },
      order: { startAt: 'ASC', id: 'ASC' },
    });
  }

  /** The time is freed in the same transaction; cancelling twice is a no-op. */
  async cancel(principal: Principal, id: number): Promise<BookingDto> {
    const { consultantId } = await this.visible(principal, id);
    return this.bookings.manager.transaction(async (manager) => {
      const { timezone } = await lockConsultant(manager, consultantId);
      const booking = await this.lockBooking(manager, id);
      if (booking.status === 'cancelled') return toDto(booking, timezone);
      if (booking.endAt.getTime() <= Date.now())
        throw unprocessable('booking-in-past', 'A booking that has already ended cannot be cancelled.');
      await manager.update(Booking, { id }, { status: 'cancelled', sequence: () => 'sequence + 1' });
      if (booking.availabilityId !== null) await this.slots.setBooked(manager, booking.availabilityId, false);
      const cancelled = toDto({ ...booking, status: 'cancelled' }, timezone);
      await recordEvent(manager, { type: 'booking.cancelled', consultantId, data: cancelled });
      return cancelled;
    });
  }

  /** Moves the booking in place (same id, higher sequence); on any refusal it stays as it was. */
  async reschedule(principal: Principal, id: number, dto: BookingTargetDto): Promise<BookingDto> {
    const found = await this.visible(principal, id);
    if (principal.role === 'consultant') throw forbidden("Only the booking's user or the admin may reschedule it.");
    const target = parseTarget(dto);
    return this.bookings.manager.transaction(async (manager) => {
      const { timezone, policy } = await lockConsultant(manager, found.consultantId);
      await this.expireHolds(manager, found.consultantId);
      const booking = await this.lockBooking(manager, id);
      if (booking.status !== 'confirmed')
        throw conflict('booking-cancelled', 'A cancelled booking cannot be rescheduled; book anew.');
      if (booking.startAt.getTime() <= Date.now())
        throw unprocessable('booking-in-past', 'A booking that has already started cannot be rescheduled.');
      const { interval, source } = await this.accept(manager, booking.consultantId, timezone, policy, target, booking);
      if (policy.maxBookingsPerDay !== null) {
        const day = localDayOf(interval.start, timezone);
        if ((await this.bookingsOnDay(manager, booking.consultantId, day, id)) >= policy.maxBookingsPerDay)
          throw dailyLimit(policy);
      }
      if (booking.availabilityId !== null) await this.slots.setBooked(manager, booking.availabilityId, false);
      // The moved booking blocks its buffers under today's policy, like a new one.
      const blocked = bufferedInterval(interval, policy);
      const moved = {
        startAt: new Date(interval.start),
        endAt: new Date(interval.end),
        blockedStartAt: new Date(blocked.start),
        blockedEndAt: new Date(blocked.end),
        availabilityId: source.availabilityId,
        recurringId: source.recurringId,
      };
      // An overlap with another booking's blocked time is refused by the exclusion constraint (409 time-taken).
      await manager.update(Booking, { id }, { ...moved, sequence: () => 'sequence + 1' });
      if (source.availabilityId !== null) await this.slots.setBooked(manager, source.availabilityId, true);
      const rescheduled = toDto({ ...booking, ...moved }, timezone);
      await recordEvent(manager, {
        type: 'booking.rescheduled',
        consultantId: booking.consultantId,
        data: rescheduled,
      });
      return rescheduled;
    });
  }

  /**
   * Checks a target under the consultant's lock: the interval must be a whole free one-time slot
   * or lie inside one occurrence of an active weekly window, and start in the future. `moving` is
   * the booking being rescheduled, whose own slot counts as free. Overlaps with other bookings
   * are left to the exclusion constraint, which the write that follows meets.
   */
  private async accept(
    manager: EntityManager,
    consultantId: number,
    zone: string,
    policy: BookingPolicy,
    target: Target,
    moving: BookingFields | null,
  ): Promise<{ interval: Interval; source: Source }> {
    if ('slotId' in target) {
      const slot = await this.slots.lockSlot(manager, consultantId, target.slotId);
      const interval = { start: slot.startAt, end: slot.endAt };
      assertBookable(interval);
      assertPolicyAllows(interval, policy, null);
      return { interval, source: wholeSlot(slot, moving) };
    }
    const interval = 'interval' in target ? target.interval : localWindowOrBadRequest(target.local, zone);
    assertBookable(interval);
    const source = await this.sourceOf(manager, consultantId, zone, policy, interval, moving);
    assertPolicyAllows(interval, policy, source.windowStart);
    return { interval, source };
  }

  /** The consultant's confirmed bookings starting on the local day, but `exceptId`'s. */
  private async bookingsOnDay(manager: EntityManager, consultantId: number, day: Interval, exceptId: number) {
    const [{ n }] = await manager.query<{ n: number }[]>(this.dayCountSql, [
      consultantId,
      new Date(day.start),
      new Date(day.end),
      exceptId,
    ]);
    return n;
  }

  /** A one-time slot exactly matching the interval, else an occurrence of a weekly window containing it. */
  private async sourceOf(
    manager: EntityManager,
    consultantId: number,
    zone: string,
    policy: BookingPolicy,
    interval: Interval,
    moving: BookingFields | null,
  ): Promise<Source> {
    const [{ slots, rules, overrides }] = await manager.query<
      {
        slots: SlotFields[] | null;
        rules: (WeeklyRule & { id: number })[] | null;
        overrides: OverrideRow[] | null;
      }[]
    >(this.sourcesSql, [consultantId, new Date(interval.start), new Date(interval.end)]);
    const overlapping = slots ?? [];
    const whole = overlapping.find((s) => s.startAt === interval.start && s.endAt === interval.end);
    if (whole) return wholeSlot(whole, moving);
    const windows = bookableWindows(rules ?? [], (overrides ?? []).map(toOverride), zone, interval);
    const window = windowOf(windows, interval, policy);
    if (window) return { availabilityId: null, recurringId: window.ruleId ?? null, windowStart: window.start };
    const partial = overlapping[0];
    throw unprocessable(
      'outside-availability',
      partial
        ? `One-time slots are booked whole: slot ${partial.id} runs ${new Date(partial.startAt).toISOString()}–${new Date(partial.endAt).toISOString()}.`
        : 'The consultant is not available for that whole time.',
    );
  }

  private bookerOf(principal: Principal, userId: number | undefined): number {
    if (principal.role === 'admin') {
      if (userId === undefined)
        throw badRequest('The admin books on behalf of a user: give user_id', [
          { field: 'user_id', message: 'is required for the admin' },
        ]);
      return userId;
    }
    if (principal.role !== 'user') throw forbidden('Only users (or the admin) book.');
    if (userId !== undefined && userId !== principal.id) throw forbidden('A user books only for themselves.');
    return principal.id;
  }

  private consultantOfSlot(target: Target): Promise<number> {
    if (!('slotId' in target))
      throw badRequest('consultant_id is required unless availability_id is given', [
        { field: 'consultant_id', message: 'is required' },
      ]);
    return this.slots.consultantOf(target.slotId);
  }

  /** The booking if the caller is a party to it; otherwise a 404 that does not reveal it exists. */
  private async visible(principal: Principal, id: number): Promise<Booking> {
    const booking = await this.bookings.findOneBy({ id });
    if (!booking || !isBooking(booking) || !isPartyTo(principal, booking)) throw notFound(`Booking ${id}`);
    return booking;
  }

  /** The booking, row-locked for the rest of the caller's transaction. */
  private async lockBooking(manager: EntityManager, id: number): Promise<Booking> {
    const booking = await manager.findOne(Booking, { where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!booking) throw notFound(`Booking ${id}`);
    return booking;
  }
}

/** Exactly one of the three target forms, complete. */
function parseTarget(dto: BookingTargetDto): Target {
  const forms = [
    dto.availability_id !== undefined && 'availability_id',
    (dto.start !== undefined || dto.end !== undefined) && 'start/end',
    (dto.date !== undefined || dto.start_time !== undefined || dto.end_time !== undefined) &&
      'date/start_time/end_time',
  ].filter(Boolean);
  if (forms.length !== 1) {
    throw badRequest(
      `Give exactly one of: availability_id; start and end; date, start_time and end_time (got ${forms.join(', ') || 'none'})`,
      [{ field: 'availability_id', message: 'or start/end, or date/start_time/end_time' }],
    );
  }
  if (dto.availability_id !== undefined) return { slotId: dto.availability_id };
  if (forms[0] === 'start/end') {
    if (dto.start === undefined || dto.end === undefined)
      throw badRequest('Give both start and end', [
        { field: dto.start === undefined ? 'start' : 'end', message: 'is required' },
      ]);
    const interval = { start: parseInstant(dto.start)!, end: parseInstant(dto.end)! };
    if (interval.end <= interval.start)
      throw badRequest('end must be after start', [{ field: 'end', message: 'must be after start' }]);
    return { interval };
  }
  const missing = (['date', 'start_time', 'end_time'] as const).filter((f) => dto[f] === undefined);
  if (missing.length)
    throw badRequest(
      `Give date, start_time and end_time (missing ${missing.join(', ')})`,
      missing.map((field) => ({ field, message: 'is required' })),
    );
  return { local: { date: dto.date!, start_time: dto.start_time!, end_time: dto.end_time! } };
}
