import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isPartyTo } from '../common/auth/ownership';
import type { Principal } from '../common/auth/principal';
import { decodeCursor, DEFAULT_LIMIT, toPage } from '../common/http/pagination';
import { badRequest, conflict, forbidden, notFound, unprocessable } from '../common/http/problem';
import { timeFields } from '../common/http/time-fields';
import type { AppConfig } from '../config/configuration';
import { lockConsultant } from '../consultants/consultant-lock';
import { localWindowOrBadRequest } from '../common/validation/local-window';
import { contains, expandRules, type Interval, type WeeklyRule } from '../scheduling';
import { parseInstant, resolveBounds } from '../scheduling/query-range';
import type {
  BookingDto,
  BookingPageDto,
  BookingTargetDto,
  CreateBookingDto,
  ListBookingsQuery,
} from './dto/booking.dto';
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

interface BookingRow {
  id: number;
  consultant_id: number;
  user_id: number;
  availability_id: number | null;
  recurring_id: number | null;
  start_at: Date;
  end_at: Date;
  status: 'confirmed' | 'cancelled';
  created_at: Date;
  timezone: string;
}

const RETURNED_COLUMNS = `id, consultant_id, user_id, availability_id, recurring_id, start_at, end_at, status, created_at`;
const BOOKING_COLUMNS = `b.id, b.consultant_id, b.user_id, b.availability_id, b.recurring_id, b.start_at, b.end_at, b.status, b.created_at, c.timezone`;

const toDto = (b: BookingRow): BookingDto => ({
  id: b.id,
  consultant_id: b.consultant_id,
  user_id: b.user_id,
  availability_id: b.availability_id,
  recurring_id: b.recurring_id,
  ...timeFields(b.start_at.getTime(), b.end_at.getTime(), b.timezone),
  status: b.status,
  created_at: b.created_at.toISOString(),
});

/** What a booking request asks for, before it is checked against availability. */
type Target =
  { slotId: number } | { local: { date: string; start_time: string; end_time: string } } | { interval: Interval };

/** Where an accepted interval came from. */
interface Source {
  availabilityId: number | null;
  recurringId: number | null;
}

interface SlotRow {
  id: number;
  start_at: Date;
  end_at: Date;
  is_booked: boolean;
}
/** A slot row as json_agg gives it: timestamps as ISO-8601 text. */
type SlotJson = Omit<SlotRow, 'start_at' | 'end_at'> & { start_at: string; end_at: string };

function assertBookable(interval: Interval): void {
  if (interval.end - interval.start > DAY_MS)
    throw badRequest('A booking is at most 24 hours long', [
      { field: 'end', message: 'is more than 24 hours after start' },
    ]);
  if (interval.start <= Date.now()) throw unprocessable('in-the-past', 'Bookings must start in the future.');
}

/** A one-time slot is booked whole and once; the booking being moved may keep its own. */
function wholeSlot(slot: SlotRow, moving: BookingRow | null): Source {
  if (slot.is_booked && slot.id !== moving?.availability_id)
    throw conflict('time-taken', 'That slot is already booked; pick another.');
  return { availabilityId: slot.id, recurringId: null };
}

