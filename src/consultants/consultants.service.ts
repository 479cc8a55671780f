import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { noteChangesWithTheClock, noteVersions } from '../common/http/conditional-get';
import { decodeCursor, DEFAULT_LIMIT, toPage } from '../common/http/pagination';
import { notFound } from '../common/errors';
import { epochMs } from '../database/epoch-ms';
import { selectAs, type SqlNames, sqlNames } from '../database/sql-names';
import { lockConsultant } from './consultant-lock';
import { ConsultantRemovalChecks } from './consultant-removal';
import { PrincipalCache } from '../common/auth/principal-cache';
import { PrincipalRevocations } from '../common/auth/principal-revocations';
import { assertActsForConsultant } from '../common/auth/ownership';
import type { Principal } from '../common/auth/principal';
import { generateToken, hashToken } from '../common/auth/token';
import { type ConsultantFields, toConsultantDto } from './consultant.mapper';
import type { PolicyDto, UpdatePolicyDto } from './dto/policy.dto';
import { CONSULTANT_POLICY_FIELDS, type ConsultantPolicy, fromPolicyDto, toPolicyDto } from './policy.mapper';
import { recordEvent } from '../events/outbox';
import type {
  ConsultantDto,
  ConsultantPageDto,
  CreateConsultantDto,
  CreatedConsultantDto,
  ListConsultantsQuery,
  SpecializationDto,
  SpecializationListDto,
  UpdateConsultantDto,
} from './dto/consultant.dto';
import { Consultant } from './entities/consultant.entity';
import type { PrincipalSource } from '../common/auth/principal-source';
import { TransactionalConnection } from '../database/transactional-connection';

const DTO_FIELDS = ['id', 'firstName', 'lastName', 'timezone', 'specialization'] as const;
type VersionedRow = ConsultantFields & Pick<Consultant, 'calendarVersion'> & { changesWithTheClock: boolean };

/** A page of consultants is ordered by id; its cursor is the last id. Views that cut a page short resume with it too. */
/** Consultants with the calendar version each was read at, for views that keep what they compute. */
export type VersionedConsultants = ConsultantPageDto & { versions: number[] };

export const consultantPageKey = (consultant: { id: number }): [number] => [consultant.id];

@Injectable()
export class ConsultantsService implements PrincipalSource {
  private readonly c: SqlNames<Consultant>;
  /**
   * get() and list() select the DTO's columns with a plain statement: they start every calendar
   * view (GET /consultants/availabilities/{date}/, /availabilities/monthly/, /availabilities/timerange/),
   * where findOneBy and the query builder's getMany cost about twice the Node CPU (140 against
   * 80 µs for one consultant, 385 against 200 µs for a page of 51; bench/RESULTS.md).
   */
  private readonly dtoColumns: string;

  constructor(
    private readonly connection: TransactionalConnection,
    @InjectRepository(Consultant) private readonly consultants: Repository<Consultant>,
    private readonly principals: PrincipalCache,
    private readonly revocations: PrincipalRevocations,
    private readonly removalChecks: ConsultantRemovalChecks,
  ) {
    this.c = sqlNames(consultants.metadata);
    const { c } = this;
    // Whether its free time changes with the clock alone (a view with it then gets no ETag).
    const changes = `${c.minimumNoticeMinutes} > 0 OR ${c.bookingHorizonDays} IS NOT NULL OR ${c.holdsUntil} > now()`;
    this.dtoColumns = `${selectAs(c, [...DTO_FIELDS, 'calendarVersion'])}, ${epochMs(c.createdAt)} AS "createdAt", ${changes} AS "changesWithTheClock"`;
  }

  async create(dto: CreateConsultantDto): Promise<CreatedConsultantDto> {
    const token = generateToken('consultant');
    const saved = await this.consultants.save(
      this.consultants.create({
        firstName: dto.first_name,
        lastName: dto.last_name,
        timezone: dto.timezone ?? 'UTC',
        specialization: dto.specialization ?? null,
        apiTokenHash: hashToken(token),
      }),
    );
    return { ...toConsultantDto(saved), api_token: token };
  }

  async get(id: number): Promise<ConsultantDto> {
    return toConsultantDto(await this.findVersioned(id));
  }

