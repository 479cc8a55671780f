import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { decodeCursor, DEFAULT_LIMIT, toPage } from '../common/http/pagination';
import { invalidFields, notFound, type FieldError } from '../common/errors';
import { lockConsultant } from '../consultants/consultant-lock';
import { recordEvent } from '../events/outbox';
import { ConsultantsService } from '../consultants/consultants.service';
import { firstOverlappingWindow } from '../scheduling';
import type {
  CreateDateOverrideDto,
  DateOverrideDto,
  DateOverridePageDto,
  ListDateOverridesQuery,
} from './dto/date-override.dto';
import { DateOverride } from './entities/date-override.entity';
import { TransactionalConnection } from '../database/transactional-connection';

const toDto = (o: DateOverride): DateOverrideDto => ({
  id: o.id,
  consultant_id: o.consultantId,
  date: o.date,
  unavailable: o.windows.length === 0,
  windows: o.windows.map((w) => ({ start_time: w.start_time, end_time: w.end_time })),
});

@Injectable()
export class DateOverridesService {
  constructor(
    private readonly connection: TransactionalConnection,
    @InjectRepository(DateOverride) private readonly overrides: Repository<DateOverride>,
    private readonly consultants: ConsultantsService,
  ) {}

  async list(consultantId: number, query: ListDateOverridesQuery): Promise<DateOverridePageDto> {
    await this.consultants.get(consultantId);
    const limit = query.limit ?? DEFAULT_LIMIT;
    const qb = this.overrides
      .createQueryBuilder('o')
      .where('o.consultantId = :consultantId', { consultantId })
      .orderBy('o.date')
      .limit(limit + 1);
    if (query.from) qb.andWhere('o.date >= :from', { from: query.from });
    if (query.to) qb.andWhere('o.date <= :to', { to: query.to });
    if (query.cursor) {
      const [date] = decodeCursor<[string]>(query.cursor, ['string']);
      qb.andWhere('o.date > :date', { date });
    }
    return toPage(await qb.getMany(), limit, toDto, (o) => [o.date]);
  }

  /**
   * Under the consultant's lock, like every change to its availability. A second override of the
   * same date is refused by the unique key (409 date-override-exists).
   */
  async create(consultantId: number, dto: CreateDateOverrideDto): Promise<DateOverrideDto> {
    const windows = dto.windows ?? [];
    const errors: FieldError[] = [];
    if ((dto.unavailable === true) === windows.length > 0)
      errors.push({ field: 'windows', message: 'give either unavailable: true or a non-empty windows list' });
    const empty = windows.findIndex((w) => w.start_time === w.end_time);
    if (empty !== -1) errors.push({ field: `windows[${empty}].end_time`, message: 'must differ from start_time' });
    const overlapping = firstOverlappingWindow(windows.map((w) => ({ startTime: w.start_time, endTime: w.end_time })));
    if (empty === -1 && overlapping !== -1)
      errors.push({ field: `windows[${overlapping}]`, message: 'overlaps another window of the override' });
    if (errors.length) throw invalidFields(errors);
    return this.connection.withTransaction(async (manager) => {
      await lockConsultant(manager, consultantId, 'schedule');
      const saved = await manager.save(
        manager.create(DateOverride, {
          consultantId,
          date: dto.date,
          windows: windows.map((w) => ({ start_time: w.start_time, end_time: w.end_time })),
        }),
      );
      const override = toDto(saved);
      await recordEvent(manager, {
        type: 'availability.changed',
        consultantId,
        data: { change: 'override.created', override },
      });
      return override;
    });
  }

  /** Bookings already made in the override's windows stay. */
  async remove(consultantId: number, overrideId: number): Promise<void> {
    await this.connection.withTransaction(async (manager) => {
      await lockConsultant(manager, consultantId, 'schedule');
      const { affected } = await manager.delete(DateOverride, { id: overrideId, consultantId });
      if (!affected) throw notFound(`Date override ${overrideId} of consultant ${consultantId}`);
      const data = { change: 'override.deleted', override_id: overrideId };
      await recordEvent(manager, { type: 'availability.changed', consultantId, data });
    });
  }
}
