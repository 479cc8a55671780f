import { Module } from '@nestjs/common';
import { BookingsController } from './bookings.controller';
import { BookingsMessages } from './bookings.messages';
import { BookingsService } from './bookings.service';
import { Idempotency } from './idempotency';

@Module({
  controllers: [BookingsController, BookingsMessages],
  providers: [BookingsService, Idempotency],
  exports: [BookingsService],
})
export class BookingsModule {}
