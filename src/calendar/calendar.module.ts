import { Module } from '@nestjs/common';
import { BookingsModule } from '../bookings/bookings.module';
import { ConsultantsModule } from '../consultants/consultants.module';
import { UsersModule } from '../users/users.module';
import { CalendarFeedService } from './calendar-feed.service';
import { CalendarController } from './calendar.controller';
import { CalendarMessages } from './calendar.messages';
import { CalendarRepository } from './calendar.repository';
import { CalendarService } from './calendar.service';

@Module({
  imports: [ConsultantsModule, UsersModule, BookingsModule],
  controllers: [CalendarController, CalendarMessages],
  providers: [CalendarService, CalendarRepository, CalendarFeedService],
})
export class CalendarModule {}
