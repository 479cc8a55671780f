import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { epochMs } from '../database/epoch-ms';
import { decodeCursor, DEFAULT_LIMIT, toPage } from '../common/http/pagination';
import { conflict, notFound } from '../common/http/problem';
import { timeFields } from '../common/http/time-fields';
import { localWindowOrBadRequest } from '../common/validation/local-window';
import { ConsultantsService } from '../consultants/consultants.service';
import { isValidLocalDate, isoFromEpochMs } from '../scheduling';
import { resolveBounds } from '../scheduling/query-range';
import type {
  AvailabilityDto,
  AvailabilityPageDto,
  CreateAvailabilityDto,
  ListAvailabilityQuery,
} from './dto/availability.dto';

interface SlotRow {
  id: number;
  consultant_id: number;
  start_at: number;
  end_at: number;
  is_booked: boolean;
}

const SLOT_COLUMNS = `id, consultant_id, ${epochMs('start_at')} AS start_at, ${epochMs('end_at')} AS end_at, is_booked`;

const toDto = (row: SlotRow, zone: string): AvailabilityDto => ({
  id: row.id,
  consultant_id: row.consultant_id,
  ...timeFields(row.start_at, row.end_at, zone),
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
    const interval = localWindowOrBadRequest(dto, timezone);
    // One statement; the exclusion constraint refuses an overlap (409), whatever runs beside it.
    const [row] = await this.db.query<SlotRow[]>(
      `INSERT INTO availabilities (consultant_id, start_at, end_at) VALUES ($1, $2, $3) RETURNING ${SLOT_COLUMNS}`,
      [consultantId, new Date(interval.start), new Date(interval.end)],
    );
    return toDto(row, timezone);
  }

  async list(consultantId: number, query: ListAvailabilityQuery): Promise<AvailabilityPageDto> {
    // Only a local-date bound needs the zone before the query (instants ignore it). Otherwise one
    // statement answers both whether the consultant exists and the page: a round trip costs
    // about 0.1 ms of Node CPU.
    const zone = [query.from, query.to].some((b) => b !== undefined && isValidLocalDate(b))
      ? (await this.consultants.get(consultantId)).timezone
      : 'UTC';
    const limit = query.limit ?? DEFAULT_LIMIT;
    const { start, end } = resolveBounds(query.from, query.to, zone);
    const params: unknown[] = [consultantId];
    const where = ['consultant_id = $1'];
    const add = (sql: string, value: unknown) => where.push(sql.replace('?', `$${params.push(value)}`));
    if (start !== null) add('end_at > ?', isoFromEpochMs(start));
    if (end !== null) add('start_at < ?', isoFromEpochMs(end));
    if (query.is_booked !== undefined) add('is_booked = ?', query.is_booked === 'true');
    if (query.cursor) {
      const [at, id] = decodeCursor<[string, number]>(query.cursor, ['instant', 'number']);
      where.push(`(start_at, id) > ($${params.push(new Date(at))}, $${params.push(id)})`);
    }
    // No slots leaves one row of nulls beside the zone; no consultant leaves no row.
    const rows = await this.db.query<(SlotRow & { timezone: string })[]>(
      `SELECT c.timezone, a.* FROM consultants c
         LEFT JOIN LATERAL (SELECT ${SLOT_COLUMNS} FROM availabilities WHERE ${where.join(' AND ')} ORDER BY start_at, id LIMIT ${limit + 1}) a ON true
        WHERE c.id = $1 ORDER BY a.start_at, a.id`,
      params,
    );
    if (!rows.length) throw notFound(`Consultant ${consultantId}`);
    const { timezone } = rows[0];
    return toPage(
      rows[0].id === null ? [] : rows,
      limit,
      (r) => toDto(r, timezone),
      (r) => [isoFromEpochMs(r.start_at), r.id],
    );
  }

  async remove(consultantId: number, slotId: number): Promise<void> {
    // A booking locks the slot's row before marking it booked, so this cannot race one.
    const { affected } = await this.db
      .createQueryBuilder()
      .delete()
      .from('availabilities')
      .where('id = :slotId AND consultant_id = :consultantId AND NOT is_booked', { slotId, consultantId })
      .execute();
    if (affected) return;
    const [slot] = await this.db.query<{ is_booked: boolean }[]>(
      `SELECT is_booked FROM availabilities WHERE id = $1 AND consultant_id = $2`,
      [slotId, consultantId],
    );
    if (!slot) throw notFound(`Slot ${slotId} of consultant ${consultantId}`);
    throw conflict('slot-booked', `Slot ${slotId} is booked; cancel the booking before deleting the slot.`);
  }
}
