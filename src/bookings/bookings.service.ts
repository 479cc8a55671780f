import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { isPartyTo } from '../common/auth/ownership';
import type { Principal } from '../common/auth/principal';
import { decodeCursor, DEFAULT_LIMIT, toPage } from '../common/http/pagination';
import { badRequest, forbidden, notFound } from '../common/errors';
import { ConsultantsService } from '../consultants/consultants.service';
import { OutboxRelay } from '../events/outbox-relay';
import type { Interval } from '../scheduling';
import { resolveBounds } from '../scheduling/query-range';
import { toBookingDto, toHoldDto } from './booking.mapper';
import { BOOKING_STATUSES, type BookingRow, BookingsRepository } from './bookings.repository';
import type {
  BookingDto,
  BookingPageDto,
  BookingTargetDto,
  ConsultantTargetDto,
  CreateBookingDto,
  CreateHoldDto,
  HoldDto,
  ListBookingsQuery,
} from './dto/booking.dto';
import { parseTarget } from './engine/booking-rules';
import { BookingEngine, type Changed, type Client } from './engine/booking-engine';
import type { Booking } from './entities/booking.entity';
import { Idempotency } from './idempotency';

const isBooking = (b: { status: string }) => (BOOKING_STATUSES as readonly string[]).includes(b.status);
const isHold = (b: { status: string }) => b.status === 'held' || b.status === 'expired';

const DEFAULT_HOLD_MINUTES = 10;

/** Whose hold it is to book or release: its user's, or the admin's. */
const isHolder = (principal: Principal, hold: { userId: number }) =>
  principal.role === 'admin' || (principal.role === 'user' && principal.id === hold.userId);

/**
 * Who the policy's client share counts: the user, and the HTTP client's address; nobody for the
 * admin, who books for others and may change the policy anyway.
 */
const clientOf = (principal: Principal, address: string | null): Client | null =>
  principal.role === 'admin' ? null : { address };

const consultantRequired = () =>
  badRequest('consultant_id is required unless availability_id or specialization is given', [
    { field: 'consultant_id', message: 'is required' },
  ]);

/**
 * A pooled request's time (docs/API.md, "Pooled booking"): specialization takes the place of a
 * consultant, with start and end alone.
 */
function pooledInterval(dto: ConsultantTargetDto, pathConsultantId: number | undefined): Interval {
  const other =
    (['consultant_id', 'availability_id', 'date', 'start_time', 'end_time'] as const).find(
      (field) => dto[field] !== undefined,
    ) ?? (pathConsultantId === undefined ? undefined : 'consultant_id');
  if (other !== undefined)
    throw badRequest('specialization takes the place of a consultant, with start and end alone', [
      { field: other, message: 'must be left out with specialization' },
    ]);
  return (parseTarget(dto) as { interval: Interval }).interval;
}

/** A booking as a calendar feed shows it (src/calendar/calendar-feed.service.ts). */
export type FeedEntry = Pick<
  Booking,
  'id' | 'consultantId' | 'userId' | 'startAt' | 'endAt' | 'status' | 'sequence' | 'updatedAt'
>;

/**
 * The bookings' use cases: who may do what, and which request is which change. Every change
 * itself is the booking engine's (engine/), every statement the repository's.
 */
@Injectable()
export class BookingsService {
  constructor(
    private readonly repository: BookingsRepository,
    private readonly engine: BookingEngine,
    private readonly idempotency: Idempotency,
    private readonly consultants: ConsultantsService,
    private readonly relay: OutboxRelay,
  ) {}

