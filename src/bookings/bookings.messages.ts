import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Access } from '../common/auth/access.decorator';
import { CurrentPrincipal, type Principal } from '../common/auth/principal';
import { MessageData } from '../messaging/envelope';
import { IdMessage } from '../messaging/id-message.dto';
import { BookingsService } from './bookings.service';
import {
  BookingDto,
  BookingPageDto,
  CreateBookingMessage,
  CreateHoldDto,
  HoldDto,
  ListBookingsQuery,
  RescheduleBookingMessage,
} from './dto/booking.dto';

/** Internal messages about bookings (docs/MESSAGES.md), for the principal each message names. */
@Controller()
export class BookingsMessages {
  constructor(private readonly bookings: BookingsService) {}

  @MessagePattern('bookings.create')
  @Access('admin', 'user')
  create(
    @CurrentPrincipal() principal: Principal,
    @MessageData() { idempotency_key, ...booking }: CreateBookingMessage,
  ): Promise<BookingDto> {
    return this.bookings.create(principal, booking, undefined, idempotency_key);
  }

  @MessagePattern('bookings.get')
  @Access('admin', 'consultant', 'user')
  get(@CurrentPrincipal() principal: Principal, @MessageData() { id }: IdMessage): Promise<BookingDto> {
    return this.bookings.get(principal, id);
  }

  @MessagePattern('bookings.list')
  @Access('admin', 'consultant', 'user')
  list(@CurrentPrincipal() principal: Principal, @MessageData() query: ListBookingsQuery): Promise<BookingPageDto> {
    return this.bookings.list(principal, query);
  }

  @MessagePattern('bookings.cancel')
  @Access('admin', 'consultant', 'user')
  cancel(@CurrentPrincipal() principal: Principal, @MessageData() { id }: IdMessage): Promise<BookingDto> {
    return this.bookings.cancel(principal, id);
  }

  @MessagePattern('bookings.reschedule')
  @Access('admin', 'user')
  reschedule(
    @CurrentPrincipal() principal: Principal,
    @MessageData() { id, ...target }: RescheduleBookingMessage,
  ): Promise<BookingDto> {
    return this.bookings.reschedule(principal, id, target);
  }

  @MessagePattern('holds.create')
  @Access('admin', 'user')
  hold(@CurrentPrincipal() principal: Principal, @MessageData() dto: CreateHoldDto): Promise<HoldDto> {
    return this.bookings.hold(principal, dto);
  }

  @MessagePattern('holds.release')
  @Access('admin', 'user')
  release(@CurrentPrincipal() principal: Principal, @MessageData() { id }: IdMessage): Promise<void> {
    return this.bookings.release(principal, id);
  }
}
