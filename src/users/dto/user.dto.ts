import { ApiProperty } from '@nestjs/swagger';
import { IsName } from '../../common/validation/decorators';

export class CreateUserDto {
  /** Given name. */
  @IsName('Jane')
  first_name: string;

  /** Family name. */
  @IsName('Smith')
  last_name: string;
}

export class UserDto {
  /** The user's id. @example 1 */
  id: number;
  /** Given name. @example "Jane" */
  first_name: string;
  /** Family name. @example "Smith" */
  last_name: string;
  /** When the user signed up, in UTC. @example "2030-01-01T09:00:00.000Z" */
  created_at: string;
}

export class CreatedUserDto extends UserDto {
  @ApiProperty({ description: 'Shown once; only its hash is stored.', example: 'cc_u_Yp0…' })
  api_token: string;
}