  /**
   * POST /bookings, in five steps: who books (`bookerOf`); which time (`parseTarget`); with an
   * Idempotency-Key, its transaction (`Idempotency.run`); the engine's decision on the
   * consultant's copy and its one write (`BookingEngine.create`); once committed, the relays
   * woken for its `booking.created` event. `address` is the HTTP client's (null over messages).
   */
  async create(
    principal: Principal,
    dto: CreateBookingDto,
    pathConsultantId: number | undefined,
    idempotencyKey: string | undefined,
    address: string | null = null,
  ): Promise<BookingDto> {
    if (dto.hold_id !== undefined) return this.bookHold(principal, dto, dto.hold_id, pathConsultantId, idempotencyKey);
    const userId = this.bookerOf(principal, dto.user_id);
    const client = clientOf(principal, address);
    let write: (manager?: EntityManager) => Promise<Changed>;
    if (dto.specialization !== undefined) {
      const request = { userId, specialization: dto.specialization, interval: pooledInterval(dto, pathConsultantId) };
      write = (manager) => this.engine.createPooled({ ...request, holdMinutes: null, client }, manager);
    } else {
      const target = parseTarget(dto);
      if (pathConsultantId !== undefined && dto.consultant_id !== undefined && dto.consultant_id !== pathConsultantId) {
        throw badRequest('consultant_id differs from the consultant in the path', [
          { field: 'consultant_id', message: 'must match the path' },
        ]);
      }
      const consultantId = pathConsultantId ?? dto.consultant_id;
      if (consultantId === undefined && !('slotId' in target)) throw consultantRequired();
      write = (manager) => this.engine.create({ userId, consultantId, target, holdMinutes: null, client }, manager);
    }
    const book = async (manager?: EntityManager) => {
      const { booking, timezone } = await write(manager);
      return toBookingDto(booking, timezone);
    };
    // Without a key the booking is the writer's one statement, autocommitted; with one, the key's
    // answer is stored in the booking's transaction (a pooled booking's replay names the same consultant).
    const booking =
      idempotencyKey === undefined
        ? await book()
        : await this.idempotency.run(
            principal,
            idempotencyKey,
            { consultantId: pathConsultantId ?? dto.consultant_id, dto },
            book,
          );
    this.relay.announce();
    return booking;
  }

  /**
   * POST /holds: reserves free time (any of the three target forms) for hold_minutes, checked
   * exactly like a booking. While it lives nobody else can book or hold that time: it is a row
   * the bookings' exclusion constraint covers.
   */
  async hold(principal: Principal, dto: CreateHoldDto, address: string | null = null): Promise<HoldDto> {
    const userId = this.bookerOf(principal, dto.user_id);
    const holdMinutes = dto.hold_minutes ?? DEFAULT_HOLD_MINUTES;
    const client = clientOf(principal, address);
    let held: Changed;
    if (dto.specialization !== undefined) {
      const interval = pooledInterval(dto, undefined);
      held = await this.engine.createPooled({
        userId,
        specialization: dto.specialization,
        interval,
        holdMinutes,
        client,
      });
    } else {
      const target = parseTarget(dto);
      if (dto.consultant_id === undefined && !('slotId' in target)) throw consultantRequired();
      held = await this.engine.create({ userId, consultantId: dto.consultant_id, target, holdMinutes, client });
    }
    return toHoldDto(held.booking, held.timezone);
  }

  /** DELETE /holds/{id}: the time is free again at once. A hold that expired goes too. */
  async release(principal: Principal, id: number): Promise<void> {
    await this.engine.release(await this.holdOf(principal, id));
  }

  /**
   * POST /bookings with hold_id: the hold becomes the booking, in place. Only its holder (or the
   * admin) may; an expired hold is a 422 hold-expired.
   */
  private async bookHold(
    principal: Principal,
    dto: CreateBookingDto,
    holdId: number,
    pathConsultantId: number | undefined,
    idempotencyKey: string | undefined,
  ): Promise<BookingDto> {
    if (principal.role === 'consultant') throw forbidden('Only users (or the admin) book.');
    const given = (
      ['availability_id', 'specialization', 'start', 'end', 'date', 'start_time', 'end_time'] as const
    ).filter((field) => dto[field] !== undefined);
    if (given.length)
      throw badRequest('hold_id names the time already: give no other target', [
        { field: given[0], message: 'must be left out with hold_id' },
      ]);
    const hold = await this.holdOf(principal, holdId);
    const mismatch = [
      dto.consultant_id !== undefined && dto.consultant_id !== hold.consultantId && 'consultant_id',
      pathConsultantId !== undefined && pathConsultantId !== hold.consultantId && 'consultant_id',
      dto.user_id !== undefined && dto.user_id !== hold.userId && 'user_id',
    ].filter((field): field is string => typeof field === 'string');
    if (mismatch.length)
      throw badRequest(`The hold belongs to another ${mismatch[0].replace('_id', '')}`, [
        { field: mismatch[0], message: "must be the hold's" },
      ]);
    const consultantId = hold.consultantId;
    const booking = await this.idempotency.run(principal, idempotencyKey, { consultantId, dto }, async (manager) => {
      const converted = await this.engine.convert(hold, manager);
      return toBookingDto(converted.booking, converted.timezone);
    });
    this.relay.announce();
    return booking;
  }