  /** Every view naming a consultant starts here: one plain statement, like listVersioned(). */
  async getVersioned(id: number): Promise<VersionedConsultants> {
    const row = await this.findVersioned(id);
    const page = { data: [toConsultantDto(row)], next_cursor: null, versions: [row.calendarVersion] };
    noteViewVersions(page, [row]);
    return page;
  }

  private async findVersioned(id: number): Promise<VersionedRow> {
    const [row] = await this.consultants.query<VersionedRow[]>(
      `SELECT ${this.dtoColumns} FROM ${this.c.table} WHERE ${this.c.id} = $1`,
      [id],
    );
    if (!row) throw notFound(`Consultant ${id}`);
    return row;
  }

  /** The consultants of these ids that exist, by id. */
  async getMany(ids: readonly number[]): Promise<Map<number, ConsultantDto>> {
    if (!ids.length) return new Map();
    const found = await this.consultants.find({ where: { id: In([...new Set(ids)]) } });
    return new Map(found.map((c) => [c.id, toConsultantDto(c)]));
  }

  /** The consultant whose API token has this digest, for authentication. */
  async idByTokenHash(hash: string): Promise<number | null> {
    const found = await this.consultants.findOne({ select: { id: true }, where: { apiTokenHash: hash } });
    return found?.id ?? null;
  }

  async list(query: ListConsultantsQuery): Promise<ConsultantPageDto> {
    const { data, next_cursor } = await this.listVersioned(query);
    return { data, next_cursor };
  }

  /**
   * The pool of a specialization (docs/API.md, "Pooled booking"): every consultant of it, compared
   * trimmed and case-insensitively, whose pool weight is above 0, by id, with the weights. The
   * pooled view starts here as the other views start with a page, and a pooled booking too (in
   * `manager`, its Idempotency-Key's transaction, if it has one).
   */
  async pool(
    specialization: string,
    manager = this.consultants.manager,
  ): Promise<VersionedConsultants & { weights: number[] }> {
    const rows = await manager.query<(VersionedRow & { poolWeight: number })[]>(
      `SELECT ${this.dtoColumns}, ${this.c.poolWeight} AS "poolWeight" FROM ${this.c.table}
        WHERE ${this.c.specializationKey} = ${specializationKey('$1')} AND ${this.c.poolWeight} > 0
        ORDER BY ${this.c.id}`,
      [specialization],
    );
    const pool = {
      data: rows.map(toConsultantDto),
      next_cursor: null,
      versions: rows.map((r) => r.calendarVersion),
      weights: rows.map((r) => r.poolWeight),
    };
    noteViewVersions(pool, rows);
    return pool;
  }

  /**
   * GET /specializations: each specialization, spelled as its earliest consultant spells it
   * (trimmed), with how many consultants have it and how many of those its pool assigns to.
   */
  async specializations(): Promise<SpecializationListDto> {
    const { c } = this;
    const data = await this.consultants.query<SpecializationDto[]>(
      `SELECT (array_agg(btrim(${c.specialization}) ORDER BY ${c.id}))[1] AS specialization,
              count(*)::int AS consultants, (count(*) FILTER (WHERE ${c.poolWeight} > 0))::int AS pooled
         FROM ${c.table} WHERE btrim(${c.specialization}) <> ''
        GROUP BY ${c.specializationKey} ORDER BY 1`,
    );
    return { data };
  }

