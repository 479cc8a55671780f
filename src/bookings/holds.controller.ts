import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { CurrentPrincipal, type Principal } from '../common/auth/principal';
import { ApiProblems } from '../common/http/api-problems.decorator';
import { LimitPerAddress, RequestAddress } from '../common/http/client-throttler.guard';
import { ApiIdParam, IdParam } from '../common/validation/decorators';
import { BOOKING_EXAMPLES } from './bookings.controller';
import { BookingsService } from './bookings.service';
import { CreateHoldDto, HoldDto } from './dto/booking.dto';

@ApiTags('holds')
@Controller()
export class HoldsController {
  constructor(private readonly bookings: BookingsService) {}

  @Post('holds')
  @Access('admin', 'user')
  @LimitPerAddress('bookings')
  @ApiOperation({
    summary: 'Hold free time for hold_minutes (default 10, at most 60); book it with POST /bookings {hold_id}',
  })
  @ApiBody({ type: CreateHoldDto, examples: BOOKING_EXAMPLES })
  @ApiCreatedResponse({ type: HoldDto })
  @ApiProblems(400, 404, 409, 422)
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
  @ApiOperation({ summary: 'Release a hold: the time is free again at once' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  release(@CurrentPrincipal() principal: Principal, @IdParam('id') id: number): Promise<void> {
    return this.bookings.release(principal, id);
  }
}