  /** The hold if the caller is its holder (or the admin); otherwise a 404 that does not reveal it exists. */
  private async holdOf(principal: Principal, id: number): Promise<BookingRow> {
    const hold = await this.repository.findById(id);
    if (!hold || !isHold(hold) || !isHolder(principal, hold)) throw notFound(`Hold ${id}`);
    return hold;
  }

  async get(principal: Principal, id: number): Promise<BookingDto> {
    const booking = await this.bookingOf(principal, id);
    return toBookingDto(booking, (await this.consultants.get(booking.consultantId)).timezone);
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
    const { start, end } = resolveBounds(query.from, query.to, 'UTC');
    const after = query.cursor ? decodeCursor<[string, number]>(query.cursor, ['instant', 'number']) : null;
    const rows = await this.repository.page({
      consultantId: scope.consultant_id,
      userId: scope.user_id,
      statuses: query.status ? [query.status] : BOOKING_STATUSES,
      from: start,
      to: end,
      after: after && [Date.parse(after[0]), after[1]],
      limit: limit + 1,
    });
    const page = toPage(
      rows,
      limit,
      (b) => b,
      (b) => [b.startAt.toISOString(), b.id],
    );
    const consultants = await this.consultants.getMany(page.data.map((b) => b.consultantId));
    return {
      // A consultant deleted between the two reads took its bookings along (ON DELETE CASCADE).
      data: page.data
        .filter((b) => consultants.has(b.consultantId))
        .map((b) => toBookingDto(b, consultants.get(b.consultantId)!.timezone)),
      next_cursor: page.next_cursor,
    };
  }

  /** A consultant's or a user's bookings that end after `historyDays` ago, for a calendar feed. */
  feed(owner: { consultantId: number } | { userId: number }, historyDays: number): Promise<FeedEntry[]> {
    return this.repository.feed(owner, historyDays);
  }

  /** What says that feed() would answer the same (an ETag's versions). */
  feedVersion(owner: { consultantId: number } | { userId: number }, historyDays: number): Promise<unknown[]> {
    return this.repository.feedVersion(owner, historyDays);
  }

  /** The time is freed at once; cancelling twice is a no-op. */
  async cancel(principal: Principal, id: number): Promise<BookingDto> {
    const { booking, timezone } = await this.engine.cancel(await this.bookingOf(principal, id));
    this.relay.announce();
    return toBookingDto(booking, timezone);
  }

  /** Moves the booking in place (same id, higher sequence); on any refusal it stays as it was. */
  async reschedule(
    principal: Principal,
    id: number,
    dto: BookingTargetDto,
    address: string | null = null,
  ): Promise<BookingDto> {
    const found = await this.bookingOf(principal, id);
    if (principal.role === 'consultant') throw forbidden("Only the booking's user or the admin may reschedule it.");
    const { booking, timezone } = await this.engine.reschedule(found, parseTarget(dto), clientOf(principal, address));
    this.relay.announce();
    return toBookingDto(booking, timezone);
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
  private async bookingOf(principal: Principal, id: number): Promise<BookingRow> {
    const booking = await this.repository.findById(id);
    if (!booking || !isBooking(booking) || !isPartyTo(principal, booking)) throw notFound(`Booking ${id}`);
    return booking;
  }
}
