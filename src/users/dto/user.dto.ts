import { ApiProperty } from '@nestjs/swagger';
import { IsName } from '../../common/validation/decorators';

export class CreateUserDto {
  @IsName('Jane')
  first_name: string;

  @IsName('Smith')
  last_name: string;
}

export class UserDto {
  /** @example 1 */
  id: number;
  /** @example "Jane" */
  first_name: string;
  /** @example "Smith" */
  last_name: string;
  /** @example "2030-01-01T09:00:00.000Z" */
  created_at: string;
}

export class CreatedUserDto extends UserDto {
  @ApiProperty({ description: 'Shown once; only its hash is stored.', example: 'cc_u_Yp0…' })
  api_token: string;
}
