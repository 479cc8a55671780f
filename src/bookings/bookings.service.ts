import { Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Raw, Repository } from 'typeorm';
import { AvailabilityService, type SlotFields } from '../availability/availability.service';
import { Availability } from '../availability/entities/availability.entity';
import { isPartyTo } from '../common/auth/ownership';
import type { Principal } from '../common/auth/principal';
import { decodeCursor, DEFAULT_LIMIT, toPage } from '../common/http/pagination';
import { badRequest, conflict, forbidden, notFound, ProblemException, unprocessable } from '../common/http/problem';
import { timeFields } from '../common/http/time-fields';
import type { AppConfig } from '../config/configuration';
import { lockConsultant } from '../consultants/consultant-lock';
import { ConsultantRemovalChecks } from '../consultants/consultant-removal';
import { ConsultantsService } from '../consultants/consultants.service';
import { epochMs } from '../database/epoch-ms';
import { recordEvent } from '../events/outbox';
import { OutboxRelay } from '../events/outbox-relay';
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
import { User } from '../users/entities/user.entity';
import { Booking } from './entities/booking.entity';
import { Idempotency } from './idempotency';
import { type ConsultantCopy, ScheduleCopies } from './schedule-copies';

const DAY_MS = 86_400_000;

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
type HoldFields = BookingFields & Pick<Booking, 'expiresAt'>;

/** The statuses of bookings; `held` and `expired` are holds, which the booking routes never show. */
const BOOKING_STATUSES = ['confirmed', 'cancelled'] as const;
const isBooking = (b: { status: string }): b is { status: 'confirmed' | 'cancelled' } =>
  (BOOKING_STATUSES as readonly string[]).includes(b.status);
const isHold = (b: { status: string }) => b.status === 'held' || b.status === 'expired';

const DEFAULT_HOLD_MINUTES = 10;

/** Reads of a schedule that changed under a booking before it gives up with a 409 (place). */
const MAX_STALE_ATTEMPTS = 3;

