import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { assertActsForConsultant } from '../common/auth/ownership';
import type { Principal } from '../common/auth/principal';
import { decodeCursor, DEFAULT_LIMIT, toPage } from '../common/http/pagination';
import { conflict, FieldError, invalidFields, notFound } from '../common/errors';
import { lockConsultant } from '../consultants/consultant-lock';
import { ConsultantsService } from '../consultants/consultants.service';
import { recordEvent } from '../events/outbox';
import { DAY_NAMES, dayFromName, rulesOverlap } from '../scheduling';
import type {
  CreateRecurringDto,
  ListRecurringQuery,
  RecurringDto,
  RecurringPageDto,
  UpdateRecurringDto,
  WeeklyWindowDto,
} from './dto/recurring.dto';
import { RecurringRule } from './entities/recurring-rule.entity';
import { TransactionalConnection } from '../database/transactional-connection';

const toDto = (r: RecurringRule): RecurringDto => ({
  id: r.id,
  consultant_id: r.consultantId,
  day_of_week: r.dayOfWeek,
  day: DAY_NAMES[r.dayOfWeek],
  start_time: r.startTime,
  end_time: r.endTime,
  is_active: r.isActive,
  valid_from: r.validFrom,
  valid_until: r.validUntil,
});

/** The rule fields a request sets, with the day resolved from either spelling. */
type RuleFields = Pick<RecurringRule, 'dayOfWeek' | 'startTime' | 'endTime' | 'isActive' | 'validFrom' | 'validUntil'>;

@Injectable()
export class RecurringService {
  constructor(
    private readonly connection: TransactionalConnection,
    @InjectRepository(RecurringRule) private readonly rules: Repository<RecurringRule>,
    private readonly consultants: ConsultantsService,
  ) {}

  async create(consultantId: number, dto: CreateRecurringDto): Promise<RecurringDto> {
    const [rule] = await this.insertAll(consultantId, [dto], { replace: false, bulk: false });
    return rule;
  }

  /** The seed's bulk create: every window or none. */
  createMany(consultantId: number, windows: WeeklyWindowDto[]): Promise<RecurringDto[]> {
    return this.insertAll(consultantId, windows, { replace: false, bulk: true });
  }

  /** Replaces all the consultant's rules with these windows, atomically. */
  replaceWeek(consultantId: number, windows: WeeklyWindowDto[]): Promise<RecurringDto[]> {
    return this.insertAll(consultantId, windows, { replace: true, bulk: true });
  }

  async list(consultantId: number, query: ListRecurringQuery): Promise<RecurringPageDto> {
    await this.consultants.get(consultantId);
    const limit = query.limit ?? DEFAULT_LIMIT;
    const qb = this.rules
      .createQueryBuilder('r')
      .where('r.consultantId = :consultantId', { consultantId })
      .orderBy('r.dayOfWeek')
      .addOrderBy('r.startTime')
      .addOrderBy('r.id')
      .limit(limit + 1);
    if (query.cursor) {
      const [day, time, id] = decodeCursor<[number, string, number]>(query.cursor, ['number', 'string', 'number']);
      qb.andWhere('(r.dayOfWeek, r.startTime, r.id) > (:day, :time, :id)', { day, time, id });
    }
    return toPage(await qb.getMany(), limit, toDto, (r) => [r.dayOfWeek, r.startTime, r.id]);
  }

  async update(consultantId: number, ruleId: number, dto: UpdateRecurringDto): Promise<RecurringDto> {
    return this.connection.withTransaction(async (manager) => {
      await lockConsultant(manager, consultantId, 'schedule');
      const rule = await this.findRule(manager, ruleId, consultantId);
      const errors: FieldError[] = [];
      const day = resolveDay(dto, errors);
      Object.assign(rule, {
        ...(day !== undefined && { dayOfWeek: day }),
        ...(dto.start_time !== undefined && { startTime: dto.start_time }),
        ...(dto.end_time !== undefined && { endTime: dto.end_time }),
        ...(dto.is_active !== undefined && { isActive: dto.is_active }),
        ...(dto.valid_from !== undefined && { validFrom: dto.valid_from }),
        ...(dto.valid_until !== undefined && { validUntil: dto.valid_until }),
      });
      errors.push(...wellFormedErrors(rule, ''));
      if (errors.length) throw invalidFields(errors);
      await this.assertNoOverlap(manager, consultantId, [rule]);
      return this.saveChanged(manager, rule);
    });
  }

  /** The seed's toggle: flips is_active; turning a rule on must not make it overlap another. */
  async toggle(principal: Principal, ruleId: number): Promise<RecurringDto> {
    const owner = await this.rules.findOne({ select: { consultantId: true }, where: { id: ruleId } });
    if (!owner) throw notFound(`Recurring rule ${ruleId}`);
    const { consultantId } = owner;
    assertActsForConsultant(principal, consultantId);
    return this.connection.withTransaction(async (manager) => {
      await lockConsultant(manager, consultantId, 'schedule');
      const rule = await this.findRule(manager, ruleId, consultantId);
      rule.isActive = !rule.isActive;
      await this.assertNoOverlap(manager, consultantId, [rule]);
      return this.saveChanged(manager, rule);
    });
  }

