import { Module } from '@nestjs/common';
import { ConsultantsModule } from '../consultants/consultants.module';
import { CalendarFeedService } from './calendar-feed.service';
import { CalendarController } from './calendar.controller';
import { CalendarMessages } from './calendar.messages';
import { CalendarRepository } from './calendar.repository';
import { CalendarService } from './calendar.service';

@Module({
  imports: [ConsultantsModule],
  controllers: [CalendarController, CalendarMessages],
  providers: [CalendarService, CalendarRepository, CalendarFeedService],
})
export class CalendarModule {}
