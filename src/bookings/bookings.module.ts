import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AvailabilityModule } from '../availability/availability.module';
import { CalendarRepository } from '../calendar/calendar.repository';
import { ConsultantsModule } from '../consultants/consultants.module';
import { BookingsController } from './bookings.controller';
import { BookingsMessages } from './bookings.messages';
import { BookingsService } from './bookings.service';
import { Booking } from './entities/booking.entity';
import { IdempotencyKey } from './entities/idempotency-key.entity';
import { HoldsController } from './holds.controller';
import { Idempotency } from './idempotency';
import { IdempotencyPurge } from './idempotency-purge';
import { BookingsRepository } from './bookings.repository';
import { BookingEngine } from './engine/booking-engine';
import { PoolCandidates } from './engine/pool-candidates';
import { ScheduleCopies } from './engine/schedule-copies';
import { UpcomingBookingsCheck } from './upcoming-bookings.check';

@Module({
  imports: [TypeOrmModule.forFeature([Booking, IdempotencyKey]), ConsultantsModule, AvailabilityModule],
  controllers: [BookingsController, HoldsController, BookingsMessages],
  providers: [
    BookingsService,
    BookingsRepository,
    BookingEngine,
    PoolCandidates,
    // The calendar views' schedule reads, for a pooled booking's candidates.
    CalendarRepository,
    Idempotency,
    IdempotencyPurge,
    ScheduleCopies,
    UpcomingBookingsCheck,
  ],
  exports: [BookingsService],
})
export class BookingsModule {}
