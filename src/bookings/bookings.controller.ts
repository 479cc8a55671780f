import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { CurrentPrincipal, type Principal } from '../common/auth/principal';
import { ApiProblems } from '../common/http/api-problems.decorator';
import { LimitPerAddress, RequestAddress } from '../common/http/client-throttler.guard';
import { ApiIdParam, IdParam } from '../common/validation/decorators';
import { BookingsService } from './bookings.service';
import {
  BookingDto,
  BookingPageDto,
  CreateBookingDto,
  ListBookingsQuery,
  RescheduleDto,
  ReserveDto,
} from './dto/booking.dto';
import { ApiIdempotencyKey, IdempotencyKey } from './idempotency-key.decorator';

/** The target forms of POST /bookings and POST /holds, one example each. */
export const BOOKING_EXAMPLES = {
  interval: {
    summary: 'A consultant, UTC instants',
    value: { consultant_id: 1, start: '2030-12-25T09:00:00Z', end: '2030-12-25T09:30:00Z' },
  },
  local: {
    summary: "A consultant, in the consultant's local time",
    value: { consultant_id: 1, date: '2030-12-25', start_time: '10:00', end_time: '10:30' },
  },
  slot: { summary: 'A one-time slot, whole', value: { availability_id: 1 } },
  pooled: {
    summary: 'Any consultant of a specialization: the pool assigns one (docs/API.md, "Pooled booking")',
    value: { specialization: 'cardiology', start: '2030-12-25T09:00:00Z', end: '2030-12-25T10:00:00Z' },
  },
};

@ApiTags('bookings')
@Controller()
export class BookingsController {
  constructor(private readonly bookings: BookingsService) {}

  @Post('bookings')
  @Access('admin', 'user')
  @LimitPerAddress('bookings')
  @ApiIdempotencyKey()
  @ApiOperation({
    summary:
      'Book a whole one-time slot, or a time inside a weekly window; with specialization, whichever consultant of that pool is assigned',
  })
  @ApiBody({ type: CreateBookingDto, examples: BOOKING_EXAMPLES })
  @ApiCreatedResponse({ type: BookingDto })
  @ApiProblems(400, 404, 409, 422)
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateBookingDto,
    @RequestAddress() address: string,
    @IdempotencyKey() key?: string,
  ): Promise<BookingDto> {
    return this.bookings.create(principal, dto, undefined, key, address);
  }

  @Post('consultant/:id/reserve')
  @Access('admin', 'user')
  @LimitPerAddress('bookings')
  @ApiIdParam('id', 'Consultant id')
  @ApiIdempotencyKey()
  @ApiOperation({ summary: 'Seed alias of POST /bookings, with the consultant in the path', tags: ['seed aliases'] })
  @ApiCreatedResponse({ type: BookingDto })
  @ApiProblems(400, 404, 409, 422)
  reserve(
    @CurrentPrincipal() principal: Principal,
    @IdParam('id') id: number,
    @Body() dto: ReserveDto,
    @RequestAddress() address: string,
    @IdempotencyKey() key?: string,
  ): Promise<BookingDto> {
    return this.bookings.create(principal, dto, id, key, address);
  }

  @Get('bookings')
  @Access('admin', 'consultant', 'user')
  @ApiOperation({ summary: 'Bookings the caller may see: its own (user or consultant), or all (admin)' })
  @ApiOkResponse({ type: BookingPageDto })
  @ApiProblems(400)
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListBookingsQuery): Promise<BookingPageDto> {
    return this.bookings.list(principal, query);
  }

  @Get('bookings/:id')
  @Access('admin', 'consultant', 'user')
  @ApiIdParam('id', 'Booking id')
  @ApiOperation({ summary: 'One booking, to its user, its consultant or the admin' })
  @ApiOkResponse({ type: BookingDto })
  @ApiProblems(400, 404)
  get(@CurrentPrincipal() principal: Principal, @IdParam('id') id: number): Promise<BookingDto> {
    return this.bookings.get(principal, id);
  }

  @Post('bookings/:id/cancel')
  @HttpCode(200)
  @Access('admin', 'consultant', 'user')
  @ApiIdParam('id', 'Booking id')
  @ApiOperation({ summary: 'Cancel; the time is free again at once' })
  @ApiOkResponse({ type: BookingDto })
  @ApiProblems(400, 404, 422)
  cancel(@CurrentPrincipal() principal: Principal, @IdParam('id') id: number): Promise<BookingDto> {
    return this.bookings.cancel(principal, id);
  }

  @Post('bookings/:id/reschedule')
  @HttpCode(200)
  @Access('admin', 'user')
  // A reschedule takes time as a booking does: without the budget, one address could stretch and
  // move its bookings without end once its booking attempts were spent.
  @LimitPerAddress('bookings')
  @ApiIdParam('id', 'Booking id')
  @ApiOperation({
    summary: 'Move to another time of the same consultant, atomically: on a conflict the booking is unchanged',
  })
  @ApiOkResponse({ type: BookingDto })
  @ApiProblems(400, 404, 409, 422)
  reschedule(
    @CurrentPrincipal() principal: Principal,
    @IdParam('id') id: number,
    @Body() dto: RescheduleDto,
    @RequestAddress() address: string,
  ): Promise<BookingDto> {
    return this.bookings.reschedule(principal, id, dto, address);
  }
}
