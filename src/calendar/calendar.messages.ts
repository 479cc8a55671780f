import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { MessageData } from '../messaging/envelope';
import { CalendarService } from './calendar.service';
import { ConsultantRangeDto, FreeTimeQuery, PooledViewDto, PooledViewQuery } from './dto/calendar.dto';

/** Internal messages about free time (docs/MESSAGES.md): public, as the calendar views are. */
@Controller()
export class CalendarMessages {
  constructor(private readonly calendar: CalendarService) {}

  @MessagePattern('availability.free')
  free(@MessageData() query: FreeTimeQuery): Promise<ConsultantRangeDto> {
    return this.calendar.freeTime(query);
  }

  @MessagePattern('availability.pooled')
  pooled(@MessageData() query: PooledViewQuery): Promise<PooledViewDto> {
    return this.calendar.pooled(query);
  }
}