/** place_booking's answer (migration OneStatementBooking). */
interface Placed {
  outcome: 'placed' | 'stale' | 'no-consultant' | 'slot-taken' | 'daily-limit' | 'cap';
  bookingId: number;
  createdAt: string | null;
  expiresAt: string | null;
}
const PLACE_BOOKING = `SELECT outcome, booking_id AS "bookingId", created_at AS "createdAt", expires_at AS "expiresAt"
  FROM place_booking($1::int, $2::int, $3::int, $4::int, $5::int, $6::timestamptz, $7::timestamptz, $8::timestamptz,
                     $9::timestamptz, $10::int, $11::int, $12::timestamptz, $13::timestamptz, $14::int, $15::jsonb)`;

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
   * The consultant's slots overlapping the interval, and its active weekly rules and date
   * overrides near it, in one round trip: row-locked (`locked`) for a reschedule, as they are in
   * a booking's read before place_booking (`read`). It reads the availability and recurring
   * modules' tables: a named exception (README, Layout) to reading through their services, which
   * would add round trips to the booking's one or two.
   */
  private readonly sourcesSql: { read: string; locked: string };
  /** Turns hold $1 into a booking unless its user's cap ($2) is reached. */
  private readonly convertSql: string;
  /**
   * Adds to the user's count of confirmed bookings ($2: 1 booked, -1 cancelled) and takes the
   * user's row lock for the rest of the transaction, after the consultant's, as place_booking
   * does: one user's bookings queue there, so the per-user cap counts every one committed before.
   */
  private readonly addConfirmedSql: string;
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
    private readonly copies: ScheduleCopies,
    private readonly relay: OutboxRelay,
  ) {
    const db = bookings.manager.connection;
    const b = sqlNames<Booking>(bookings.metadata);
    const a = sqlNames<Availability>(db.getMetadata(Availability));
    const r = sqlNames<RecurringRule>(db.getMetadata(RecurringRule));
    const o = sqlNames<DateOverride>(db.getMetadata(DateOverride));
    const u = sqlNames<User>(db.getMetadata(User));
    this.addConfirmedSql = `UPDATE ${u.table} SET ${u.confirmedBookings} = ${u.confirmedBookings} + $2 WHERE ${u.id} = $1`;
    const upcoming = `${b.status} = 'confirmed' AND ${b.endAt} > now()`;
    this.convertSql = `UPDATE ${b.table} SET ${b.status} = 'confirmed', ${b.expiresAt} = NULL, ${b.updatedAt} = now()
         WHERE ${b.id} = $1 AND ${b.status} = 'held'
           AND (SELECT count(*) FROM (SELECT 1 FROM ${b.table} me WHERE me.${b.userId} = ${b.table}.${b.userId} AND me.${upcoming} LIMIT $2) mine) < $2
         RETURNING ${selectAs(b, DTO_FIELDS)}`;
    this.lockHoldSql = `SELECT ${b.status} AS status, ${b.startAt} AS "startAt", ${b.expiresAt} AS "expiresAt", ${b.expiresAt} <= clock_timestamp() AS expired
         FROM ${b.table} WHERE ${b.id} = $1 FOR UPDATE`;
    this.expireSql = `UPDATE ${b.table} SET ${b.status} = 'expired' WHERE ${b.consultantId} = $1 AND ${b.status} = 'held' AND ${b.expiresAt} <= clock_timestamp()`;
    this.dayCountSql = `SELECT count(*)::int AS n FROM ${b.table} WHERE ${b.consultantId} = $1 AND ${b.status} IN ('confirmed', 'held') AND ${b.startAt} >= $2 AND ${b.startAt} < $3 AND ${b.id} <> $4`;
    const sources = (
      lock: string,
    ) => `WITH slots AS (SELECT ${a.id} AS "id", ${epochMs(a.startAt)} AS "startAt", ${epochMs(a.endAt)} AS "endAt", ${a.isBooked} AS "isBooked"
                           FROM ${a.table} WHERE ${a.consultantId} = $1 AND ${a.during} && tstzrange($2, $3) ${lock})
       SELECT (SELECT json_agg(slots) FROM slots) AS slots,
              (SELECT json_agg(r) FROM (SELECT ${r.id} AS "id", ${r.dayOfWeek} AS "dayOfWeek", ${r.startTime}::text AS "startTime", ${r.endTime}::text AS "endTime",
                                               ${r.isActive} AS "isActive", ${r.validFrom}::text AS "validFrom", ${r.validUntil}::text AS "validUntil"
                                          FROM ${r.table} WHERE ${r.consultantId} = $1 AND ${r.isActive}) r) AS rules,
              (SELECT json_agg(${overrideJson(o, 'o')}) FROM ${o.table} o WHERE o.${o.consultantId} = $1 AND ${overrideDatesNear(o, 'o', '$2', '$3')}) AS overrides`;
    this.sourcesSql = { read: sources(''), locked: sources('FOR UPDATE') };
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
    const consultantId = pathConsultantId ?? dto.consultant_id;
    const book = async (manager: EntityManager): Promise<BookingDto> => {
      const { row, timezone } = await this.place(manager, userId, consultantId, target, null);
      return toDto(row, timezone);
    };
    // Without a key the booking is place_booking's one statement, autocommitted.
    const booking =
      idempotencyKey === undefined
        ? await book(this.bookings.manager)
        : await this.idempotency.run(principal, idempotencyKey, { consultantId, dto }, book);
    // Committed: its booking.created event is the relays' to deliver.
    this.relay.announce();
    return booking;
  }

  /**
   * POST /holds: reserves free time (any of the three target forms) for hold_minutes, checked
   * exactly like a booking. While it lives nobody else can book or hold that time: it is a row
   * the bookings' exclusion constraint covers.
   */
  async hold(principal: Principal, dto: CreateHoldDto): Promise<HoldDto> {
    const userId = this.bookerOf(principal, dto.user_id);
    const target = parseTarget(dto);
    const minutes = dto.hold_minutes ?? DEFAULT_HOLD_MINUTES;
    const { row, timezone } = await this.place(this.bookings.manager, userId, dto.consultant_id, target, minutes);
    return toHoldDto(row, timezone);
  }

  /** DELETE /holds/{id}: the time is free again at once. A hold that expired goes too. */
  async release(principal: Principal, id: number): Promise<void> {
    const found = await this.holdOf(principal, id);
    await this.bookings.manager.transaction(async (manager) => {
      await lockConsultant(manager, found.consultantId, 'bookings');
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
      const { timezone } = await lockConsultant(manager, consultantId, 'bookings');
      // Counted before the cap is checked: a refusal rolls it back.
      await manager.query(this.addConfirmedSql, [found.userId, 1]);
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
   * Places a booking (`holdMinutes` null) or a hold in one round trip when this instance's copy
   * of the consultant's schedule is current: the checks every booking passes run here on the
   * copy, then place_booking writes under the locks, or answers 'stale' and the copy is read
   * again. `manager` is the Idempotency-Key's transaction, or the data source's for autocommit.
   */
  private async place(
    manager: EntityManager,
    userId: number,
    consultantId: number | undefined,
    target: Target,
    holdMinutes: number | null,
  ): Promise<{ row: HoldFields; timezone: string }> {
    for (let attempt = 1; ; attempt++) {
      const fresh = attempt > 1;
      let decided: Awaited<ReturnType<BookingsService['decide']>>;
      try {
        decided = await this.decide(manager, consultantId, target, fresh);
      } catch (refusal) {
        // A refusal decided on a copy may be the copy's: it stands only if a fresh read agrees.
        if (fresh || !(refusal instanceof ProblemException)) throw refusal;
        continue;
      }
      const { consultant, interval, source } = decided;
      const { timezone, policy } = consultant;
      const blocked = bufferedInterval(interval, policy);
      const day = policy.maxBookingsPerDay === null ? null : localDayOf(interval.start, timezone);
      const cap = this.config.get(holdMinutes === null ? 'MAX_FUTURE_BOOKINGS_PER_USER' : 'MAX_HOLDS_PER_USER', {
        infer: true,
      });
      const fields = {
        consultantId: consultant.id,
        userId,
        availabilityId: source.availabilityId,
        recurringId: source.recurringId,
        startAt: new Date(interval.start),
        endAt: new Date(interval.end),
        status: holdMinutes === null ? ('confirmed' as const) : ('held' as const),
      };
      // The booking.created event's data; place_booking puts in the id and created_at the insert gives.
      const event = holdMinutes === null ? toDto({ ...fields, id: 0, createdAt: new Date(0) }, timezone) : null;
      const [placed] = await manager.query<Placed[]>(PLACE_BOOKING, [
        consultant.id,
        consultant.version,
        userId,
        source.availabilityId,
        source.recurringId,
        fields.startAt,
        fields.endAt,
        new Date(blocked.start),
        new Date(blocked.end),
        cap,
        policy.maxBookingsPerDay,
        day && new Date(day.start),
        day && new Date(day.end),
        holdMinutes,
        event && JSON.stringify(event),
      ]);
      switch (placed.outcome) {
        case 'placed': {
          const { bookingId: id, createdAt, expiresAt } = placed;
          const row = {
            ...fields,
            id,
            createdAt: new Date(createdAt!),
            expiresAt: expiresAt ? new Date(expiresAt) : null,
          };
          return { row, timezone };
        }
        case 'stale':
          // A schedule that changes under every retry is being rewritten faster than it can be read.
          if (attempt === MAX_STALE_ATTEMPTS)
            throw conflict('conflict', "The consultant's availability changed during the booking; retry.");
          continue;
        case 'no-consultant':
          throw notFound(`Consultant ${consultant.id}`);
        case 'slot-taken':
          throw conflict('time-taken', 'That slot is already booked; pick another.');
        case 'daily-limit':
          throw dailyLimit(policy);
        case 'cap':
          throw holdMinutes === null
            ? unprocessable(
                'booking-limit',
                `You already hold ${cap} upcoming bookings, the most one account may; cancel one to book another.`,
              )
            : unprocessable(
                'hold-limit',
                `You already have ${cap} live holds, the most one account may; book or release one first.`,
              );
      }
    }
  }

  /**
   * The checks of a new booking or hold, on this instance's copy of the consultant's schedule
   * (`fresh`: read again): the interval must be a whole one-time slot or lie inside one
   * occurrence of a bookable window, start in the future and pass the policy. Whether the slot is
   * still free, the day's count, the cap and overlaps are place_booking's, under the locks.
   */
  private async decide(
    manager: EntityManager,
    consultantId: number | undefined,
    target: Target,
    fresh: boolean,
  ): Promise<{ consultant: ConsultantCopy; interval: Interval; source: Source }> {
    if ('slotId' in target) {
      const { consultant, startAt, endAt } = await this.copies.slot(manager, target.slotId, consultantId, fresh);
      const interval = { start: startAt, end: endAt };
      assertBookable(interval);
      assertPolicyAllows(interval, consultant.policy, null);
      return { consultant, interval, source: { availabilityId: target.slotId, recurringId: null, windowStart: null } };
    }
    if (consultantId === undefined)
      throw badRequest('consultant_id is required unless availability_id is given', [
        { field: 'consultant_id', message: 'is required' },
      ]);
    const consultant = await this.copies.consultant(manager, consultantId, fresh);
    const { timezone, policy } = consultant;
    return { consultant, ...(await this.acceptTime(manager, 'read', consultantId, timezone, policy, target, null)) };
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
      const { timezone } = await lockConsultant(manager, consultantId, 'bookings');
      const booking = await this.lockBooking(manager, id);
      if (booking.status === 'cancelled') return toDto(booking, timezone);
      if (booking.endAt.getTime() <= Date.now())
        throw unprocessable('booking-in-past', 'A booking that has already ended cannot be cancelled.');
      await manager.update(Booking, { id }, { status: 'cancelled', sequence: () => 'sequence + 1' });
      await manager.query(this.addConfirmedSql, [booking.userId, -1]);
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
      const { timezone, policy } = await lockConsultant(manager, found.consultantId, 'bookings');
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
    return this.acceptTime(manager, 'locked', consultantId, zone, policy, target, moving);
  }

  /** accept() for a target given as time (instants or local), whose source is looked up. */
  private async acceptTime(
    manager: EntityManager,
    lock: keyof BookingsService['sourcesSql'],
    consultantId: number,
    zone: string,
    policy: BookingPolicy,
    target: Exclude<Target, { slotId: number }>,
    moving: BookingFields | null,
  ): Promise<{ interval: Interval; source: Source }> {
    const interval = 'interval' in target ? target.interval : localWindowOrBadRequest(target.local, zone);
    assertBookable(interval);
    const source = await this.sourceOf(manager, lock, consultantId, zone, policy, interval, moving);
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
    lock: keyof BookingsService['sourcesSql'],
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
    >(this.sourcesSql[lock], [consultantId, new Date(interval.start), new Date(interval.end)]);
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
