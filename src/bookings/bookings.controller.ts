import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { CurrentPrincipal, type Principal } from '../common/auth/principal';
import { ApiProblems, SEED_COMPATIBILITY } from '../common/http/api-problems.decorator';
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
  TIME_REFUSALS,
} from './dto/booking.dto';
import { ApiIdempotencyKey, IdempotencyKey } from './idempotency-key.decorator';

const BOOKED = {
  description: 'The booking (or, with a replayed Idempotency-Key, the first answer again)',
  type: BookingDto,
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
    operationId: 'createBooking',
    summary:
      'Book a whole one-time slot, or a time inside a weekly window; with specialization, whichever consultant of that pool is assigned',
  })
  @ApiCreatedResponse(BOOKED)
  @ApiProblems(...TIME_REFUSALS, 'idempotency-in-flight', 'booking-limit', 'hold-expired', 'idempotency-key-reused')
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
  @ApiOperation({
    operationId: 'createBookingSeed',
    summary: 'Seed alias of POST /bookings, with the consultant in the path',
    ...SEED_COMPATIBILITY,
  })
  @ApiCreatedResponse(BOOKED)
  @ApiProblems(...TIME_REFUSALS, 'idempotency-in-flight', 'booking-limit', 'idempotency-key-reused')
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
  @ApiOperation({
    operationId: 'listBookings',
    summary: 'Bookings the caller may see: its own (user or consultant), or all (admin)',
  })
  @ApiOkResponse({ description: 'A page of bookings, ordered by start', type: BookingPageDto })
  @ApiProblems('validation-error')
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListBookingsQuery): Promise<BookingPageDto> {
    return this.bookings.list(principal, query);
  }

  @Get('bookings/:id')
  @Access('admin', 'consultant', 'user')
  @ApiIdParam('id', 'Booking id')
  @ApiOperation({ operationId: 'getBooking', summary: 'One booking, to its user, its consultant or the admin' })
  @ApiOkResponse({ description: 'The booking', type: BookingDto })
  @ApiProblems('validation-error', 'not-found')
  get(@CurrentPrincipal() principal: Principal, @IdParam('id') id: number): Promise<BookingDto> {
    return this.bookings.get(principal, id);
  }

  @Post('bookings/:id/cancel')
  @HttpCode(200)
  @Access('admin', 'consultant', 'user')
  @ApiIdParam('id', 'Booking id')
  @ApiOperation({ operationId: 'cancelBooking', summary: 'Cancel; the time is free again at once' })
  @ApiOkResponse({ description: 'The booking, cancelled (cancelling twice answers it again)', type: BookingDto })
  @ApiProblems('validation-error', 'not-found', 'conflict', 'booking-in-past')
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
    operationId: 'rescheduleBooking',
    summary: 'Move to another time of the same consultant, atomically: on a conflict the booking is unchanged',
  })
  @ApiOkResponse({ description: 'The booking at its new time (same id)', type: BookingDto })
  @ApiProblems(...TIME_REFUSALS, 'booking-cancelled', 'booking-in-past')
  reschedule(
    @CurrentPrincipal() principal: Principal,
    @IdParam('id') id: number,
    @Body() dto: RescheduleDto,
    @RequestAddress() address: string,
  ): Promise<BookingDto> {
    return this.bookings.reschedule(principal, id, dto, address);
  }
}
