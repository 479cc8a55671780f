import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { CurrentPrincipal, Principal } from '../common/auth/principal';
import { MeService } from './me.service';
import { MeDto } from './dto/me.dto';

@ApiTags('users')
@Controller('me')
export class MeController {
  constructor(private readonly me: MeService) {}

  @Get()
  @Access('admin', 'consultant', 'user')
  @ApiOperation({ operationId: 'getMe', summary: 'Who the token belongs to' })
  @ApiOkResponse({ description: 'The role, and the id and names of a consultant or user', type: MeDto })
  get(@CurrentPrincipal() principal: Principal): Promise<MeDto> {
    return this.me.describe(principal);
  }
}
