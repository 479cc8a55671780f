import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { Repository } from 'typeorm';
import { epochMs } from '../database/epoch-ms';
import { recordEvent } from '../events/outbox';
import { type SqlNames, sqlNames } from '../database/sql-names';
import { decodeCursor, DEFAULT_LIMIT, toPage } from '../common/http/pagination';
import { conflict, notFound } from '../common/errors';
import { noteVersions } from '../common/http/conditional-get';
import { timeFields } from '../common/http/time-fields';
import { localWindowOrBadRequest } from '../common/validation/local-window';
import { lockConsultant } from '../consultants/consultant-lock';
import { ConsultantsService } from '../consultants/consultants.service';
import { Consultant } from '../consultants/entities/consultant.entity';
import { isValidLocalDate, isoFromEpochMs } from '../scheduling';
import { resolveBounds } from '../scheduling/query-range';
import type {
  AvailabilityDto,
  AvailabilityPageDto,
  CreateAvailabilityDto,
  ListAvailabilityQuery,
} from './dto/availability.dto';
import { Availability } from './entities/availability.entity';
import { TransactionalConnection } from '../database/transactional-connection';

/** A slot as the service hands it on: instants as epoch milliseconds. */
export interface SlotFields {
  id: number;
  consultantId: number;
  startAt: number;
  endAt: number;
  isBooked: boolean;
}

const toDto = (slot: SlotFields, zone: string): AvailabilityDto => ({
  id: slot.id,
  consultant_id: slot.consultantId,
  ...timeFields(slot.startAt, slot.endAt, zone),
  is_booked: slot.isBooked,
});

const fieldsOf = (slot: Availability): SlotFields => ({
  id: slot.id,
  consultantId: slot.consultantId,
  startAt: slot.startAt.getTime(),
  endAt: slot.endAt.getTime(),
  isBooked: slot.isBooked,
});

@Injectable()
export class AvailabilityService {
  private readonly a: SqlNames<Availability>;
  private readonly c: SqlNames<Consultant>;
  private readonly slotColumns: string;
  /**
   * Pages of slots answered before, by consultant and query, with the calendar_version they were
   * read at: while it holds (a cheap statement says so) the page is the same. Bounded by slots.
   */
  private readonly kept = new LRUCache<string, { version: number; page: AvailabilityPageDto }>({
    maxSize: 50_000,
    sizeCalculation: (entry) => entry.page.data.length + 1,
  });
  private readonly versionSql: string;

  constructor(
    private readonly connection: TransactionalConnection,
    @InjectRepository(Availability) private readonly slots: Repository<Availability>,
    private readonly consultants: ConsultantsService,
  ) {
    this.a = sqlNames(slots.metadata);
    this.c = sqlNames(slots.manager.connection.getMetadata(Consultant));
    const { a } = this;
    this.versionSql = `SELECT ${this.c.calendarVersion} AS version FROM ${this.c.table} WHERE ${this.c.id} = $1`;
    this.slotColumns = `${a.id} AS "id", ${a.consultantId} AS "consultantId", ${epochMs(a.startAt)} AS "startAt", ${epochMs(a.endAt)} AS "endAt", ${a.isBooked} AS "isBooked"`;
  }

  /** The slot and its `availability.changed` event commit together, under the consultant's lock. */
  create(consultantId: number, dto: CreateAvailabilityDto): Promise<AvailabilityDto> {
    return this.connection.withTransaction(async (manager) => {
      const { timezone } = await lockConsultant(manager, consultantId, 'schedule');
      const interval = localWindowOrBadRequest(dto, timezone);
      // The exclusion constraint refuses an overlap (409), whatever runs beside it.
      const slot = manager.create(Availability, {
        consultantId,
        startAt: new Date(interval.start),
        endAt: new Date(interval.end),
      });
      await manager.insert(Availability, slot);
      const created = toDto(fieldsOf(slot), timezone);
      await recordEvent(manager, {
        type: 'availability.changed',
        consultantId,
        data: { change: 'slot.created', slot: created },
      });
      return created;
    });
  }

