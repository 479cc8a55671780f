import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { ApiProblems, SEED_COMPATIBILITY } from '../common/http/api-problems.decorator';
import { LimitPerAddress } from '../common/http/client-throttler.guard';
import { ApiIdParam, IdParam } from '../common/validation/decorators';
import { CreatedUserDto, CreateUserDto, UserDto } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller()
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post('users')
  @LimitPerAddress('signup')
  @ApiOperation({ operationId: 'createUser', summary: 'Sign up; the response holds the api_token, once' })
  @ApiCreatedResponse({ description: 'The user, with its api_token (shown this once)', type: CreatedUserDto })
  @ApiProblems('validation-error')
  create(@Body() dto: CreateUserDto): Promise<CreatedUserDto> {
    return this.users.create(dto);
  }

  @Post('user')
  @LimitPerAddress('signup')
  @ApiOperation({ operationId: 'createUserSeed', summary: 'Seed alias of POST /users', ...SEED_COMPATIBILITY })
  @ApiCreatedResponse({ description: 'The user, with its api_token (shown this once)', type: CreatedUserDto })
  @ApiProblems('validation-error')
  createSeed(@Body() dto: CreateUserDto): Promise<CreatedUserDto> {
    return this.users.create(dto);
  }

  @Get('users/:id')
  @Access('admin', 'user:self')
  @ApiIdParam('id', 'User id')
  @ApiOperation({ operationId: 'getUser', summary: 'One user' })
  @ApiOkResponse({ description: 'The user', type: UserDto })
  @ApiProblems('validation-error', 'not-found')
  get(@IdParam('id') id: number): Promise<UserDto> {
    return this.users.get(id);
  }
}
