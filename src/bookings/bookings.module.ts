import { Module } from '@nestjs/common';
import { BookingsController } from './bookings.controller';
import { BookingsService } from './bookings.service';
import { Idempotency } from './idempotency';

@Module({ controllers: [BookingsController], providers: [BookingsService, Idempotency], exports: [BookingsService] })
export class BookingsModule {}
