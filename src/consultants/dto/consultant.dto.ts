import { applyDecorators } from '@nestjs/common';
import { ApiProperty, type ApiPropertyOptions, PartialType } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { PageQuery } from '../../common/http/pagination';
import { IsName, IsTimeZone } from '../../common/validation/decorators';

const SPECIALIZATION = /^[^\p{Cc}]{1,100}$/u;

/** The specialization a pool is named by (docs/API.md, "Pooled booking"): 1 to 100 characters, not only spaces. */
export const IsPoolSpecialization = (options: ApiPropertyOptions = {}) =>
  applyDecorators(
    ApiProperty({
      type: String,
      example: 'cardiology',
      description: 'A specialization, compared trimmed and case-insensitively',
      ...options,
    } as ApiPropertyOptions),
    IsString(),
    Matches(/^(?=[^\p{Cc}]*\S)[^\p{Cc}]{1,100}$/u, { message: 'must be 1 to 100 characters, not only spaces' }),
  );

export class CreateConsultantDto {
  /** Given name. */
  @IsName('John')
  first_name: string;

  /** Family name. */
  @IsName('Doe')
  last_name: string;

  /** Defaults to UTC. */
  @IsOptional()
  @IsTimeZone()
  timezone?: string;

  /** What the consultant does, e.g. a doctor's field. @example "cardiology" */
  @IsOptional()
  @IsString()
  @Matches(SPECIALIZATION, { message: 'must be 1 to 100 characters' })
  specialization?: string;
}

export class UpdateConsultantDto extends PartialType(CreateConsultantDto) {}

export class ListConsultantsQuery extends PageQuery {
  /** Only consultants of this specialization, compared trimmed and case-insensitively. @example "cardiology" */
  @IsOptional()
  @IsString()
  @Matches(SPECIALIZATION, { message: 'must be 1 to 100 characters' })
  specialization?: string;
}

export class ConsultantDto {
  /** The consultant's id. @example 1 */
  id: number;
  /** Given name. @example "John" */
  first_name: string;
  /** Family name. @example "Doe" */
  last_name: string;
  /** IANA time zone: the consultant's dates and wall-clock times are in it. @example "Europe/Berlin" */
  timezone: string;
  /** What the consultant does, or null. @example "cardiology" */
  specialization: string | null;
  /** When the consultant was created, in UTC. @example "2030-01-01T09:00:00.000Z" */
  created_at: string;
}

export class CreatedConsultantDto extends ConsultantDto {
  @ApiProperty({ description: 'Shown once; only its hash is stored.', example: 'cc_c_3q2n…' })
  api_token: string;
}

export class ConsultantPageDto {
  /** This page of consultants, by id. */
  data: ConsultantDto[];
  /** Pass as `cursor` for the next page; null on the last page. @example "eyJpZCI6MjB9" */
  next_cursor: string | null;
}

/** GET /specializations: one specialization and its consultants. */
export class SpecializationDto {
  /** Trimmed, as its earliest consultant spells it; compared trimmed and case-insensitively. @example "cardiology" */
  specialization: string;
  /** Consultants with this specialization. @example 5 */
  consultants: number;
  /** Those of them a pooled booking may be assigned to (pool_weight above 0). @example 4 */
  pooled: number;
}

export class SpecializationListDto {
  /** By specialization. */
  data: SpecializationDto[];
}
