import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { CurrentPrincipal, type Principal } from '../common/auth/principal';
import { ApiProblems } from '../common/http/api-problems.decorator';
import { LimitPerAddress, RequestAddress } from '../common/http/client-throttler.guard';
import { ApiIdParam, IdParam } from '../common/validation/decorators';
import { BookingsService } from './bookings.service';
import { CreateHoldDto, HoldDto, TIME_REFUSALS } from './dto/booking.dto';

@ApiTags('holds')
@Controller()
export class HoldsController {
  constructor(private readonly bookings: BookingsService) {}

  @Post('holds')
  @Access('admin', 'user')
  @LimitPerAddress('bookings')
  @ApiOperation({
    operationId: 'createHold',
    summary: 'Hold free time for hold_minutes (default 10, at most 60); book it with POST /bookings {hold_id}',
  })
  @ApiCreatedResponse({
    description: 'The hold; book it with POST /bookings {hold_id} before expires_at',
    type: HoldDto,
  })
  @ApiProblems(...TIME_REFUSALS, 'hold-limit')
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateHoldDto,
    @RequestAddress() address: string,
  ): Promise<HoldDto> {
    return this.bookings.hold(principal, dto, address);
  }

  @Delete('holds/:id')
  @HttpCode(204)
  @Access('admin', 'user')
  @ApiIdParam('id', 'Hold id')
  @ApiOperation({ operationId: 'releaseHold', summary: 'Release a hold: the time is free again at once' })
  @ApiNoContentResponse({ description: 'Released' })
  @ApiProblems('validation-error', 'not-found')
  release(@CurrentPrincipal() principal: Principal, @IdParam('id') id: number): Promise<void> {
    return this.bookings.release(principal, id);
  }
}
