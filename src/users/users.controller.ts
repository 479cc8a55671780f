import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { ApiProblems } from '../common/http/api-problems.decorator';
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
  @ApiOperation({ summary: 'Sign up; the response holds the api_token, once' })
  @ApiCreatedResponse({ type: CreatedUserDto })
  @ApiProblems(400)
  create(@Body() dto: CreateUserDto): Promise<CreatedUserDto> {
    return this.users.create(dto);
  }

  @Post('user')
  @LimitPerAddress('signup')
  @ApiOperation({ summary: 'Seed alias of POST /users', tags: ['seed aliases'] })
  @ApiCreatedResponse({ type: CreatedUserDto })
  @ApiProblems(400)
  createSeed(@Body() dto: CreateUserDto): Promise<CreatedUserDto> {
    return this.users.create(dto);
  }

  @Get('users/:id')
  @Access('admin', 'user:self')
  @ApiIdParam('id', 'User id')
  @ApiOperation({ summary: 'One user' })
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(400, 404)
  get(@IdParam('id') id: number): Promise<UserDto> {
    return this.users.get(id);
  }
}
