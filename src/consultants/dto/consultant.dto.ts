import { ApiProperty, PartialType } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { PageQuery } from '../../common/http/pagination';
import { IsName, IsTimeZone } from '../../common/validation/decorators';

const SPECIALIZATION = /^[^\p{Cc}]{1,100}$/u;

export class CreateConsultantDto {
  @IsName('John')
  first_name: string;

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
  /** @example 1 */
  id: number;
  /** @example "John" */
  first_name: string;
  /** @example "Doe" */
  last_name: string;
  /** @example "Europe/Berlin" */
  timezone: string;
  /** @example "cardiology" */
  specialization: string | null;
  /** @example "2030-01-01T09:00:00.000Z" */
  created_at: string;
}

export class CreatedConsultantDto extends ConsultantDto {
  @ApiProperty({ description: 'Shown once; only its hash is stored.', example: 'cc_c_3q2n…' })
  api_token: string;
}

export class ConsultantPageDto {
  data: ConsultantDto[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}