  /**
   * GET /consultants/{id}/availabilities, a hot path: one plain statement that also reads the
   * consultant's zone, which is what says whether the consultant exists, or, for a page answered
   * before, a cheaper one that says the consultant's calendar has not changed since. Asking
   * ConsultantsService first would add a round trip, about 0.1 ms of Node CPU on a route that
   * spends 0.21 ms in all (bench/RESULTS.md): one of the README's named exceptions to "reads
   * across modules go through the owning module".
   */
  async list(consultantId: number, query: ListAvailabilityQuery): Promise<AvailabilityPageDto> {
    const key = JSON.stringify([consultantId, query.from, query.to, query.is_booked, query.cursor, query.limit]);
    const kept = this.kept.get(key);
    if (kept && (await this.calendarVersion(consultantId)) === kept.version) return kept.page;
    const { a, c } = this;
    // Only a local-date bound needs the zone before the query (instants ignore it).
    const zone = [query.from, query.to].some((b) => b !== undefined && isValidLocalDate(b))
      ? (await this.consultants.get(consultantId)).timezone
      : 'UTC';
    const limit = query.limit ?? DEFAULT_LIMIT;
    const { start, end } = resolveBounds(query.from, query.to, zone);
    const params: unknown[] = [consultantId];
    const where = [`${a.consultantId} = $1`];
    const add = (sql: string, value: unknown) => where.push(sql.replace('?', `$${params.push(value)}`));
    if (start !== null) add(`${a.endAt} > ?`, isoFromEpochMs(start));
    if (end !== null) add(`${a.startAt} < ?`, isoFromEpochMs(end));
    if (query.is_booked !== undefined) add(`${a.isBooked} = ?`, query.is_booked === 'true');
    if (query.cursor) {
      const [at, id] = decodeCursor<[string, number]>(query.cursor, ['instant', 'number']);
      where.push(`(${a.startAt}, ${a.id}) > ($${params.push(new Date(at))}, $${params.push(id)})`);
    }
    // No slots leaves one row of nulls beside the zone; no consultant leaves no row.
    const rows = await this.slots.query<(SlotFields & { timezone: string; version: number })[]>(
      `SELECT c.${c.timezone} AS timezone, c.${c.calendarVersion} AS version, s.* FROM ${c.table} c
         LEFT JOIN LATERAL (SELECT ${this.slotColumns} FROM ${a.table} WHERE ${where.join(' AND ')} ORDER BY ${a.startAt}, ${a.id} LIMIT ${limit + 1}) s ON true
        WHERE c.${c.id} = $1 ORDER BY s."startAt", s."id"`,
      params,
    );
    if (!rows.length) throw notFound(`Consultant ${consultantId}`);
    const { timezone, version } = rows[0];
    if (!kept) noteVersions(version); // else noted by calendarVersion(), as old as the page or older
    const page = toPage(
      rows[0].id === null ? [] : rows,
      limit,
      (r) => toDto(r, timezone),
      (r) => [isoFromEpochMs(r.startAt), r.id],
    );
    this.kept.set(key, { version, page });
    return page;
  }

  /**
   * The consultant's calendar_version, which every change of its slots bumps: what says a page
   * of them still holds, here and for an ETag (common/http/conditional-get.ts); a 404 without it.
   */
  async calendarVersion(consultantId: number): Promise<number> {
    const [row] = await this.slots.query<{ version: number }[]>(this.versionSql, [consultantId]);
    if (!row) throw notFound(`Consultant ${consultantId}`);
    noteVersions(row.version);
    return row.version;
  }

  remove(consultantId: number, slotId: number): Promise<void> {
    return this.connection.withTransaction(async (manager) => {
      await lockConsultant(manager, consultantId, 'schedule');
      // A booking locks the slot's row before marking it booked, so this cannot race one.
      const { affected } = await manager.delete(Availability, { id: slotId, consultantId, isBooked: false });
      if (affected) {
        const data = { change: 'slot.deleted', slot_id: slotId };
        return recordEvent(manager, { type: 'availability.changed', consultantId, data });
      }
      const slot = await manager.findOne(Availability, {
        select: { isBooked: true },
        where: { id: slotId, consultantId },
      });
      if (!slot) throw notFound(`Slot ${slotId} of consultant ${consultantId}`);
      throw conflict('slot-booked', `Slot ${slotId} is booked; cancel the booking before deleting the slot.`);
    });
  }
}