  remove(consultantId: number, ruleId: number): Promise<void> {
    return this.connection.withTransaction(async (manager) => {
      await lockConsultant(manager, consultantId, 'schedule');
      // Bookings keep their own copy of the time, so removing a rule leaves them as they are.
      const { affected } = await manager.delete(RecurringRule, { id: ruleId, consultantId });
      if (!affected) throw notFound(`Recurring rule ${ruleId} of consultant ${consultantId}`);
      const data = { change: 'rule.deleted', rule_id: ruleId };
      await recordEvent(manager, { type: 'availability.changed', consultantId, data });
    });
  }

  /** Saves a changed rule and records its `availability.changed` event, in the caller's transaction. */
  private async saveChanged(manager: EntityManager, rule: RecurringRule): Promise<RecurringDto> {
    const saved = toDto(await manager.save(rule));
    const data = { change: 'rule.updated', rule: saved };
    await recordEvent(manager, { type: 'availability.changed', consultantId: rule.consultantId, data });
    return saved;
  }

  private async insertAll(
    consultantId: number,
    windows: (WeeklyWindowDto & Partial<CreateRecurringDto>)[],
    { replace, bulk }: { replace: boolean; bulk: boolean },
  ): Promise<RecurringDto[]> {
    const prefix = (i: number) => (bulk ? `availability[${i}].` : '');
    const errors: FieldError[] = [];
    const fields = windows.map((w, i): RuleFields => ({
      dayOfWeek: resolveDay(w, errors, prefix(i)) ?? 0,
      startTime: w.start_time,
      endTime: w.end_time,
      isActive: w.is_active ?? true,
      validFrom: w.valid_from ?? null,
      validUntil: w.valid_until ?? null,
    }));
    fields.forEach((f, i) => errors.push(...wellFormedErrors(f, prefix(i))));
    if (errors.length) throw invalidFields(errors);
    return this.connection.withTransaction(async (manager) => {
      await lockConsultant(manager, consultantId, 'schedule');
      const repo = manager.getRepository(RecurringRule);
      if (replace) await repo.delete({ consultantId });
      const rules = fields.map((f) => repo.create({ ...f, consultantId }));
      await this.assertNoOverlap(manager, consultantId, rules);
      const saved = (await repo.save(rules)).map(toDto);
      const data = { change: replace ? 'rules.replaced' : 'rules.created', rules: saved };
      await recordEvent(manager, { type: 'availability.changed', consultantId, data });
      return saved;
    });
  }

  private async findRule(manager: EntityManager, ruleId: number, consultantId: number): Promise<RecurringRule> {
    const rule = await manager.getRepository(RecurringRule).findOneBy({ id: ruleId, consultantId });
    if (!rule) throw notFound(`Recurring rule ${ruleId} of consultant ${consultantId}`);
    return rule;
  }

  /** Active rules of one consultant never overlap: checked under the consultant's row lock. */
  private async assertNoOverlap(
    manager: EntityManager,
    consultantId: number,
    candidates: RecurringRule[],
  ): Promise<void> {
    const active = candidates.filter((r) => r.isActive);
    if (!active.length) return;
    const existing = await manager.getRepository(RecurringRule).findBy({ consultantId, isActive: true });
    const others = existing.filter((e) => !candidates.some((c) => c.id === e.id));
    active.forEach((rule, i) => {
      const clash = [...others, ...active.slice(i + 1)].find((other) => rulesOverlap(rule, other));
      if (clash) {
        const what = (r: RecurringRule) =>
          `${DAY_NAMES[r.dayOfWeek]} ${r.startTime}–${r.endTime}${r.id ? ` (rule ${r.id})` : ''}`;
        throw conflict(
          'recurring-overlap',
          `${what(rule)} overlaps ${what(clash)}; active weekly windows of one consultant may not overlap.`,
        );
      }
    });
  }
}

/** `day_of_week` and `day` name the same thing; when both are given they must agree. */
function resolveDay(w: { day_of_week?: number; day?: string }, errors: FieldError[], prefix = ''): number | undefined {
  const fromName = w.day === undefined ? undefined : (dayFromName(w.day) ?? undefined);
  if (w.day_of_week !== undefined && fromName !== undefined && w.day_of_week !== fromName) {
    errors.push({
      field: `${prefix}day`,
      message: `names ${DAY_NAMES[fromName]} but day_of_week ${w.day_of_week} is ${DAY_NAMES[w.day_of_week]}`,
    });
  }
  return w.day_of_week ?? fromName;
}

function wellFormedErrors(f: RuleFields, prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  if (f.startTime === f.endTime)
    errors.push({
      field: `${prefix}end_time`,
      message: 'must differ from start_time (an earlier end_time crosses midnight)',
    });
  if (f.validFrom && f.validUntil && f.validFrom > f.validUntil)
    errors.push({ field: `${prefix}valid_until`, message: 'must not be before valid_from' });
  return errors;
}