@Injectable()
export class BookingsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly idempotency: Idempotency,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  async create(
    principal: Principal,
    dto: CreateBookingDto,
    pathConsultantId: number | undefined,
    idempotencyKey: string | undefined,
  ): Promise<BookingDto> {
    const userId = this.bookerOf(principal, dto.user_id);
    const target = parseTarget(dto);
    if (pathConsultantId !== undefined && dto.consultant_id !== undefined && dto.consultant_id !== pathConsultantId) {
      throw badRequest('consultant_id differs from the consultant in the path', [
        { field: 'consultant_id', message: 'must match the path' },
      ]);
    }
    const consultantId = pathConsultantId ?? dto.consultant_id ?? (await this.consultantOfSlot(target));
    return this.idempotency.run(principal, idempotencyKey, { consultantId, dto }, async (manager) => {
      // The user first, then the consultant, always in this order: a user's bookings at several
      // consultants queue here without holding a consultant's row lock while they wait.
      await lockUserBookings(manager, userId);
      const { timezone } = await lockConsultant(manager, consultantId);
      const { interval, source } = await this.accept(manager, consultantId, timezone, target, null);
      const max = this.config.get('MAX_FUTURE_BOOKINGS_PER_USER', { infer: true });
      // One round trip: the cap is the insert's condition, exact because the user's lock is held
      // (the count's snapshot is taken after it, so it sees every booking committed before); an
      // overlap is refused by the exclusion constraint (bookings_no_overlap, a 409 time-taken).
      const [row] = await manager.query<Omit<BookingRow, 'timezone'>[]>(
        `INSERT INTO bookings (consultant_id, user_id, availability_id, recurring_id, start_at, end_at)
         SELECT $1::int, $2::int, $3::int, $4::int, $5::timestamptz, $6::timestamptz
          WHERE (SELECT count(*) FROM (SELECT 1 FROM bookings WHERE user_id = $2 AND status = 'confirmed' AND end_at > now() LIMIT $7) held) < $7
         RETURNING ${RETURNED_COLUMNS}`,
        [
          consultantId,
          userId,
          source.availabilityId,
          source.recurringId,
          new Date(interval.start),
          new Date(interval.end),
          max,
        ],
      );
      if (!row)
        throw unprocessable(
          'booking-limit',
          `You already hold ${max} upcoming bookings, the most one account may; cancel one to book another.`,
        );
      if (source.availabilityId !== null)
        await manager.query(`UPDATE availabilities SET is_booked = true WHERE id = $1`, [source.availabilityId]);
      return toDto({ ...row, timezone });
    });
  }

  async get(principal: Principal, id: number): Promise<BookingDto> {
    return toDto(await this.visible(principal, id));
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
    const params: unknown[] = [];
    const where: string[] = [];
    const add = (sql: string, ...values: unknown[]) =>
      where.push(values.reduce<string>((s, v) => s.replace('?', `$${params.push(v)}`), sql));
    if (scope.consultant_id !== undefined) add('b.consultant_id = ?', scope.consultant_id);
    if (scope.user_id !== undefined) add('b.user_id = ?', scope.user_id);
    if (query.status) add('b.status = ?', query.status);
    const { start, end } = resolveBounds(query.from, query.to, 'UTC');
    if (start !== null) add('b.end_at > ?', new Date(start));
    if (end !== null) add('b.start_at < ?', new Date(end));
    if (query.cursor) {
      const [at, id] = decodeCursor<[string, number]>(query.cursor, ['instant', 'number']);
      add('(b.start_at, b.id) > (?, ?)', new Date(at), id);
    }
    const rows = await this.db.query<BookingRow[]>(
      `SELECT ${BOOKING_COLUMNS} FROM bookings b JOIN consultants c ON c.id = b.consultant_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY b.start_at, b.id LIMIT ${limit + 1}`,
      params,
    );
    return toPage(rows, limit, toDto, (r) => [r.start_at.toISOString(), r.id]);
  }

  /** The time is freed in the same transaction; cancelling twice is a no-op. */
  async cancel(principal: Principal, id: number): Promise<BookingDto> {
    const { consultant_id } = await this.visible(principal, id);
    return this.db.transaction(async (manager) => {
      await lockConsultant(manager, consultant_id);
      const booking = await this.row(manager, id, 'FOR UPDATE OF b');
      if (booking.status === 'cancelled') return toDto(booking);
      if (booking.end_at.getTime() <= Date.now())
        throw unprocessable('booking-in-past', 'A booking that has already ended cannot be cancelled.');
      const [[cancelled]] = await manager.query<[Omit<BookingRow, 'timezone'>[], number]>(
        `UPDATE bookings SET status = 'cancelled', sequence = sequence + 1, updated_at = now() WHERE id = $1 RETURNING ${RETURNED_COLUMNS}`,
        [id],
      );
      if (booking.availability_id !== null)
        await manager.query(`UPDATE availabilities SET is_booked = false WHERE id = $1`, [booking.availability_id]);
      return toDto({ ...cancelled, timezone: booking.timezone });
    });
  }

  /** Moves the booking in place (same id, higher sequence); on any refusal it stays as it was. */
  async reschedule(principal: Principal, id: number, dto: BookingTargetDto): Promise<BookingDto> {
    const found = await this.visible(principal, id);
    if (principal.role === 'consultant') throw forbidden("Only the booking's user or the admin may reschedule it.");
    const target = parseTarget(dto);
    return this.db.transaction(async (manager) => {
      const { timezone } = await lockConsultant(manager, found.consultant_id);
      const booking = await this.row(manager, id, 'FOR UPDATE OF b');
      if (booking.status !== 'confirmed')
        throw conflict('booking-cancelled', 'A cancelled booking cannot be rescheduled; book anew.');
      if (booking.start_at.getTime() <= Date.now())
        throw unprocessable('booking-in-past', 'A booking that has already started cannot be rescheduled.');
      const { interval, source } = await this.accept(manager, booking.consultant_id, timezone, target, booking);
      if (booking.availability_id !== null)
        await manager.query(`UPDATE availabilities SET is_booked = false WHERE id = $1`, [booking.availability_id]);
      // An overlap with another booking is refused by the exclusion constraint (409 time-taken).
      const [[moved]] = await manager.query<[Omit<BookingRow, 'timezone'>[], number]>(
        `UPDATE bookings SET start_at = $2, end_at = $3, availability_id = $4, recurring_id = $5, sequence = sequence + 1, updated_at = now() WHERE id = $1 RETURNING ${RETURNED_COLUMNS}`,
        [id, new Date(interval.start), new Date(interval.end), source.availabilityId, source.recurringId],
      );
      if (source.availabilityId !== null)
        await manager.query(`UPDATE availabilities SET is_booked = true WHERE id = $1`, [source.availabilityId]);
      return toDto({ ...moved, timezone });
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
    target: Target,
    moving: BookingRow | null,
  ): Promise<{ interval: Interval; source: Source }> {
    if ('slotId' in target) {
      // Row lock: a concurrent delete of the slot waits for this booking.
      const [slot] = await manager.query<SlotRow[]>(
        `SELECT id, start_at, end_at, is_booked FROM availabilities WHERE id = $1 AND consultant_id = $2 FOR UPDATE`,
        [target.slotId, consultantId],
      );
      if (!slot) throw notFound(`Slot ${target.slotId} of consultant ${consultantId}`);
      const interval = { start: slot.start_at.getTime(), end: slot.end_at.getTime() };
      assertBookable(interval);
      return { interval, source: wholeSlot(slot, moving) };
    }
    const interval = 'interval' in target ? target.interval : localWindowOrBadRequest(target.local, zone);
    assertBookable(interval);
    return { interval, source: await this.sourceOf(manager, consultantId, zone, interval, moving) };
  }

  /** A one-time slot exactly matching the interval, else an occurrence of a weekly window containing it. */
  private async sourceOf(
    manager: EntityManager,
    consultantId: number,
    zone: string,
    interval: Interval,
    moving: BookingRow | null,
  ): Promise<Source> {
    // One round trip for both: the overlapping slots, row-locked as above, and the active rules.
    const [{ slots, rules }] = await manager.query<
      { slots: SlotJson[] | null; rules: (WeeklyRule & { id: number })[] | null }[]
    >(
      `WITH slots AS (SELECT id, start_at, end_at, is_booked FROM availabilities WHERE consultant_id = $1 AND during && tstzrange($2, $3) FOR UPDATE)
       SELECT (SELECT json_agg(slots) FROM slots) AS slots,
              (SELECT json_agg(r) FROM (SELECT id, day_of_week AS "dayOfWeek", start_time::text AS "startTime", end_time::text AS "endTime",
                                               is_active AS "isActive", valid_from::text AS "validFrom", valid_until::text AS "validUntil"
                                          FROM recurring_rules WHERE consultant_id = $1 AND is_active) r) AS rules`,
      [consultantId, new Date(interval.start), new Date(interval.end)],
    );
    const overlapping = (slots ?? []).map((s) => ({
      ...s,
      start_at: new Date(s.start_at),
      end_at: new Date(s.end_at),
    }));
    const whole = overlapping.find(
      (s) => s.start_at.getTime() === interval.start && s.end_at.getTime() === interval.end,
    );
    if (whole) return wholeSlot(whole, moving);
    const occurrence = expandRules(rules ?? [], zone, interval).find((o) => contains(o, interval));
    if (occurrence) return { availabilityId: null, recurringId: occurrence.ruleId };
    const partial = overlapping[0];
    throw unprocessable(
      'outside-availability',
      partial
        ? `One-time slots are booked whole: slot ${partial.id} runs ${partial.start_at.toISOString()}–${partial.end_at.toISOString()}.`
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

  private async consultantOfSlot(target: Target): Promise<number> {
    if (!('slotId' in target))
      throw badRequest('consultant_id is required unless availability_id is given', [
        { field: 'consultant_id', message: 'is required' },
      ]);
    const [slot] = await this.db.query<{ consultant_id: number }[]>(
      `SELECT consultant_id FROM availabilities WHERE id = $1`,
      [target.slotId],
    );
    if (!slot) throw notFound(`Slot ${target.slotId}`);
    return slot.consultant_id;
  }

  /** The booking if the caller is a party to it; otherwise a 404 that does not reveal it exists. */
  private async visible(principal: Principal, id: number): Promise<BookingRow> {
    const [booking] = await this.db.query<BookingRow[]>(
      `SELECT ${BOOKING_COLUMNS} FROM bookings b JOIN consultants c ON c.id = b.consultant_id WHERE b.id = $1`,
      [id],
    );
    if (!booking || !isPartyTo(principal, { userId: booking.user_id, consultantId: booking.consultant_id }))
      throw notFound(`Booking ${id}`);
    return booking;
  }

  private async row(manager: EntityManager, id: number, lock = ''): Promise<BookingRow> {
    const [row] = await manager.query<BookingRow[]>(
      `SELECT ${BOOKING_COLUMNS} FROM bookings b JOIN consultants c ON c.id = b.consultant_id WHERE b.id = $1 ${lock}`,
      [id],
    );
    if (!row) throw notFound(`Booking ${id}`);
    return row;
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
