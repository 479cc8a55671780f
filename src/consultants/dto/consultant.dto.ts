import { ApiProperty, PartialType } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { PageQuery } from '../../common/http/pagination';
import { IsName, IsTimeZone } from '../../common/validation/decorators';

const SPECIALIZATION = /^[^\p{Cc}]{1,100}$/u;

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
  /** Only consultants with exactly this specialization. @example "cardiology" */
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
