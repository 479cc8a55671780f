import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { MessageData } from '../messaging/envelope';
import { CalendarService } from './calendar.service';
import { ConsultantRangeDto, FreeTimeQuery } from './dto/calendar.dto';

/** Internal messages about free time (docs/MESSAGES.md): public, as the calendar views are. */
@Controller()
export class CalendarMessages {
  constructor(private readonly calendar: CalendarService) {}

  @MessagePattern('availability.free')
  free(@MessageData() query: FreeTimeQuery): Promise<ConsultantRangeDto> {
    return this.calendar.freeTime(query);
  }
}
