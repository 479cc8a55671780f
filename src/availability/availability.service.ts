import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { decodeCursor, DEFAULT_LIMIT, toPage } from '../common/http/pagination';
import { conflict, notFound } from '../common/http/problem';
import { timeFields } from '../common/http/time-fields';
import { localWindowOrBadRequest } from '../common/validation/local-window';
import { ConsultantsService } from '../consultants/consultants.service';
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
    const interval = localWindowOrBadRequest(dto, timezone);
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
    const { start, end } = resolveBounds(query.from, query.to, timezone);
    const params: unknown[] = [consultantId];
    const where = ['consultant_id = $1'];
    const add = (sql: string, value: unknown) => where.push(sql.replace('?', `$${params.push(value)}`));
    if (start !== null) add('end_at > ?', new Date(start));
    if (end !== null) add('start_at < ?', new Date(end));
    if (query.is_booked !== undefined) add('is_booked = ?', query.is_booked === 'true');
    if (query.cursor) {
      const [at, id] = decodeCursor<[string, number]>(query.cursor, ['instant', 'number']);
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