  /** A page of consultants, as every view over consultants starts: one plain statement. */
  async listVersioned(query: ListConsultantsQuery): Promise<VersionedConsultants> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const params: unknown[] = [];
    const where: string[] = [];
    if (query.specialization !== undefined)
      where.push(`${this.c.specializationKey} = ${specializationKey(`$${params.push(query.specialization)}`)}`);
    if (query.cursor) where.push(`${this.c.id} > $${params.push(decodeCursor<[number]>(query.cursor, ['number'])[0])}`);
    const rows = await this.consultants.query<VersionedRow[]>(
      `SELECT ${this.dtoColumns} FROM ${this.c.table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${this.c.id} LIMIT ${limit + 1}`,
      params,
    );
    const page = toPage(rows, limit, toConsultantDto, consultantPageKey);
    const versioned = { ...page, versions: rows.slice(0, page.data.length).map((r) => r.calendarVersion) };
    noteViewVersions(versioned, rows);
    return versioned;
  }

  /** A new time zone moves every weekly window in absolute time: that is an `availability.changed`. */
  async update(id: number, dto: UpdateConsultantDto): Promise<ConsultantDto> {
    return this.connection.withTransaction(async (manager) => {
      const consultant = await manager.findOne(Consultant, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!consultant) throw notFound(`Consultant ${id}`);
      const moved = dto.timezone !== undefined && dto.timezone !== consultant.timezone;
      if (dto.first_name !== undefined) consultant.firstName = dto.first_name;
      if (dto.last_name !== undefined) consultant.lastName = dto.last_name;
      if (dto.timezone !== undefined) consultant.timezone = dto.timezone;
      if (moved) {
        consultant.scheduleVersion += 1;
        consultant.calendarVersion += 1;
      }
      if (dto.specialization !== undefined) consultant.specialization = dto.specialization;
      const updated = toConsultantDto(await manager.save(consultant));
      if (moved) {
        const data = { change: 'timezone.updated', timezone: updated.timezone };
        await recordEvent(manager, { type: 'availability.changed', consultantId: id, data });
      }
      return updated;
    });
  }

  /** The consultant's booking policy; every field at its default until one is set. */
  async getPolicy(id: number): Promise<PolicyDto> {
    const [row] = await this.consultants.query<ConsultantPolicy[]>(
      `SELECT ${selectAs(this.c, CONSULTANT_POLICY_FIELDS)} FROM ${this.c.table} WHERE ${this.c.id} = $1`,
      [id],
    );
    if (!row) throw notFound(`Consultant ${id}`);
    return toPolicyDto(id, row);
  }

  /**
   * Replaces the whole policy in one statement, with its `availability.changed` event. Bookings already made keep their time and the
   * buffers they were made with: the policy applies to what is booked from now on.
   */
  async updatePolicy(principal: Principal, id: number, dto: UpdatePolicyDto): Promise<PolicyDto> {
    assertActsForConsultant(principal, id);
    const policy = fromPolicyDto(dto);
    const assignments = [
      ...CONSULTANT_POLICY_FIELDS.map((field, i) => `${this.c[field]} = $${i + 2}`),
      `${this.c.scheduleVersion} = ${this.c.scheduleVersion} + 1`,
      `${this.c.calendarVersion} = ${this.c.calendarVersion} + 1`,
    ].join(', ');
    // A transaction for the event: it commits with the change or not at all.
    return this.connection.withTransaction(async (manager) => {
      const [rows] = await manager.query<[ConsultantPolicy[], number]>(
        `UPDATE ${this.c.table} SET ${assignments} WHERE ${this.c.id} = $1 RETURNING ${selectAs(this.c, CONSULTANT_POLICY_FIELDS)}`,
        [id, ...CONSULTANT_POLICY_FIELDS.map((field) => policy[field])],
      );
      if (!rows.length) throw notFound(`Consultant ${id}`);
      const updated = toPolicyDto(id, rows[0]);
      await recordEvent(manager, {
        type: 'availability.changed',
        consultantId: id,
        data: { change: 'policy.updated', policy: updated },
      });
      return updated;
    });
  }

  /** Refused while another module objects (bookings: upcoming confirmed ones, which clients rely on). */
  async remove(id: number): Promise<void> {
    const heard = await this.connection.withTransaction(async (manager) => {
      await lockConsultant(manager, id);
      await this.removalChecks.assertAll(manager, id);
      await manager.delete(Consultant, { id });
      return this.revocations.announce(manager, 'consultant', id);
    });
    this.principals.forget('consultant', id);
    await heard();
  }
}

/**
 * Specializations are compared trimmed and case-insensitively ("Cardiology " is "cardiology"): a
 * specialization asked for as the consultants' generated specialization_key column is made.
 */
const specializationKey = (sql: string) => `lower(btrim(${sql}))`;

/** A page of consultants as a view's ETag covers it (common/http/conditional-get.ts): what it shows of them, and their calendars' versions. */
function noteViewVersions(page: VersionedConsultants, rows: VersionedRow[]): void {
  if (rows.slice(0, page.data.length).some((r) => r.changesWithTheClock)) noteChangesWithTheClock();
  else noteVersions([page.data, page.versions, page.next_cursor]);
}
