import { Module } from '@nestjs/common';
import { ConsultantsModule } from '../consultants/consultants.module';
import { CalendarFeedService } from './calendar-feed.service';
import { CalendarController } from './calendar.controller';
import { CalendarRepository } from './calendar.repository';
import { CalendarService } from './calendar.service';

@Module({
  imports: [ConsultantsModule],
  controllers: [CalendarController],
  providers: [CalendarService, CalendarRepository, CalendarFeedService],
})
export class CalendarModule {}
