import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { decodeCursor, DEFAULT_LIMIT, toPage } from '../common/http/pagination';
import { badRequest, conflict, notFound } from '../common/http/problem';
import { timeFields } from '../common/http/time-fields';
import { ConsultantsService } from '../consultants/consultants.service';
import { InvalidLocalWindowError, isValidLocalDate, localDatesToInterval, localWindowToInterval, NonexistentLocalTimeError } from '../scheduling';
import { resolveBounds } from '../scheduling/query-range';
import type { AvailabilityDto, AvailabilityPageDto, CreateAvailabilityDto, ListAvailabilityQuery } from './dto/availability.dto';

interface SlotRow {
  id: number;
  consultant_id: number;
  start_at: Date;
  end_at: Date;
  is_booked: boolean;
}

const toDto = (row: SlotRow, zone: string): AvailabilityDto => ({
  id: row.id,
  consultant_id: row.consultant_id,
  ...timeFields(row.start_at.getTime(), row.end_at.getTime(), zone),
  is_booked: row.is_booked,
});

@Injectable()
export class AvailabilityService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly consultants: ConsultantsService,
  ) {}

  async create(consultantId: number, dto: CreateAvailabilityDto): Promise<AvailabilityDto> {
    const { timezone } = await this.consultants.find(consultantId);
    const interval = slotInterval(dto, timezone);
    // One statement; the exclusion constraint refuses an overlap (409), whatever runs beside it.
    const [row] = await this.db.query<SlotRow[]>(
      `INSERT INTO availabilities (consultant_id, start_at, end_at) VALUES ($1, $2, $3) RETURNING id, consultant_id, start_at, end_at, is_booked`,
      [consultantId, new Date(interval.start), new Date(interval.end)],
    );
    return toDto(row, timezone);
  }

  async list(consultantId: number, query: ListAvailabilityQuery): Promise<AvailabilityPageDto> {
    const { timezone } = await this.consultants.find(consultantId);
    const limit = query.limit ?? DEFAULT_LIMIT;
    const { start, end } = listBounds(query, timezone);
    const params: unknown[] = [consultantId];
    const where = ['consultant_id = $1'];
    const add = (sql: string, value: unknown) => where.push(sql.replace('?', `$${params.push(value)}`));
    if (start !== null) add('end_at > ?', new Date(start));
    if (end !== null) add('start_at < ?', new Date(end));
    if (query.is_booked !== undefined) add('is_booked = ?', query.is_booked === 'true');
    if (query.cursor) {
      const [at, id] = decodeCursor<[string, number]>(query.cursor, ['string', 'number']);
      // A forged cursor must not reach the database as an invalid Date.
      if (Number.isNaN(Date.parse(at))) throw badRequest('The cursor is not valid; use next_cursor from a previous page', [{ field: 'cursor', message: 'is not a valid cursor' }]);
      where.push(`(start_at, id) > ($${params.push(new Date(at))}, $${params.push(id)})`);
    }
    const rows = await this.db.query<SlotRow[]>(
      `SELECT id, consultant_id, start_at, end_at, is_booked FROM availabilities WHERE ${where.join(' AND ')} ORDER BY start_at, id LIMIT ${limit + 1}`,
      params,
    );
    return toPage(rows, limit, (r) => toDto(r, timezone), (r) => [r.start_at.toISOString(), r.id]);
  }

  async remove(consultantId: number, slotId: number): Promise<void> {
    // A booking locks the slot's row before marking it booked, so this cannot race one.
    const { affected } = await this.db.createQueryBuilder().delete().from('availabilities')
      .where('id = :slotId AND consultant_id = :consultantId AND NOT is_booked', { slotId, consultantId }).execute();
    if (affected) return;
    const [slot] = await this.db.query<{ is_booked: boolean }[]>(`SELECT is_booked FROM availabilities WHERE id = $1 AND consultant_id = $2`, [slotId, consultantId]);
    if (!slot) throw notFound(`Slot ${slotId} of consultant ${consultantId}`);
    throw conflict('slot-booked', `Slot ${slotId} is booked; cancel the booking before deleting the slot.`);
  }
}

/** A one-time slot's instants; a local time the zone skips is refused rather than moved. */
function slotInterval(dto: { date: string; start_time: string; end_time: string }, zone: string) {
  try {
    return localWindowToInterval(dto.date, dto.start_time, dto.end_time, zone, 'reject');
  } catch (error) {
    if (error instanceof NonexistentLocalTimeError) {
      const field = error.time === dto.start_time ? 'start_time' : 'end_time';
      throw badRequest(error.message, [{ field, message: `does not exist on ${error.date} in ${zone} (daylight-saving gap)` }]);
    }
    if (error instanceof InvalidLocalWindowError) throw badRequest(error.message, [{ field: 'end_time', message: 'must differ from start_time' }]);
    // A window whose end falls after 9999-12-31 cannot be written as a local date.
    if (error instanceof RangeError) throw badRequest(error.message, [{ field: 'date', message: 'is outside the supported range (years 0000–9999)' }]);
    throw error;
  }
}

/**
 * The list's from/to as instants: a local date is that whole day in the zone (`to` inclusive),
 * an instant is taken as it is. Same meaning as resolveBounds, whose day-after arithmetic
 * overflows on to=9999-12-31 (a 500); the day's end is taken from the day itself instead.
 */
function listBounds(query: ListAvailabilityQuery, zone: string): { start: number | null; end: number | null } {
  const at = (text: string | undefined, edge: 'start' | 'end'): number | null => {
    if (text === undefined) return null;
    if (isValidLocalDate(text)) return localDatesToInterval(text, text, zone)[edge];
    return resolveBounds(text, undefined, zone).start;
  };
  return { start: at(query.from, 'start'), end: at(query.to, 'end') };
}
