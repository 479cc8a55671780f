import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { decodeCursor, DEFAULT_LIMIT, toPage } from '../common/http/pagination';
import { conflict, notFound } from '../common/http/problem';
import { lockConsultant } from './consultant-lock';
import { PrincipalCache } from '../common/auth/principal-cache';
import { generateToken, hashToken } from '../common/auth/token';
import { toConsultantDto } from './consultant.mapper';
import type { ConsultantDto, ConsultantPageDto, CreateConsultantDto, CreatedConsultantDto, ListConsultantsQuery, UpdateConsultantDto } from './dto/consultant.dto';
import { Consultant } from './entities/consultant.entity';

@Injectable()
export class ConsultantsService {
  constructor(
    @InjectRepository(Consultant) private readonly consultants: Repository<Consultant>,
    private readonly principals: PrincipalCache,
  ) {}

  async create(dto: CreateConsultantDto): Promise<CreatedConsultantDto> {
    const token = generateToken('consultant');
    const saved = await this.consultants.save(
      this.consultants.create({ firstName: dto.first_name, lastName: dto.last_name, timezone: dto.timezone ?? 'UTC', specialization: dto.specialization ?? null, apiTokenHash: hashToken(token) }),
    );
    return { ...toConsultantDto(saved), api_token: token };
  }

  async get(id: number): Promise<ConsultantDto> {
    return toConsultantDto(await this.find(id));
  }

  /** The consultant, or a 404: every consultant-scoped route starts here. */
  async find(id: number): Promise<Consultant> {
    const consultant = await this.consultants.findOneBy({ id });
    if (!consultant) throw notFound(`Consultant ${id}`);
    return consultant;
  }

  async list(query: ListConsultantsQuery): Promise<ConsultantPageDto> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const qb = this.consultants.createQueryBuilder('c').orderBy('c.id').limit(limit + 1);
    if (query.specialization !== undefined) qb.andWhere('c.specialization = :s', { s: query.specialization });
    if (query.cursor) qb.andWhere('c.id > :after', { after: decodeCursor<[number]>(query.cursor, ['number'])[0] });
    return toPage(await qb.getMany(), limit, toConsultantDto, (c) => [c.id]);
  }

  async update(id: number, dto: UpdateConsultantDto): Promise<ConsultantDto> {
    const consultant = await this.find(id);
    if (dto.first_name !== undefined) consultant.firstName = dto.first_name;
    if (dto.last_name !== undefined) consultant.lastName = dto.last_name;
    if (dto.timezone !== undefined) consultant.timezone = dto.timezone;
    if (dto.specialization !== undefined) consultant.specialization = dto.specialization;
    return toConsultantDto(await this.consultants.save(consultant));
  }

  /** Refused while the consultant has upcoming confirmed bookings: clients rely on those. */
  async remove(id: number): Promise<void> {
    await this.consultants.manager.transaction(async (manager) => {
      await lockConsultant(manager, id);
      const [upcoming] = await manager.query(`SELECT 1 FROM bookings WHERE consultant_id = $1 AND status = 'confirmed' AND end_at > now() LIMIT 1`, [id]);
      if (upcoming) throw conflict('consultant-has-bookings', `Consultant ${id} has upcoming confirmed bookings; cancel them first.`);
      await manager.delete(Consultant, { id });
    });
    this.principals.forget('consultant', id);
  }
}
